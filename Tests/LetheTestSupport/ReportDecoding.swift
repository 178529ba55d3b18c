import Foundation
import LetheCore

/// A report type whose Codable conformance spells its JSON keys itself (snake_case), so
/// lethe's output decodes into it without key conversion.
public protocol SpellsItsOwnJSONKeys {}

extension RetentionPlan: SpellsItsOwnJSONKeys {}

/// Why a test could not read lethe's output: the command, its exit status and output.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Harness.Result {
    /// Throws unless lethe exited 0, naming `what` with its status and stderr.
    @discardableResult
    public func expectSuccess(_ what: String) throws -> Harness.Result {
        guard status == 0 else { throw TestFailure("\(what) exited \(status): \(stderr)\(stdout.prefix(2000))") }
        return self
    }

    /// stdout (one JSON object, or the object under the top-level `key`) decoded as a public
    /// report type. Throws, quoting the output, when a key the type needs is missing or renamed.
    ///
    /// Keys are converted as the CLI wrote them: its encoder's `convertToSnakeCase` undone, with
    /// `id` read as `ID` (`channel_id` → `channelID`); types that spell their own keys
    /// (`SpellsItsOwnJSONKeys`: RetentionPlan) are read as written. `retention apply --json`
    /// holds both kinds: decode its parts with `at: "plan"` and `at: "result"`.
    public func decode<T: Decodable>(_ type: T.Type, at key: String? = nil) throws -> T {
        var data = Data(stdout.utf8)
        do {
            if let key {
                guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any], let part = object[key] else {
                    throw TestFailure("no top-level \"\(key)\"")
                }
                data = try JSONSerialization.data(withJSONObject: part)
            }
            return try ReportJSON.decoder(for: T.self).decode(T.self, from: data)
        } catch {
            throw TestFailure("cannot read \(T.self)\(key.map { " at \"\($0)\"" } ?? "") from lethe's output (exit \(status)): \(error)\nstdout: \(stdout.prefix(2000))\nstderr: \(stderr.prefix(1000))")
        }
    }

    /// Every line of stdout decoded as `T` (`search --json` prints one object per result);
    /// throws on any line that does not decode.
    public func decodeLines<T: Decodable>(_ type: T.Type) throws -> [T] {
        let decoder = ReportJSON.decoder(for: T.self)
        return try stdout.split(separator: "\n").enumerated().map { i, line in
            do { return try decoder.decode(T.self, from: Data(line.utf8)) } catch {
                throw TestFailure("line \(i + 1) of lethe's output is not a \(T.self): \(error)\nline: \(line.prefix(500))\nstderr: \(stderr.prefix(1000))")
            }
        }
    }
}

/// The decoder for lethe's `--json` output.
public enum ReportJSON {
    public static func decoder<T>(for type: T.Type) -> JSONDecoder {
        let d = JSONDecoder()
        if !(type is any SpellsItsOwnJSONKeys.Type) { d.keyDecodingStrategy = .custom(camelCase) }
        return d
    }

    /// `messages_added` → `messagesAdded`, `archive_id` → `archiveID`: the inverse of
    /// `convertToSnakeCase` for our property names (Swift's `ID`, not `Id`). Dictionary
    /// keys are converted too (`channels_by_kind`'s `group_dm` reads as `groupDm`).
    @Sendable static func camelCase(_ path: [any CodingKey]) -> any CodingKey {
        guard let last = path.last else { return AnyKey("") }
        if last.intValue != nil { return last }
        let words = last.stringValue.split(separator: "_", omittingEmptySubsequences: true)
        guard words.count > 1 else { return last }
        let rest = words.dropFirst().map { $0 == "id" ? "ID" : $0.prefix(1).uppercased() + $0.dropFirst() }
        return AnyKey(String(words[0]) + rest.joined())
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// One line of `lethe search --json` (the CLI's own line type lives in the executable).
public struct SearchHit: Decodable, Sendable, Equatable {
    public var channelID: String
    public var channel: String
    public var kind: String
    public var ts: String
    public var date: String
    public var userID: String?
    public var user: String?
    public var text: String
    public var threadTs: String?
    /// An item's file (format 9); nil for a message.
    public var item: String?
}

/// `lethe retention apply --json`: the plan it executed and what the shred did (the CLI's
/// own pair lives in the executable).
public struct ApplyReport: Sendable {
    public var plan: RetentionPlan
    public var result: ShredResult

    public init(_ r: Harness.Result) throws {
        plan = try r.decode(RetentionPlan.self, at: "plan")
        result = try r.decode(ShredResult.self, at: "result")
    }
}
