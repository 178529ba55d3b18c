import Foundation

/// What one of slackdump's formats holds, found when it is opened: its conversations' and
/// users' objects as listed, the days its messages fall on, the attached files it holds,
/// and every file (or table) it does not import, with why.
struct SlackdumpIndex {
    /// Channel objects (slack.Channel: `conversations.info`), compacted, each id once, in the format's order.
    private(set) var channels: [(id: String, rawJSON: [UInt8], value: JSONValue)] = []
    /// Names of conversations the format knows without an object (a dump file's `name`).
    var names: [String: String] = [:]
    /// User objects (`users.list`), compacted, each id once.
    private(set) var users: [(rawJSON: [UInt8], value: JSONValue)] = []
    /// Conversation id → the UTC days of its messages.
    var days: [String: Set<CivilDate>] = [:]
    /// The files the format holds, by Slack file id (paths inside the source that holds them).
    var attachments: [String: [ExportAttachment]] = [:]
    var unread: [UnreadFile] = []
    var warnings: [ImportWarning] = []

    private var channelAt: [String: Int] = [:]
    private var userAt: [String: Int] = [:]

    /// Adds or replaces a channel object (a later listing of the same id is the newer one).
    mutating func list(channel value: JSONValue, rawJSON: [UInt8]) {
        guard let id = value["id"]?.stringValue, SlackdumpIndex.isSlackID(id) else { return skip("channel object(s) without a Slack id") }
        if let i = channelAt[id] {
            channels[i] = (id, rawJSON, value)
        } else {
            channelAt[id] = channels.count
            channels.append((id, rawJSON, value))
        }
    }

    /// Adds or replaces a user object.
    mutating func list(user value: JSONValue, rawJSON: [UInt8]) {
        guard let id = value["id"]?.stringValue, !id.isEmpty else { return skip("user object(s) without an id") }
        if let i = userAt[id] {
            users[i] = (rawJSON, value)
        } else {
            userAt[id] = users.count
            users.append((rawJSON, value))
        }
    }

    /// What was skipped that belongs to no conversation (a description → how many), for the warnings.
    private(set) var skipped: [String: Int] = [:]

    mutating func skip(_ what: String, _ n: Int = 1) { skipped[what, default: 0] += n }

    /// Conversation id → how many of its message copies are not objects with a valid `ts` (skipped).
    var invalid: [String: Int] = [:]

    /// Notes the day of each message (and of each reply nested in it) of a conversation.
    mutating func count(_ messages: [JSONValue], in channelID: String) {
        if days[channelID] == nil { days[channelID] = [] }
        for m in messages {
            if m.objectValue != nil, let ts = m["ts"]?.stringValue.flatMap(SlackTimestamp.init) {
                days[channelID, default: []].insert(CivilDate(unixSeconds: ts.seconds))
            } else {
                invalid[channelID, default: 0] += 1
            }
            if let replies = m[SlackdumpIndex.nestedReplies]?.arrayValue { count(replies, in: channelID) }
        }
    }

    /// slackdump's dump nests a thread's replies in its parent under this key.
    static let nestedReplies = "slackdump_thread_replies"

    /// Upper-case letters and digits, 2 to 32 of them: a Slack id that is also a safe folder name.
    static func isSlackID(_ s: String) -> Bool {
        s.count >= 2 && s.count <= 32 && s.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
    }

    /// A conversation's messages as a Slack export holds them: each message once (by `ts`,
    /// the last copy kept: slackdump repeats a thread's parent in its reply pages and a
    /// broadcast reply in the history), the replies nested in a dump's parent taken out
    /// into messages of their own, sorted by `ts`. What is not an object with a valid `ts` is
    /// left out (`count` counted it when the format was opened, and the import reports it).
    static func flatten(_ messages: [JSONValue]) -> [(ts: SlackTimestamp, json: [UInt8])] {
        var byTS: [String: (SlackTimestamp, [UInt8])] = [:]
        func add(_ m: JSONValue) {
            guard case .object(var members) = m, let ts = m["ts"]?.stringValue.flatMap(SlackTimestamp.init) else { return }
            let replies = m[nestedReplies]?.arrayValue ?? []
            members.removeAll { $0.key == nestedReplies }
            byTS[ts.string] = (ts, JSONValue.object(members).encoded())
            for r in replies { add(r) }
        }
        for m in messages { add(m) }
        return byTS.values.sorted { $0.0 < $1.0 }.map { (ts: $0.0, json: $0.1) }
    }
}

