/// A named rule: the channels it matches and how long it keeps their messages.
public struct RetentionRule: Sendable, Hashable {
    /// The name reserved for the policy's default rule.
    public static let defaultName = "default"

    /// Unique in the policy; `"default"` for the default rule.
    public var name: String
    /// Which channels the rule governs; nil for the default rule (it governs the rest).
    public var match: ChannelMatch?
    public var keep: RetentionDuration

    public init(name: String, match: ChannelMatch?, keep: RetentionDuration) {
        self.name = name
        self.match = match
        self.keep = keep
    }

    public var isDefault: Bool { match == nil }
}
