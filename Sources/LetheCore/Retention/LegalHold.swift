/// A legal hold: keeps expired buckets it covers, whatever the rules say.
///
/// A hold covers a bucket when its channel criteria (if any) match the channel, the
/// bucket overlaps `[from 00:00 UTC, until + 1 day 00:00 UTC)`, and, if `users` is not
/// empty, some message of the bucket by one of those users has a time inside that range.
public struct LegalHold: Sendable, Hashable {
    /// Unique among the policy's holds.
    public var name: String
    /// Free text naming the matter (`case:` in the file).
    public var caseName: String?
    /// Channel criteria; empty when the hold names only users (then it spans every channel).
    public var match: ChannelMatch
    /// Slack user ids; empty when the hold is by channel only.
    public var users: [String]
    /// First day held (inclusive, UTC); nil for open-ended.
    public var from: CivilDate?
    /// Last day held (inclusive, UTC); nil for open-ended.
    public var until: CivilDate?

    public init(name: String, caseName: String?, match: ChannelMatch, users: [String],
                from: CivilDate?, until: CivilDate?) {
        self.name = name
        self.caseName = caseName
        self.match = match
        self.users = users
        self.from = from
        self.until = until
    }

    /// Inclusive start of the held range in Unix seconds (Int64.min when open).
    public var rangeStart: Int64 { from?.unixSeconds ?? Int64.min }
    /// Exclusive end of the held range in Unix seconds (Int64.max when open).
    public var rangeEnd: Int64 { until.map { $0.unixSeconds + 86_400 } ?? Int64.max }

    /// True when the hold's channel criteria match (an empty match matches every channel).
    public func appliesTo(channel: Conversation) -> Bool { match.matches(channel) }

    /// True when `[start, end)` overlaps the held range.
    public func overlaps(start: Int64, end: Int64) -> Bool { start < rangeEnd && end > rangeStart }

    /// True when one of the authors is a held user writing inside the held range.
    public func coversAuthor(_ user: String, seconds: Int64) -> Bool {
        users.contains(user) && seconds >= rangeStart && seconds < rangeEnd
    }
}
