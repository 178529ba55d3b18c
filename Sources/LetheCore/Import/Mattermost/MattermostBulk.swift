import Foundation

/// Mattermost's bulk export (`mmctl export create`: a zip holding `import.jsonl`, one JSON object
/// per line, `{"type": …, "<type>": {…}}`), read into the export model (docs/EXPORT.md, "Mattermost").
///
/// Each post becomes a message in Slack's shape, so retention, search and the Slack exporter
/// need nothing new: `ts` from `create_at` (milliseconds; posts of one conversation created in
/// the same millisecond are told apart by the microsecond digits, in file order), `user` the
/// username, `text` the message, `thread_ts` and `reply_count` for a thread, `edited.ts` from
/// `edit_at`, `reactions` grouped by emoji, `subtype` a system post's type. The post's own object
/// is kept verbatim under `lethe_mattermost` (a root post without its `replies`, which are
/// messages of their own, in order by `lethe_mattermost_reply`), so `MattermostWriter` gives
/// the lines back as they were.
///
/// Conversations are named `mm:<team>:<channel>` and `mm:dm:<user>,<user>…` (sorted usernames):
/// no Slack id has a `:`, which is how `Conversation.platform` tells them apart. Users are
/// named by their username, as posts name them.
struct MattermostBulk {
    /// The id prefix of every Mattermost conversation.
    static let idPrefix = "mm:"

    struct Channel {
        var id: String
        var kind: ConversationKind
        var team: String?
        var name: String?
        /// The `channel` or `direct_channel` object as listed; nil for one known only from its posts.
        var native: JSONValue?
        var members: [String]
    }

    private(set) var channels: [Channel] = []
    private var channelAt: [String: Int] = [:]
    /// Team name → its object, in the order listed.
    private(set) var teams: [(name: String, native: JSONValue)] = []
    private var teamAt: [String: Int] = [:]
    /// The `user` objects, by username, in the order listed.
    private(set) var users: [(username: String, native: JSONValue)] = []
    private var userAt: [String: Int] = [:]
    /// Conversation id → the UTC days of its posts and replies.
    private(set) var days: [String: Set<CivilDate>] = [:]
    /// The post objects, sealed out of memory as they are read (`SealedSpill`): conversation id →
    /// its records, in file order, each holding posts as `u32 length || compacted JSON`.
    private let spill: SealedSpill
    private var chunks: [String: [SealedSpill.Record]] = [:]
    /// Posts read but not yet sealed, and their bytes.
    private var pending: [(id: String, json: [UInt8])] = []
    private var pendingBytes = 0
    static let pendingLimit = 4 << 20
    let limits: ImportLimits
    private(set) var warnings: [ImportWarning] = []
    /// Line types not archived → count.
    private(set) var unreadTypes: [String: Int] = [:]
    /// The paths posts' `attachments` name (into the export's `data/` folder), each once.
    private(set) var attachmentPaths = Set<String>()
    private(set) var lines = 0
    private(set) var posts = 0
    let file: String

    init(file: String, limits: ImportLimits) throws {
        self.file = file
        self.limits = limits
        spill = try SealedSpill()
    }

    /// Reads the whole JSONL entry `path` of `source`, line by line, within `limits`
    /// (a line over `limits.maxLineBytes` or not JSON is refused, naming the file and line).
    static func read(_ source: any ExportSource, path: String, limits: ImportLimits) throws -> MattermostBulk {
        var bulk = try MattermostBulk(file: path, limits: limits)
        var line: [UInt8] = []
        var number = 0
        func finish() throws {
            number += 1
            defer { line.removeAll(keepingCapacity: line.count < 1 << 20) }
            guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
            let value: JSONValue
            do {
                value = try JSONValue.parse(line, limits: limits)
            } catch {
                throw LetheError(.badInput, "\(source.displayName): \(path) line \(number): not a JSON value (\(error))")
            }
            try bulk.add(value, line: number)
        }
        try source.stream(path, maxBytes: limits.maxTotalBytes) { chunk in
            var start = 0
            while let nl = chunk[start...].firstIndex(of: 0x0A) {
                guard line.count + (nl - start) <= limits.maxLineBytes else { throw tooLong(source, path, number + 1, limits) }
                line.append(contentsOf: chunk[start..<nl])
                try finish()
                start = nl + 1
            }
            guard line.count + (chunk.count - start) <= limits.maxLineBytes else { throw tooLong(source, path, number + 1, limits) }
            line.append(contentsOf: chunk[start...])
        }
        if !line.isEmpty { try finish() }
        try bulk.seal()
        bulk.lines = number
        for (username, native) in bulk.users {
            for team in native["teams"]?.arrayValue ?? [] {
                guard let t = nonEmpty(team["name"]) else { continue }
                for c in team["channels"]?.arrayValue ?? [] {
                    if let name = nonEmpty(c["name"]) { bulk.addMember(username, team: t, channel: name) }
                }
            }
        }
        return bulk
    }

