import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

@Suite struct JSONArraySplitterTests {
    let splitter = JSONArraySplitter()

    func splitError(_ s: String, limits: ImportLimits = .init()) -> JSONError? {
        do {
            _ = try JSONArraySplitter(limits: limits).split(Array(s.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func readsFieldsAndCompacts() throws {
        let text = """
            [
              { "type" : "message", "ts" : "1712173142.143619", "user": "U1",
                "text": "a b\\/c \\u00e9 \\"q\\" ", "thread_ts": "1712173100.000001",
                "edited": { "user": "U1", "ts": "1712173200.000000" } },
              {"ts":"2.5","user":null,"thread_ts":null,"edited":null}
            ]
            """
        let (messages, skipped) = try splitter.split(Array(text.utf8))
        #expect(skipped.isEmpty)
        #expect(messages.count == 2)
        let m = messages[0]
        #expect(m.ts.string == "1712173142.143619")
        #expect(m.editedTS == "1712173200.000000")
        #expect(String(decoding: m.json, as: UTF8.self) ==
            #"{"type":"message","ts":"1712173142.143619","user":"U1","text":"a b\/c \u00e9 \"q\" ","thread_ts":"1712173100.000001","edited":{"user":"U1","ts":"1712173200.000000"}}"#)
        #expect(messages[1].editedTS == nil)
        #expect(String(decoding: messages[1].json, as: UTF8.self) == #"{"ts":"2.5","user":null,"thread_ts":null,"edited":null}"#)
    }

    @Test func escapedKeysAreMatchedDecoded() throws {
        let (messages, _) = try splitter.split(Array(#"[{"t\u0073":"1.0","\u0075ser":"U\u0031"}]"#.utf8))
        #expect(messages.first?.ts.string == "1.0")
        #expect(messages.first.map { String(decoding: $0.json, as: UTF8.self) } == #"{"t\u0073":"1.0","\u0075ser":"U\u0031"}"#)
    }

    @Test func nestedFieldsAreNotTopLevel() throws {
        let text = #"[{"ts":"1.0","root":{"ts":"9.0","user":"U9","edited":{"ts":"8.0"}},"replies":[{"user":"U8","ts":"7.0"}],"x":{"edited":{"ts":"6"}}}]"#
        let (messages, _) = try splitter.split(Array(text.utf8))
        #expect(messages.first?.ts.string == "1.0")
        #expect(messages.first?.editedTS == nil)
        let edited = try splitter.split(Array(#"[{"edited":{"x":{"ts":"5"},"ts":"4"},"ts":"3"}]"#.utf8)).messages
        #expect(edited.first?.editedTS == "4")
    }

    @Test func perElementProblemsSkipOnlyThatElement() throws {
        let text = #"""
            [{"ts":"1.0"}, 5, {"user":"U"}, {"ts":1.5}, {"ts":"abc"}, {"ts":"2.0","user":7},
             {"ts":"3.0","edited":"yes"}, {"ts":"4.0","edited":{"ts":4}}, {"ts":"5.0","ts":"6.0"}, {"ts":null}, {"ts":"7.0"}]
            """#
        let (messages, skipped) = try splitter.split(Array(text.utf8))
        #expect(messages.map(\.ts.string) == ["1.0", "7.0"])
        let reasons = Dictionary(uniqueKeysWithValues: skipped.map { ($0.index, $0.reason) })
        #expect(reasons == [
            1: "not an object",
            2: "missing \"ts\"",
            3: "\"ts\" is not a string",
            4: "\"ts\" is not a valid Slack timestamp",
            5: "\"user\" is not a string",
            6: "\"edited\" is not an object",
            7: "\"edited.ts\" is not a string",
            8: "duplicate \"ts\"",
            9: "\"ts\" is not a string",
        ])
    }

    @Test func malformedFilesFailWhole() {
        #expect(splitError("")?.reason == .unexpectedEnd)
        #expect(splitError("{}")?.reason == .notAnArray)
        #expect(splitError("[")?.reason == .unexpectedEnd)
        #expect(splitError(#"[{"ts":"1"}"#)?.reason == .unexpectedEnd)
        #expect(splitError(#"[{"ts":"1"}] ["#)?.reason == .trailingData)
        #expect(splitError(#"[{"ts":"1",}]"#)?.reason == .expected("string key"))
        #expect(splitError(#"[{"ts":"1"},]"#)?.reason == .unexpectedCharacter)
        #expect(splitError(#"[{"ts":"\ud800"}]"#)?.reason == .loneSurrogate)
        #expect(splitError(#"[{"ts":"1","n":01}]"#) != nil)
        let deep = "[" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "]"
        #expect(splitError(deep)?.reason == .tooDeep(limit: 512))
        var limits = ImportLimits()
        limits.maxStringBytes = 4
        #expect(splitError(#"[{"ts":"1.0","text":"12345"}]"#, limits: limits)?.reason == .stringTooLong(limit: 4))
        do {
            _ = try splitter.split([UInt8]("[{\"ts\":\"1\",\"t\":\"".utf8) + [0xC3, 0x28] + [UInt8]("\"}]".utf8))
            Issue.record("invalid UTF-8 accepted")
        } catch {
            #expect(error.reason == .invalidUTF8)
            #expect(error.offset == 16)
        }
        #expect(splitError("[]") == nil)
        #expect(splitError(" [ ] ") == nil)
    }

    @Test func compactKeepsStringBytesExactly() throws {
        let text = "[ {\"ts\" : \"1.0\" , \"t\" : \" a \\t\\/ \\u00E9 \u{e9}  \" , \"a\" : [ 1 , 2.50 , true , null , { } , [ ] ] } ]"
        let (messages, _) = try splitter.split(Array(text.utf8))
        #expect(String(decoding: messages[0].json, as: UTF8.self) ==
            "{\"ts\":\"1.0\",\"t\":\" a \\t\\/ \\u00E9 \u{e9}  \",\"a\":[1,2.50,true,null,{},[]]}")
        #expect(try JSONArraySplitter.compact(Array(" { \"a\" : [ 1 ] } ".utf8)) == Array(#"{"a":[1]}"#.utf8))
        #expect(try splitter.compactedElements(Array(#"[ 1 , "x" , { "k" : null } ]"#.utf8)).map { String(decoding: $0, as: UTF8.self) }
            == ["1", #""x""#, #"{"k":null}"#])
    }

    // MARK: - Property-style comparison with JSONValue.parse


    static let pieces = ["a", "é", "😀", "\\n", "\\/", "\\u00e9", "\\ud83d\\ude00", "\\\"", " ", "\\\\", "x y"]

    func ws(_ r: inout SplitMix64) -> String { ["", "", " ", "\n  ", "\t"][r.below(5)] }

    func genString(_ r: inout SplitMix64) -> String {
        "\"" + (0..<r.below(5)).map { _ in Self.pieces[r.below(Self.pieces.count)] }.joined() + "\""
    }

    func genValue(_ r: inout SplitMix64, depth: Int) -> String {
        switch depth > 3 ? r.below(4) : r.below(7) {
        case 0: return ["null", "true", "false"][r.below(3)]
        case 1: return ["0", "-1", "2.50", "1e3", "-0.25E-2", "12345678901234567890"][r.below(6)]
        case 2, 3: return genString(&r)
        case 4: return "[" + ws(&r) + (0..<r.below(4)).map { _ in genValue(&r, depth: depth + 1) }.joined(separator: ws(&r) + "," + ws(&r)) + ws(&r) + "]"
        default:
            let keys = ["ts", "user", "thread_ts", "edited", "text", "k\\u0041", "é"]
            return "{" + ws(&r) + (0..<r.below(5)).map { _ in
                "\"" + keys[r.below(keys.count)] + "\"" + ws(&r) + ":" + ws(&r) + genValue(&r, depth: depth + 1)
            }.joined(separator: ws(&r) + "," + ws(&r)) + ws(&r) + "}"
        }
    }

    @Test func splitterAgreesWithParserOnGeneratedInputs() throws {
        var r = SplitMix64(seed: 42)
        for _ in 0..<500 {
            let elements = (0..<r.below(6)).map { _ -> String in
                if r.below(3) == 0 { return genValue(&r, depth: 1) }
                var obj = "{" + ws(&r) + "\"ts\":" + ws(&r) + "\"\(r.below(1000)).\(r.below(100) + 1)\""
                if r.below(2) == 0 { obj += ",\"user\":" + genString(&r) }
                if r.below(3) == 0 { obj += ",\"edited\":{\"user\":\"U\",\"ts\":\"3.0\"}" }
                if r.below(2) == 0 { obj += ",\"rest\":" + genValue(&r, depth: 2) }
                return obj + ws(&r) + "}"
            }
            let text = Array(("[" + ws(&r) + elements.joined(separator: ws(&r) + "," + ws(&r)) + ws(&r) + "]").utf8)
            let tree = try JSONValue.parse(text)
            var seen: [JSONValue] = []
            try splitter.forEachElement(in: text) { element in
                switch element {
                case .message(let i, let m):
                    #expect(i == seen.count)
                    let v = try? JSONValue.parse(m.json)
                    seen.append(v ?? .null)
                    #expect(v?["ts"]?.stringValue == m.ts.string)
                    #expect(v?["edited"]?["ts"]?.stringValue == m.editedTS)
                    #expect(!m.json.contains { $0 == 0x0A || $0 == 0x09 })
                case .skipped(let i, _):
                    #expect(i == seen.count)
                    seen.append(tree.arrayValue?[i] ?? .null)
                }
            }
            #expect(JSONValue.array(seen) == tree)
            let compacted = try splitter.compactedElements(text)
            #expect(compacted.count == tree.arrayValue?.count)
            for (c, v) in zip(compacted, tree.arrayValue ?? []) {
                #expect(try JSONValue.parse(c) == v)
            }
            // Corrupt one byte: splitter and parser must agree on accept/refuse.
            var bad = text
            let at = r.below(bad.count)
            bad[at] = [UInt8(ascii: "\""), UInt8(ascii: "}"), 0xFF, UInt8(ascii: ","), UInt8(ascii: "\\")][r.below(5)]
            let parserOK = (try? JSONValue.parse(bad)) != nil
            let splitterOK = (try? splitter.split(bad)) != nil
            let parsedIsArray = (try? JSONValue.parse(bad))?.arrayValue != nil
            #expect(splitterOK == (parserOK && parsedIsArray), "\(String(decoding: bad, as: UTF8.self))")
        }
    }

    /// Prints throughput; asserts nothing (meaningful only in a release build).
    @Test func throughput() throws {
        let one = #"{"client_msg_id":"c02383e6-9879-1093-8ce7-c20b00ad3096","type":"message","text":"Hello <@U0BMQB6JE> see https:\/\/example.com\/a?b=c&amp;d \u00e9t\u00e9 \ud83d\ude00 and more text to make it a typical length message body.","user":"U0BMQB6JE","ts":"1712173142.143619","team":"T0123","user_team":"T0123","source_team":"T0123","user_profile":{"avatar_hash":"g1234","image_72":"https:\/\/avatars.slack-edge.com\/2020-01-01\/1234_72.png","first_name":"Ann","real_name":"Ann Example","display_name":"ann","team":"T0123","name":"ann","is_restricted":false,"is_ultra_restricted":false},"blocks":[{"type":"rich_text","block_id":"aBc1","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"Hello "},{"type":"user","user_id":"U0BMQB6JE"}]}]}],"thread_ts":"1712173100.000001","reply_count":2,"reactions":[{"name":"+1","users":["U1","U2"],"count":2}]}"#
        let count = 20_000
        var text: [UInt8] = [UInt8(ascii: "[")]
        for i in 0..<count {
            if i > 0 { text.append(UInt8(ascii: ",")) }
            text.append(contentsOf: one.utf8)
        }
        text.append(UInt8(ascii: "]"))
        let clock = ContinuousClock()
        var best = Duration.seconds(1000)
        var n = 0
        for _ in 0..<3 {
            let t = clock.measure {
                n = (try? splitter.split(text).messages.count) ?? -1
            }
            best = min(best, t)
        }
        #expect(n == count)
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
        print("JSONArraySplitter: \(text.count) bytes, \(count) messages, best of 3 \(String(format: "%.1f", Double(text.count) / seconds / 1e6)) MB/s")
    }
}
