import Foundation

/// What `lethe forget` removes (docs/ERASURE.md).
public enum ForgetScope: Sendable {
    /// Every message the user wrote (`MessageFields.user`: user, bot id or bot username).
    case user(String)
    /// One message, by conversation id and ts; with `withReplies`, its thread's replies too.
    case message(channelID: String, ts: SlackTimestamp, withReplies: Bool)
    /// Every message a search query matches (no limit).
    case query(SearchQuery, text: String)

    var kind: String {
        switch self {
        case .user: return "user"
        case .message: return "message"
        case .query: return "query"
        }
    }

    var target: String {
        switch self {
        case .user(let id): return id
        case .message(let c, let ts, let replies): return "\(c)/\(ts.string)" + (replies ? " with replies" : "")
        case .query(_, let text): return text
        }
    }

    /// A message given as `C0123/1712173142.143619` or as a Slack permalink
    /// (`https://…/archives/C0123/p1712173142143619`, a `thread_ts` query is ignored).
    public static func message(_ text: String, withReplies: Bool) throws -> ForgetScope {
        let bad = LetheError(.usage, "--message \(text) is neither CHANNEL/TS nor a Slack permalink",
                             hint: "use C01ABCD/1712173142.143619 or https://WORKSPACE.slack.com/archives/C01ABCD/p1712173142143619")
        var channel: Substring, ts: String
        if let r = text.range(of: "/archives/") {
            let parts = text[r.upperBound...].split(separator: "?")[0].split(separator: "/")
            guard parts.count >= 2, parts[1].hasPrefix("p"), parts[1].count > 7 else { throw bad }
            channel = parts[0]
            let digits = parts[1].dropFirst()
            ts = digits.dropLast(6) + "." + digits.suffix(6)
        } else {
            let parts = text.split(separator: "/")
            guard parts.count == 2 else { throw bad }
            channel = parts[0]
            ts = String(parts[1])
        }
        guard !channel.isEmpty, let stamp = SlackTimestamp(ts) else { throw bad }
        return .message(channelID: String(channel), ts: stamp, withReplies: withReplies)
    }
}

/// What a forget found (and, unless a dry run, did).
public struct ForgetReport: Codable, Sendable {
    public struct Channel: Codable, Sendable {
        public var channelID: String
        public var label: String
        public var messages: Int
        /// Forgotten messages per UTC day (`YYYY-MM-DD`).
        public var days: [String: Int]
    }

    /// One message that goes, as search shows it (dry runs of `--query` list them).
    public struct Message: Codable, Sendable {
        public var channelID: String
        public var channel: String
        public var ts: String
        public var user: String?
        public var text: String
    }

    public var scope: String
    public var target: String
    public var dryRun: Bool
    public var messages = 0
    public var bucketsRewritten = 0
    public var channels: [Channel] = []
    public var matches: [Message]?
    public var auditSeq: Int64?
    /// `--include-profile`: the user's name, display name and profile are (or would be) removed too.
    public var profileForgotten: Bool?
    public var seconds = 0.0
}

/// Refused: a legal hold covers messages the forget would remove.
public struct HeldByLegalHold: Error, Sendable {
    public var holds: [String: Int]
}