    private static func tooLong(_ source: any ExportSource, _ path: String, _ number: Int, _ limits: ImportLimits) -> LetheError {
        LetheError(.badInput, "\(source.displayName): \(path) line \(number) is over \(limits.maxLineBytes) bytes",
                   hint: "no Mattermost line is that long; the file is damaged or hostile (the limit is ImportLimits.maxLineBytes)")
    }

    private func where_(_ line: Int) -> String { "\(file) line \(line)" }

    private mutating func add(_ value: JSONValue, line: Int) throws {
        guard value.objectValue != nil, let type = value["type"]?.stringValue else {
            throw LetheError(.badInput, "\(where_(line)): not a Mattermost bulk export line (an object with a \"type\")")
        }
        guard let body = value[type], body.objectValue != nil else {
            if type == "version" {
                if value["version"]?.description != "1" {
                    warnings.append(ImportWarning(file: where_(line), reason: "bulk export version \(value["version"]?.description ?? "none"), read as version 1", isNote: true))
                }
                return
            }
            throw LetheError(.badInput, "\(where_(line)): a \"\(type)\" line without its \"\(type)\" object")
        }
        switch type {
        case "team":
            guard let name = Self.nonEmpty(body["name"]) else { return skip("team", line, "no name") }
            if let i = teamAt[name] { teams[i].native = body } else { teamAt[name] = teams.count; teams.append((name, body)) }
        case "channel":
            guard let team = Self.nonEmpty(body["team"]), let name = Self.nonEmpty(body["name"]) else { return skip("channel", line, "no team or name") }
            let kind: ConversationKind = body["type"]?.stringValue == "P" ? .privateChannel : .publicChannel
            list(Channel(id: Self.channelID(team: team, name: name), kind: kind, team: team, name: name, native: body, members: []))
        case "direct_channel":
            let members = Self.members(of: body)
            guard members.count >= 1 else { return skip("direct_channel", line, "no members") }
            list(Channel(id: Self.directID(members), kind: members.count > 2 ? .groupDM : .dm, team: nil, name: nil, native: body, members: members))
        case "user":
            guard let name = Self.nonEmpty(body["username"]) else { return skip("user", line, "no username") }
            if let i = userAt[name] { users[i].native = body } else { userAt[name] = users.count; users.append((name, body)) }
        case "post":
            guard let team = Self.nonEmpty(body["team"]), let channel = Self.nonEmpty(body["channel"]) else { return skip("post", line, "no team or channel") }
            let id = Self.channelID(team: team, name: channel)
            if channelAt[id] == nil {
                list(Channel(id: id, kind: .publicChannel, team: team, name: channel, native: nil, members: []))
            }
            try post(body, in: id, line: line)
        case "direct_post":
            let members = (body["channel_members"]?.arrayValue ?? []).compactMap(Self.nonEmpty)
            guard !members.isEmpty else { return skip("direct_post", line, "no channel_members") }
            let id = Self.directID(members)
            if channelAt[id] == nil {
                let sorted = Array(Set(members)).sorted()
                list(Channel(id: id, kind: sorted.count > 2 ? .groupDM : .dm, team: nil, name: nil, native: nil, members: sorted))
            }
            try post(body, in: id, line: line)
        default:
            unreadTypes[type, default: 0] += 1
        }
    }

    private mutating func skip(_ type: String, _ line: Int, _ why: String) {
        warnings.append(ImportWarning(file: where_(line), reason: "a \"\(type)\" line with \(why): skipped"))
    }

