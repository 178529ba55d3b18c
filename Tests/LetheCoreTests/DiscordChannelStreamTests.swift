import Foundation
import Testing
@testable import LetheCore

/// `DiscordChannelStream` finds a channel file's messages as the bytes arrive: cut anywhere it
/// gives the same messages and the same rest as reading the file whole, strings holding
/// brackets, commas and escaped quotes do not fool it, and broken arrays are refused.
struct DiscordChannelStreamTests {
    static let file = #"""
        {"guild":{"id":"1","name":"g [x]"},"channel":{"id":"2","name":"a,b"},"messages":[
          {"id":"10","content":"brackets ] [ and } { and \"quotes\", commas","nested":[[1,2],{"a":[]}]},
          {"id":"11","content":"\\"},
          7, "x", null
        ],"messageCount":5}
        """#

    /// The messages and the rest, with the file cut into pieces of `size` bytes.
    static func read(_ text: String, size: Int, maxPiece: Int = 1 << 20) throws -> (messages: [String], rest: String) {
        let bytes = Array(text.utf8)
        var stream = DiscordChannelStream(maxPiece: maxPiece)
        var messages: [String] = []
        var at = 0
        while at < bytes.count {
            try stream.feed(Array(bytes[at..<min(at + size, bytes.count)])) { messages.append(String(decoding: $0, as: UTF8.self)) }
            at += size
        }
        try stream.finish { messages.append(String(decoding: $0, as: UTF8.self)) }
        return (messages, String(decoding: stream.rest, as: UTF8.self))
    }

    @Test func cutAnywhereItFindsTheSameMessagesAndRest() throws {
        let whole = try Self.read(Self.file, size: 1 << 20)
        #expect(whole.messages.count == 5, "\(whole.messages)")
        let parsed = try whole.messages.map { try JSONValue.parse(Array($0.utf8)) }
        let expected = try JSONValue.parse(Array(Self.file.utf8))["messages"]!.arrayValue!
        #expect(parsed == expected)
        let rest = try JSONValue.parse(Array(whole.rest.utf8))
        #expect(rest["messages"]?.arrayValue?.isEmpty == true && rest["messageCount"] == .number("5") && rest["channel"]?["name"] == .string("a,b"))
        for size in [1, 2, 3, 7, 64] {
            let cut = try Self.read(Self.file, size: size)
            #expect(cut.messages == whole.messages && cut.rest == whole.rest, "cut every \(size) bytes")
        }
    }

    @Test func aMessagesKeyElsewhereOrEscapedIsNotStreamed() throws {
        // `messages` inside another member is not the file's; one written with an escape stays in the rest.
        let nested = try Self.read(#"{"channel":{"messages":[1,2]},"messages":[3]}"#, size: 5)
        #expect(nested.messages == ["3"] && nested.rest == #"{"channel":{"messages":[1,2]},"messages":[]}"#)
        let escaped = try Self.read(#"{"messag\u0065s":[1,2]}"#, size: 4)
        #expect(escaped.messages.isEmpty && escaped.rest == #"{"messag\u0065s":[1,2]}"#)
        let value = #"{"name":"messages","other":["messages"],"messages":[]}"#
        let plain = try Self.read(value, size: 3)
        #expect(plain.messages.isEmpty && plain.rest == value)
    }

    @Test(arguments: [#"{"messages":[1,,2]}"#, #"{"messages":[1,]}"#, #"{"messages":[,1]}"#])
    func anEmptyElementIsRefused(_ text: String) throws {
        #expect(throws: DiscordChannelStream.Failure.self) { try Self.read(text, size: 2) }
    }

    @Test func aMessageOverTheLimitIsRefusedAsItArrives() throws {
        let long = #"{"messages":[{"content":""# + String(repeating: "x", count: 200) + #""}]}"#
        #expect(throws: DiscordChannelStream.Failure.self) { try Self.read(long, size: 16, maxPiece: 100) }
        #expect(try Self.read(long, size: 16, maxPiece: 300).messages.count == 1)
    }
}
