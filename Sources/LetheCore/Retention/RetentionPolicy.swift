import Foundation

/// A parsed, validated retention policy (the YAML file under `Policies/`).
///
/// `parse(yaml:file:)` and `load(contentsOf:)` are the two entry points; both refuse an
/// invalid file with `LetheError(.policyInvalid, "file:line:column: reason")`.
public struct RetentionPolicy: Sendable {
    /// The only policy format version this build reads.
    public static let supportedVersion = 1
    /// Policy files larger than this are refused before parsing.
    public static let maximumFileSize = 1 << 20

    public var version: Int
    /// Governs every channel no rule matches; its name is `"default"`.
    public var defaultRule: RetentionRule
    /// Named rules in file order.
    public var rules: [RetentionRule]
    public var holds: [LegalHold]
    /// Hex digest of the file bytes, filled by the caller (empty until then).
    public var sourceDigest: String
    /// The file name used in error messages.
    public var sourceFile: String

    public init(version: Int = RetentionPolicy.supportedVersion, defaultRule: RetentionRule,
                rules: [RetentionRule], holds: [LegalHold], sourceDigest: String = "", sourceFile: String = "") {
        self.version = version
        self.defaultRule = defaultRule
        self.rules = rules
        self.holds = holds
        self.sourceDigest = sourceDigest
        self.sourceFile = sourceFile
    }

    /// Parses and validates policy YAML; `file` names the source in error messages.
    public static func parse(yaml: String, file: String) throws -> RetentionPolicy {
        try PolicyParser(file: file).parse(yaml)
    }

    /// Reads and parses a policy file. `sourceDigest` is left empty for the caller to fill.
    public static func load(contentsOf url: URL) throws -> RetentionPolicy {
        let file = url.isFileURL ? url.relativePath : url.absoluteString
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw LetheError(.policyInvalid, "\(file): cannot read the policy file",
                             hint: "check the path given to --policy")
        }
        return try parse(contents: [UInt8](data), file: file)
    }

    /// Parses a policy file's bytes: refuses files over `maximumFileSize` or not UTF-8, then `parse(yaml:file:)`.
    public static func parse(contents bytes: [UInt8], file: String) throws -> RetentionPolicy {
        guard bytes.count <= maximumFileSize else {
            throw LetheError(.policyInvalid, "\(file): policy file larger than \(maximumFileSize) bytes")
        }
        guard let text = String(data: Data(bytes), encoding: .utf8) else {
            throw LetheError(.policyInvalid, "\(file): policy file is not UTF-8")
        }
        return try parse(yaml: text, file: file)
    }

    /// Every rule, default first, then the named rules in file order.
    public var allRules: [RetentionRule] { [defaultRule] + rules }

    /// Which rule governs `channel` at `now`: among the matching rules the longest keep
    /// wins (ties go to the first in file order); the default only when none matches.
    public func ruleFor(channel: Conversation, now: Int64) -> RuleChoice {
        let matching = rules.filter { $0.match?.matches(channel) ?? false }
        var chosen = defaultRule
        if let first = matching.first {
            chosen = first
            for rule in matching.dropFirst() where rule.keep.keepsLonger(than: chosen.keep, now: now) {
                chosen = rule
            }
        }
        return RuleChoice(rule: chosen, matchingRules: matching.map(\.name), cutoff: chosen.keep.cutoff(now: now))
    }

    /// Holds whose channel criteria match `channel` (user holds without channel criteria included).
    public func holdsFor(channel: Conversation) -> [LegalHold] {
        holds.filter { $0.appliesTo(channel: channel) }
    }
}

/// The rule governing one channel, as `RetentionPolicy.ruleFor(channel:now:)` decides it.
public struct RuleChoice: Sendable, Hashable {
    public var rule: RetentionRule
    /// Names of every named rule matching the channel, in file order (empty → default).
    public var matchingRules: [String]
    /// Buckets ending at or before this Unix time are expired; nil when the rule keeps forever.
    public var cutoff: Int64?

    public var isDefault: Bool { rule.isDefault }
}