/// `lethe forget`: finds every message of the scope, refuses if a legal hold covers any of
/// them, then has the archive rewrite the buckets without them under new keys.
public enum ForgetJob {
    public static func run(_ archive: Archive, scope: ForgetScope, policy: RetentionPolicy?, reason: String,
                           dryRun: Bool, listMatches: Bool = false, includeProfile: Bool = false) throws -> ForgetReport {
        let started = Date()
        var report = ForgetReport(scope: scope.kind, target: scope.target, dryRun: dryRun)
        let users = try archive.userDirectory()
        let matcher = Matcher()
        var rewrites: [BucketRewrite] = []
        var held: [String: Int] = [:]
        var listed: [ForgetReport.Message] = []
        for c in try archive.conversations() {
            guard let cno = c.cno, wanted(c, scope: scope, users: users) else { continue }
            var entry = ForgetReport.Channel(channelID: c.id, label: c.label(users: users), messages: 0, days: [:])
            try archive.forEachSegment(cno: cno) { ref, opened in
                guard case .success(let segment) = opened else {
                    if case .failure(let e) = opened { archive.noteDamage(channel: c.id, bucket: ref.bucket, e) }
                    return
                }
                var kept = 0
                var gone: [SlackTimestamp] = []
                for m in segment.messages {
                    // Items (canvases, logs …) are not messages: forget leaves them (docs/ERASURE.md).
                    guard m.item == nil else { kept += 1; continue }
                    let f = MessageFields(m)
                    guard matches(f, in: c, scope: scope, users: users, matcher: matcher) else { kept += 1; continue }
                    for hold in policy?.holds ?? [] where covers(hold, f, in: c) { held[hold.name, default: 0] += 1 }
                    gone.append(m.ts)
                    entry.messages += 1
                    entry.days[CivilDate(unixSeconds: m.ts.seconds).description, default: 0] += 1
                    if listMatches {
                        listed.append(.init(channelID: c.id, channel: entry.label, ts: m.ts.string,
                                             user: f.user.map { users.user(id: $0).map { $0.displayName ?? $0.name ?? $0.id } ?? $0 },
                                             text: SlackMarkup.render(f.text, users: users) { _ in nil }))
                    }
                }
                if !gone.isEmpty { rewrites.append(BucketRewrite(ref: ref, channelID: c.id, forgotten: gone, keepsAny: kept > 0)) }
            }
            if entry.messages > 0 { report.channels.append(entry) }
        }
        report.messages = report.channels.reduce(0) { $0 + $1.messages }
        report.bucketsRewritten = rewrites.count
        if listMatches { report.matches = listed }
        if !held.isEmpty { throw HeldByLegalHold(holds: held) }
        if !dryRun && (!rewrites.isEmpty || includeProfile) {
            let record = AuditRecord(kind: "forget", seq: 0, prev: "", time: "", now: RetentionTime.iso8601(Int64(Date().timeIntervalSince1970)),
                                     policyDigest: policy?.sourceDigest ?? "", rules: [], buckets: rewrites.count, messages: report.messages,
                                     channelsDestroyed: 0)
            let detail = AuditDetail(shredded: [], heldBuckets: 0, damaged: nil,
                                     forget: AuditForget(reason: reason, scope: includeProfile ? scope.kind + " and profile" : scope.kind, target: scope.target,
                                                         channels: Dictionary(report.channels.map { ($0.channelID, $0.messages) }, uniquingKeysWith: +),
                                                         policyDigest: policy?.sourceDigest))
            report.auditSeq = rewrites.isEmpty ? try archive.appendForgetAudit(record, detail: detail)
                                               : try archive.rewrite(rewrites, audit: record, detail: detail)
        }
        if includeProfile, case .user(let id) = scope {
            report.profileForgotten = true
            if !dryRun { try archive.forgetProfile(slackID: id) }
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Whether a conversation can hold messages of the scope (so the others are not decrypted).
    static func wanted(_ c: Conversation, scope: ForgetScope, users: UserDirectory) -> Bool {
        switch scope {
        case .user: return true
        case .message(let id, _, _): return c.id == id
        case .query(let q, _): return q.wantsChannel(c, users: users)
        }
    }

    static func matches(_ f: MessageFields, in c: Conversation, scope: ForgetScope, users: UserDirectory, matcher: Matcher) -> Bool {
        switch scope {
        case .user(let id): return f.user == id
        case .message(_, let ts, let withReplies):
            let identity = Importer.identity(ts)
            if Importer.identity(f.ts) == identity { return true }
            guard withReplies, let thread = f.threadTS, let parent = SlackTimestamp(thread) else { return false }
            return Importer.identity(parent) == identity
        case .query(let q, _): return matcher.matches(q, f, channel: c, users: users, highlights: false) != nil
        }
    }

    /// A hold covers a message when its channel criteria match, the message's time is in its
    /// range, and (if it names people) the message's author is one of them.
    static func covers(_ hold: LegalHold, _ f: MessageFields, in c: Conversation) -> Bool {
        guard hold.appliesTo(channel: c), f.ts.seconds >= hold.rangeStart, f.ts.seconds < hold.rangeEnd else { return false }
        return hold.users.isEmpty || f.user.map(hold.users.contains) == true
    }
}