    private mutating func list(_ c: Channel) {
        if let i = channelAt[c.id] {
            channels[i].native = c.native ?? channels[i].native
            channels[i].kind = c.kind
            if !c.members.isEmpty { channels[i].members = c.members }
        } else {
            channelAt[c.id] = channels.count
            channels.append(c)
        }
    }

    /// Notes a channel's member (from a user's `teams[].channels[]`).
    mutating func addMember(_ username: String, team: String, channel: String) {
        guard let i = channelAt[Self.channelID(team: team, name: channel)], !channels[i].members.contains(username) else { return }
        channels[i].members.append(username)
    }

    /// Checks a post and its replies, notes their days and attachments, and sets the post aside
    /// (sealed) for `messages(of:)`.
    private mutating func post(_ body: JSONValue, in id: String, line: Int) throws {
        guard body.objectValue != nil, Self.nonEmpty(body["user"]) != nil, let created = Self.millis(body["create_at"]) else {
            return skip("post", line, "no user or no valid create_at")
        }
        let replies = body["replies"]?.arrayValue ?? []
        let valid = replies.compactMap(Self.validReply)
        if valid.count < replies.count {
            warnings.append(ImportWarning(file: where_(line), reason: "\(replies.count - valid.count) reply(ies) without a user or a valid create_at: skipped"))
        }
        for (object, _, millis) in [(body, "", created)] + valid {
            days[id, default: []].insert(CivilDate(unixSeconds: millis / 1000))
            for a in object["attachments"]?.arrayValue ?? [] { if let path = Self.nonEmpty(a["path"]) { attachmentPaths.insert(path) } }
        }
        posts += 1 + valid.count
        let json = body.encoded()
        pending.append((id, json))
        pendingBytes += json.count
        if pendingBytes >= Self.pendingLimit { try seal() }
    }

    private static func validReply(_ r: JSONValue) -> (JSONValue, String, Int64)? {
        guard r.objectValue != nil, let u = nonEmpty(r["user"]), let c = millis(r["create_at"]) else { return nil }
        return (r, u, c)
    }

    /// Seals the pending posts, one record per conversation.
    private mutating func seal() throws {
        var order: [String] = []
        var grouped: [String: [UInt8]] = [:]
        for (id, json) in pending {
            if grouped[id] == nil { order.append(id) }
            grouped[id, default: []] += withUnsafeBytes(of: UInt32(json.count).littleEndian, Array.init) + json
        }
        for id in order { chunks[id, default: []].append(try spill.append(grouped[id]!)) }
        pending.removeAll(keepingCapacity: true)
        pendingBytes = 0
    }

