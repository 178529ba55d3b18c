import Foundation

/// Which messages a production takes (docs/EXPORT.md, "Selection").
///
/// Every criterion given must hold; the values of one criterion are alternatives. Each one
/// is the definition another command already uses, so that a production, a search and a
/// retention run agree on what they mean:
/// - `channels`: name globs exactly as a policy's `channels:` (`ChannelGlob`; a leading `#`
///   is dropped); a 1:1 DM has no name and is never matched by a glob.
/// - `users`: the author as a hold names it (`MessageFields.user`: `user`, else `bot_id`,
///   else `username`).
/// - `from`/`to`: UTC days, inclusive, on the message's own `ts`.
/// - `queries`: `lethe search`'s syntax (`QueryParser`, `Matcher`), every match; several
///   queries are alternatives (the grammar has no OR).
/// - `hold`: every bucket the hold covers, as `retention plan` decides it: the hold's channel
///   criteria match, the bucket overlaps its days, and when it names users one of them wrote
///   in the bucket within those days. A hold keeps whole buckets, so it selects whole buckets.
/// Thread context: a selected reply brings its parent, marked as context, unless `context` is false.
public struct Selection: Sendable {
    /// The selection as given, for the production's manifest and the audit's sealed detail.
    public struct Criteria: Codable, Sendable, Equatable {
        public var channels: [String]
        public var users: [String]
        public var from: String?
        public var to: String?
        public var queries: [String]
        public var hold: String?
        /// BLAKE2b-256 of the policy file the hold was read from (hex), with `hold`.
        public var policyDigest: String?
        public var context: Bool
    }

    public let criteria: Criteria
    let globs: [ChannelGlob]
    let users: Set<String>
    let queries: [SearchQuery]
    public let hold: LegalHold?
    /// `[from 00:00 UTC, to + 1 day 00:00 UTC)`.
    let timeRange: Range<Int64>
    public var context: Bool { criteria.context }

    /// Parses the command line's values; every error is a usage error naming the option.
    /// `policy` is needed with `hold` (and only then).
    public init(channels: [String] = [], users: [String] = [], from: String? = nil, to: String? = nil,
                queries: [String] = [], hold: String? = nil, policy: URL? = nil, context: Bool = true) throws {
        globs = try channels.map { value in
            let bare = value.hasPrefix("#") ? String(value.dropFirst()) : value
            do { return try ChannelGlob(bare) } catch let e as ChannelGlob.SyntaxError {
                throw LetheError(.usage, "--channel \(value): \(e.reason)", hint: e.hint ?? "give a channel name or a glob such as 'legal-*'")
            }
        }
        for u in users where u.isEmpty { throw LetheError(.usage, "--user: empty user id", hint: "give a Slack user id such as U024BE7LH (or a bot id)") }
        self.users = Set(users)
        func day(_ value: String?, _ option: String) throws -> CivilDate? {
            guard let value else { return nil }
            guard let d = CivilDate(iso: value) else {
                throw LetheError(.usage, "\(option) \(value): not a date", hint: "write a UTC day as YYYY-MM-DD")
            }
            return d
        }
        let lo = try day(from, "--from"), hi = try day(to, "--to")
        if let lo, let hi, hi < lo { throw LetheError(.usage, "--to \(hi) is before --from \(lo)", hint: "both days are included; give --from first") }
        timeRange = (lo?.unixSeconds ?? Int64.min)..<(hi.map { $0.unixSeconds + 86_400 } ?? Int64.max)
        self.queries = try queries.map { q in
            do { return try QueryParser.parse(q) } catch let e as LetheError {
                throw LetheError(.usage, "--query: \(e.message)", hint: e.hint)
            }
        }
        var digest: String?
        switch (hold, policy) {
        case (nil, nil): self.hold = nil
        case (let name?, let url?):
            let p = try RetentionJob.loadPolicy(url)
            guard let h = p.holds.first(where: { $0.name == name }) else {
                let names = p.holds.map(\.name)
                throw LetheError(.usage, "--hold \(name): \(url.path) has no hold of that name",
                                 hint: names.isEmpty ? "the policy has no holds" : "its holds: " + names.joined(separator: ", "))
            }
            self.hold = h
            digest = p.sourceDigest
        case (nil, _?): throw LetheError(.usage, "--policy is read only for --hold", hint: "add --hold NAME, or leave --policy out")
        case (_?, nil): throw LetheError(.usage, "--hold needs --policy FILE", hint: "give the policy file that defines the hold")
        }
        criteria = Criteria(channels: channels, users: users, from: lo?.description, to: hi?.description, queries: queries,
                            hold: hold, policyDigest: digest, context: context)
    }

    /// True when nothing narrows the selection: every message of the archive.
    public var isEverything: Bool { globs.isEmpty && users.isEmpty && queries.isEmpty && hold == nil && timeRange == SearchQuery.allTime }

    /// Whether any message of the conversation can be selected: its name matches a glob (when
    /// given), and the hold's channel criteria match (when a hold is given).
    public func wants(_ c: Conversation) -> Bool {
        if !globs.isEmpty {
            guard let name = c.name, globs.contains(where: { $0.matches(name) }) else { return false }
        }
        if let hold, !hold.appliesTo(channel: c) { return false }
        return true
    }

    /// Whether a bucket `[start, end)` can hold a selected message (before decrypting it).
    public func wantsBucket(start: Int64, end: Int64) -> Bool {
        guard start < timeRange.upperBound, end > timeRange.lowerBound else { return false }
        if let hold, !hold.overlaps(start: start, end: end) { return false }
        return true
    }

    /// Whether the hold keeps this bucket (its messages decrypted): true without a hold.
    public func holdCovers(_ messages: [MessageFields]) -> Bool {
        guard let hold, !hold.users.isEmpty else { return true }
        return messages.contains { m in m.user.map { hold.coversAuthor($0, seconds: m.ts.seconds) } ?? false }
    }

    /// Whether one message of a wanted conversation and covered bucket is selected.
    public func wants(_ m: MessageFields, in c: Conversation, users directory: UserDirectory) -> Bool {
        guard timeRange.contains(m.ts.seconds) else { return false }
        if !users.isEmpty {
            guard let u = m.user, users.contains(u) else { return false }
        }
        if !queries.isEmpty {
            let matcher = Matcher()
            guard queries.contains(where: { matcher.matches($0, m, channel: c, users: directory, highlights: false) != nil }) else { return false }
        }
        return true
    }

    /// The one person the selection is about, when it names exactly one (`--user`, or a
    /// hold's users): the RSMF custodian of the conversations they take part in.
    public var custodian: String? {
        if users.count == 1 { return users.first }
        if users.isEmpty, let hold, hold.users.count == 1 { return hold.users.first }
        return nil
    }
}
