import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// Runs the reader over the real sample exports in `../shared/corpus/slack`
/// (next to the package root; never copied into the repository) and checks
/// it against Foundation's `JSONSerialization` as an independent reader.
@Suite struct SlackCorpusTests {
    /// A JSONValue built from a Foundation object (the independent side).
    static func fromFoundation(_ any: Any) -> JSONValue {
        switch any {
        case is NSNull: return .null
        case let s as String: return .string(s)
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return .bool(n.boolValue) }
            return .number(n.stringValue)
        case let a as [Any]: return .array(a.map(fromFoundation))
        case let d as [String: Any]: return .object(d.map { (key: $0.key, value: fromFoundation($0.value)) })
        default: return .null
        }
    }

    @Test(arguments: ["hfaran-slack-export-viewer", "slackdump-source-export"])
    func realSample(_ name: String) throws {
        guard let root = SharedCorpus.slackExport(name) else { return }
        let export = try SlackExport.open(root)
        #expect(!export.conversations.isEmpty)
        var dayCount = 0
        var messageCount = 0
        for conversation in export.conversations {
            for day in export.dayFiles(of: conversation) {
                dayCount += 1
                let (messages, skipped) = try export.readMessages(day)
                #expect(skipped.isEmpty, "\(day.path): \(skipped)")
                messageCount += messages.count

                // Independent reading of the same file.
                let data = try Data(contentsOf: root.appendingPathComponent(day.path))
                let foundation = try #require(try JSONSerialization.jsonObject(with: data) as? [Any])
                #expect(messages.count == foundation.count, "\(day.path)")
                // Our tree parser over the original (uncompacted) file, element by element.
                let original = try #require(try JSONValue.parse(data).arrayValue)
                for (i, message) in messages.enumerated() where i < original.count {
                    let compacted = try JSONValue.parse(message.json)
                    #expect(compacted == original[i], "\(day.path) element \(i)")
                    #expect(message.ts.string == (foundation[i] as? [String: Any])?["ts"] as? String)
                    #expect(!message.json.contains(0x0A))
                }
                // Strings, keys and structure agree with Foundation (numbers by value, via decimal text).
                #expect(JSONValue.array(messages.compactMap { try? JSONValue.parse($0.json) }) == Self.fromFoundation(foundation),
                        "\(day.path)")
            }
        }
        #expect(dayCount > 0)
        print("corpus \(name): \(export.conversations.count) conversations, \(export.users.count) users, \(dayCount) day files, \(messageCount) messages, \(export.warnings.count) warnings")
        for w in export.warnings { print("  warning: \(w)") }
    }
}