/// One of slackdump's formats, opened: its index, and the messages of one conversation at a time.
protocol SlackdumpReader: AnyObject {
    var shape: SlackdumpShape { get }
    var index: SlackdumpIndex { get }
    /// Every copy of every message of the conversation the format holds, in the order
    /// held (a dump's parents with their replies nested), for `SlackdumpIndex.flatten`.
    func messages(of channelID: String) throws -> [JSONValue]
}

/// A slackdump format seen through the export model: each conversation's messages are served
/// as day files `<conversation id>/<YYYY-MM-DD>.json` (UTC days) made from the format's
/// records, and attachments are read from the source that holds them. One conversation's
/// messages are held at a time (two, while the importer's read-ahead crosses into the next).
final class SlackdumpSource: ExportSource, @unchecked Sendable {
    let displayName: String
    let entries: [String]
    let listingWarnings: [ImportWarning]
    let reader: any SlackdumpReader
    /// Where the attachments are (the format's folder or zip), if anywhere.
    let files: (any ExportSource)?
    private let lock = NSLock()
    private var cache: [(id: String, days: [CivilDate: [UInt8]])] = []

    /// What the format holds (the reader's index, with the files beside a database).
    let index: SlackdumpIndex

    /// `database`: the path of the database inside `files` (its folder), whose other files are
    /// then its attachments (`<prefix>__uploads/<FILE_ID>/<name>`) or listed as unread.
    init(displayName: String, reader: any SlackdumpReader, files: (any ExportSource)?, prefix: String = "", database: String? = nil) {
        self.displayName = displayName
        self.reader = reader
        self.files = files
        self.listingWarnings = files?.listingWarnings ?? []
        var index = reader.index
        if reader.shape == .database, let files {
            let own = database.map { [$0, $0 + "-wal", $0 + "-shm", $0 + "-journal"] } ?? []
            for path in files.entries where !own.contains(path) {
                let inner = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : nil
                if let inner, let a = ExportAttachment(path: inner), a.mattermost {
                    index.attachments[a.fileID, default: []].append(ExportAttachment(fileID: a.fileID, path: path, name: a.name, folder: nil, mattermost: true))
                } else {
                    index.unread.append(UnreadFile(path: path, reason: inner?.hasPrefix("__avatars/") == true ? "a user's avatar: not archived"
                        : inner == nil ? "outside the folder of the slackdump database read" : "not part of slackdump's archive (its database and __uploads/)"))
                }
            }
        }
        self.index = index
        var entries: [String] = []
        for (id, days) in index.days.sorted(by: { $0.key < $1.key }) {
            entries += days.sorted().map { SlackdumpSource.dayPath(id, $0) }
        }
        self.entries = entries + index.attachments.values.joined().map(\.path)
    }

    static func dayPath(_ id: String, _ day: CivilDate) -> String { "\(id)/\(day).json" }

    func read(_ path: String, maxBytes: Int) throws -> [UInt8] {
        let parts = path.split(separator: "/")
        if parts.count == 2, parts[1].hasSuffix(".json"), let day = CivilDate(iso: String(parts[1].dropLast(5))), index.days[String(parts[0])] != nil {
            let bytes = try dayFile(String(parts[0]), day)
            guard bytes.count <= maxBytes else { throw LetheError(.badInput, "\(displayName): the messages of \(parts[0]) on \(day) are over \(maxBytes) bytes") }
            return bytes
        }
        guard let files else { throw LetheError(.badInput, "\(displayName): no \(path)") }
        return try files.read(path, maxBytes: maxBytes)
    }

    func head(_ path: String, count: Int) -> [UInt8]? { files?.head(path, count: count) }

    func stream(_ path: String, maxBytes: Int64, _ consumer: ([UInt8]) throws -> Void) throws {
        guard let files else { throw LetheError(.badInput, "\(displayName): no \(path)") }
        try files.stream(path, maxBytes: maxBytes, consumer)
    }

    func statedSize(_ path: String) -> Int64? { files?.statedSize(path) }

    /// One day's messages of a conversation as a day file's JSON array.
    private func dayFile(_ id: String, _ day: CivilDate) throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        if let hit = cache.first(where: { $0.id == id }) { return hit.days[day] ?? Array("[]".utf8) }
        let messages = SlackdumpIndex.flatten(try reader.messages(of: id))
        var days: [CivilDate: [UInt8]] = [:]
        for m in messages {
            let d = CivilDate(unixSeconds: m.ts.seconds)
            if days[d] == nil { days[d] = [0x5B] } else { days[d]!.append(0x2C) }
            days[d]!.append(contentsOf: m.json)
        }
        for d in days.keys { days[d]?.append(0x5D) }
        cache.append((id, days))
        if cache.count > 2 { cache.removeFirst() }
        return days[day] ?? Array("[]".utf8)
    }
}