    /// The messages of one conversation by UTC day (compacted Slack-shaped JSON, in file order):
    /// each post and each reply, `ts` from `create_at` with the posts of one millisecond counted
    /// in file order (so a re-import gives every post its ts again).
    func messages(of id: String) throws -> [CivilDate: [[UInt8]]] {
        var out: [CivilDate: [[UInt8]]] = [:]
        var sameMillisecond: [Int64: Int] = [:]
        func stamp(_ millis: Int64) -> SlackTimestamp {
            let k = sameMillisecond[millis, default: 0]
            sameMillisecond[millis] = k + 1
            return Self.timestamp(millis, extra: min(k, 999))
        }
        func emit(_ message: JSONValue, _ ts: SlackTimestamp) {
            out[CivilDate(unixSeconds: ts.seconds), default: []].append(message.encoded())
        }
        for record in chunks[id] ?? [] {
            let bytes = try spill.read(record)
            var at = 0
            while at + 4 <= bytes.count {
                let n = Int(UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
                let body = try JSONValue.parse(bytes[(at + 4)..<(at + 4 + n)], limits: limits)
                at += 4 + n
                guard case .object(var members) = body, let user = Self.nonEmpty(body["user"]), let created = Self.millis(body["create_at"]) else { continue }
                let replies = (body["replies"]?.arrayValue ?? []).compactMap(Self.validReply)
                if body["replies"]?.arrayValue?.isEmpty == false { members.removeAll { $0.key == "replies" } }
                let ts = stamp(created)
                emit(Self.message(.object(members), ts: ts, user: user, thread: replies.isEmpty ? nil : (ts, replies.count), reply: nil), ts)
                for (k, (r, u, c)) in replies.enumerated() {
                    let rts = stamp(c)
                    emit(Self.message(r, ts: rts, user: u, thread: (ts, nil), reply: k), rts)
                }
            }
        }
        return out
    }

    static func timestamp(_ millis: Int64, extra: Int = 0) -> SlackTimestamp {
        let micros = (millis % 1000) * 1000 + Int64(extra)
        return SlackTimestamp("\(millis / 1000)." + String(repeating: "0", count: 6 - String(micros).count) + String(micros))!
    }

    /// A post or reply in Slack's shape, with its own object under `lethe_mattermost`.
    static func message(_ native: JSONValue, ts: SlackTimestamp, user: String, thread: (ts: SlackTimestamp, replies: Int?)?, reply: Int?) -> JSONValue {
        var m: [(key: String, value: JSONValue)] = [("type", .string("message")), ("ts", .string(ts.string)), ("user", .string(user)),
                                                     ("text", .string(native["message"]?.stringValue ?? ""))]
        if let subtype = nonEmpty(native["type"]) { m.append(("subtype", .string(subtype))) }
        if let thread {
            m.append(("thread_ts", .string(thread.ts.string)))
            if let n = thread.replies { m.append(("reply_count", .number(String(n)))) }
        }
        if let edited = millis(native["edit_at"]), edited > 0 {
            m.append(("edited", .object([("user", .string(user)), ("ts", .string(timestamp(edited).string))])))
        }
        var order: [String] = []
        var byEmoji: [String: [String]] = [:]
        for r in native["reactions"]?.arrayValue ?? [] {
            guard let e = nonEmpty(r["emoji_name"]), let u = nonEmpty(r["user"]) else { continue }
            if byEmoji[e] == nil { order.append(e) }
            byEmoji[e, default: []].append(u)
        }
        if !order.isEmpty {
            m.append(("reactions", .array(order.map { e -> JSONValue in
                .object([("name", .string(e)), ("users", .array(byEmoji[e]!.map { .string($0) })), ("count", .number(String(byEmoji[e]!.count)))])
            })))
        }
        // Each attached file as a Slack `files[]` element, so the importer stores it with the message's
        // bucket (matched to the export's file by `MattermostSource`): its id is made from its path.
        let files = (native["attachments"]?.arrayValue ?? []).compactMap { a -> JSONValue? in
            guard let path = nonEmpty(a["path"]) else { return nil }
            let name = path.split(separator: "/").last.map(String.init) ?? path
            return .object([("id", .string(fileID(path: path))), ("name", .string(name)), ("lethe_mattermost_path", .string(path))])
        }
        if !files.isEmpty { m.append(("files", .array(files))) }
        m.append(("lethe_mattermost", native))
        if let reply { m.append(("lethe_mattermost_reply", .number(String(reply)))) }
        return .object(m)
    }

    /// The Slack-style file id of an attachment path: `F` and the first 10 bytes of its SHA-256, hex, upper case.
    static func fileID(path: String) -> String {
        "F" + KDF.sha256(Array(path.utf8)).prefix(10).map { String(format: "%02X", $0) }.joined()
    }

    static func channelID(team: String, name: String) -> String { "\(idPrefix)\(team):\(name)" }
    static func directID(_ members: [String]) -> String { "\(idPrefix)dm:" + Array(Set(members)).sorted().joined(separator: ",") }

    /// A direct channel's usernames: `members` (older exports) or `participants[].username`.
    static func members(of body: JSONValue) -> [String] {
        if let m = body["members"]?.arrayValue { return m.compactMap(nonEmpty) }
        return (body["participants"]?.arrayValue ?? []).compactMap { nonEmpty($0["username"]) }
    }

    static func nonEmpty(_ v: JSONValue?) -> String? { v?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }

    /// A non-negative integer number of milliseconds (at most year 9999).
    static func millis(_ v: JSONValue?) -> Int64? {
        guard case .number(let literal)? = v, let n = Int64(literal), n >= 0, n < 253_402_300_800_000 else { return nil }
        return n
    }
}
