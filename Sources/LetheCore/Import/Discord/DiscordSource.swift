import Foundation

/// DiscordChatExporter's JSON exports (one file per channel, or several `[part N]` files of one;
/// a folder or zip of them, a whole server at once), read into the export model (docs/EXPORT.md,
/// "Discord").
///
/// Each message becomes one in Slack's shape, as Mattermost's posts do: `ts` from `timestamp`
/// (its milliseconds, then three digits from its Discord id, so the same message in two
/// exports has the same ts), `user` the author's id, `text` the content, `edited.ts` from
/// `timestampEdited`, `thread_ts` the ts of the message a reply references (when it is in this
/// export), `reactions` by emoji, `subtype` a message type other than `Default`/`Reply`, and the
/// message's own object under `lethe_discord`. Conversations are `dc:<channel id>` (a guild
/// channel in its guild's workspace: `in:<guild>/#channel`); the file's other members (guild,
/// channel, dateRange, exportedAt) are kept with the conversation, so `DiscordWriter` writes the
/// file back. Authors are the users (Discord's exports list no others).
final class DiscordSource: ExportSource, @unchecked Sendable {
    static let idPrefix = "dc:"

    let displayName: String
    private(set) var entries: [String] = []
    let listingWarnings: [ImportWarning]
    private(set) var conversations: [Conversation] = []
    private(set) var users: [User] = []
    private(set) var warnings: [ImportWarning] = []
    private(set) var unread: [UnreadFile] = []
    /// The downloaded copies of attachments the export holds (DiscordChatExporter's `--media`), by file id.
    private(set) var attachments: [String: [ExportAttachment]] = [:]
    private let files: any ExportSource
    /// The channel files of each conversation id, in path order (a partitioned export's parts).
    private var parts: [String: [String]] = [:]
    /// Conversation id → the UTC days of its messages.
    private(set) var days: [String: Set<CivilDate>] = [:]
    private let limits: ImportLimits
    /// The messages, sealed out of memory as they are read: channel file → its records, each a
    /// run of length-prefixed messages (`SealedSpill`, as Mattermost's posts are).
    private let spill: SealedSpill
    private var records: [String: [SealedSpill.Record]] = [:]
    private var pending: [(path: String, json: [UInt8])] = []
    private var pendingBytes = 0
    static let pendingLimit = 4 << 20
    private let lock = NSLock()
    private var cache: [(id: String, days: [CivilDate: [[UInt8]]])] = []

    /// The channel files of a source holding no Slack day files: `.json` files at any depth whose
    /// top is an object with `guild`, `channel` and `messages` (nil when there is none).
    static func detect(_ source: any ExportSource) -> [String]? {
        let found = source.entries.filter { path in
            guard path.hasSuffix(".json"), let head = source.head(path, count: 512) else { return false }
            let text = String(decoding: head, as: UTF8.self)
            return text.drop { $0 == "\u{FEFF}" || $0.isWhitespace }.first == "{" && text.contains("\"guild\"") && text.contains("\"channel\"")
        }
        return found.isEmpty ? nil : found.sorted()
    }

    init(_ source: any ExportSource, channelFiles: [String], limits: ImportLimits) throws {
        displayName = source.displayName
        listingWarnings = source.listingWarnings
        files = source
        self.limits = limits
        var authors: [(id: String, native: JSONValue)] = []
        var authorAt: [String: Int] = [:]
        var membersOf: [String: [String]] = [:]
        var taken = Set<String>()
        let listed = Set(source.entries)
        var used = Set<String>()
        spill = try SealedSpill()
        for path in channelFiles {
            // The messages are sealed out of memory as they stream past; the rest is parsed at the end.
            var invalid = 0
            var (remote, absent) = (0, 0)
            var fileDays = Set<CivilDate>()
            var fileAuthors: [String] = []
            var count = 0
            func take(_ m: JSONValue) throws {
                count += 1
                for a in m["attachments"]?.arrayValue ?? [] {
                    guard let file = Self.attachmentFile(a) else { continue }
                    guard let relative = Self.localPath(file.url) else { remote += 1; continue }
                    guard let entry = Self.resolve(relative, besides: path), listed.contains(entry) else { absent += 1; continue }
                    attachments[file.id] = [ExportAttachment(fileID: file.id, path: entry, name: file.name, folder: nil, mattermost: true)]
                    used.insert(entry)
                }
                guard let ts = Self.timestamp(of: m) else { invalid += 1; return }
                fileDays.insert(CivilDate(unixSeconds: ts.seconds))
                if let author = m["author"], let a = Self.nonEmpty(author["id"]) {
                    if !fileAuthors.contains(a) { fileAuthors.append(a) }
                    if let i = authorAt[a] { authors[i].native = author } else { authorAt[a] = authors.count; authors.append((a, author)) }
                }
                try hold(m.encoded(), of: path)
            }
            let value = try Self.stream(source, path, limits: limits) { try take($0) }
            guard let channel = value["channel"], let channelID = DiscordSource.nonEmpty(channel["id"]), let inline = value["messages"]?.arrayValue else {
                throw LetheError(.badInput, "\(source.displayName): \(path): a DiscordChatExporter file needs a channel with an id and a messages array")
            }
            for m in inline { try take(m) }  // a `messages` key the stream did not see (written with escapes)
            let id = Self.idPrefix + channelID
            parts[id, default: []].append(path)
            days[id, default: []].formUnion(fileDays)
            for a in fileAuthors where membersOf[id]?.contains(a) != true { membersOf[id, default: []].append(a) }
            if remote > 0 {
                warnings.append(ImportWarning(file: path, reason: "\(remote) attachment(s) named by URL only: each URL is kept in its message, the files are not archived (DiscordChatExporter's --media downloads them beside the JSON)"))
            }
            if absent > 0 {
                warnings.append(ImportWarning(file: path, reason: "\(absent) attachment(s) naming a downloaded copy this export does not hold (or a path leaving it): not archived"))
            }
            if invalid > 0 {
                warnings.append(ImportWarning(file: path, reason: "\(invalid) message(s) without an id or a valid timestamp: skipped"))
            }
            if parts[id]!.count > 1 { continue }  // a later part: the conversation is listed once
            let kind: ConversationKind
            switch channel["type"]?.stringValue ?? "" {
            case "DirectTextChat": kind = .dm
            case "DirectGroupTextChat": kind = .groupDM
            case let t where t.contains("Private"): kind = .privateChannel
            default: kind = .publicChannel
            }
            let guild = value["guild"]
            let guildName = kind == .dm || kind == .groupDM ? nil : Self.nonEmpty(guild?["name"])
            let name = Self.nonEmpty(channel["name"])
            var meta: [(String, JSONValue)] = [("id", .string(id))]
            if let name { meta.append(("name", .string(name))) }
            meta.append(("is_private", .bool(kind == .privateChannel)))
            if let topic = channel["topic"]?.stringValue { meta.append(("topic", .object([("value", .string(topic))]))) }
            meta.append(("lethe_platform", .string(Platform.discord.rawValue)))
            if case .object(let top) = value {
                // Everything but the messages; `messageCount` too, written back while the file's messages all are.
                meta.append(("lethe_discord", .object(top.filter { $0.key != "messages" })))
                meta.append(("lethe_discord_messages", .number(String(count))))
            }
            let (folder, reason) = FolderName.assign(name ?? channelID, id: id, taken: &taken)
            if let reason {
                warnings.append(ImportWarning(file: id, reason: "conversation \(id): its name cannot be a folder as it is (\(reason)); it is exported to \"\(folder)\"", isNote: true))
            }
            var conversation = Conversation(kind: kind, id: id, name: kind == .dm ? nil : name, folder: folder, isArchived: false,
                                            rawJSON: JSONValue.object(meta).encoded())
            conversation.workspaces = guildName.map { [$0] } ?? []
            conversations.append(conversation)
        }
        try seal()
        users = authors.map { id, native in
            let name = Self.nonEmpty(native["name"])
            let display = Self.nonEmpty(native["nickname"]) ?? name
            let raw = JSONValue.object([("id", .string(id)), ("name", .string(name ?? id)),
                                        ("profile", .object([("display_name", .string(display ?? ""))])),
                                        ("lethe_platform", .string(Platform.discord.rawValue)), ("lethe_discord", native)]).encoded()
            return User(id: id, name: name, displayName: display, rawJSON: raw)
        }
        // A DM's members: its authors (Discord's exports list no members), so it shows as `@a, @b`.
        for i in conversations.indices where conversations[i].kind == .dm || conversations[i].kind == .groupDM {
            let c = conversations[i]
            guard case .object(var meta)? = try? JSONValue.parse(c.rawJSON) else { continue }
            meta.insert(("members", .array((membersOf[c.id] ?? []).map { .string($0) })), at: min(2, meta.count))
            conversations[i] = Conversation(kind: c.kind, id: c.id, name: c.name, folder: c.folder, isArchived: false, rawJSON: JSONValue.object(meta).encoded())
        }
        var entries: [String] = []
        for (id, set) in days.sorted(by: { $0.key < $1.key }) { entries += set.sorted().map { Self.dayPath(id, $0) } }
        self.entries = entries + used.sorted()
        let read = Set(channelFiles)
        unread = source.entries.filter { !read.contains($0) && !used.contains($0) }.sorted().map {
            UnreadFile(path: $0, reason: $0.hasSuffix(".json") ? "not a DiscordChatExporter channel file"
                : "no message's attachment names it (downloaded avatars, icons, emoji and embeds' images are not archived)")
        }
    }

    /// An attachment's file: its id (from its Discord id, so the same attachment in two exports is
    /// one file), name and URL or path (nil without a url).
    static func attachmentFile(_ a: JSONValue) -> (id: String, name: String, url: String)? {
        guard let url = nonEmpty(a["url"]) else { return nil }
        let key = nonEmpty(a["id"]).map { "discord-attachment:" + $0 } ?? "discord-attachment-url:" + url
        let name = nonEmpty(a["fileName"]) ?? String(url.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? "")
        return (MattermostBulk.fileID(path: key), name, url)
    }

    /// A downloaded copy's path as DiscordChatExporter writes it (relative to the channel file,
    /// `\\` on Windows), with `/`: nil for a URL or an absolute path, which are never opened.
    static func localPath(_ url: String) -> String? {
        let u = Array(url.utf8)
        if url.contains("://") || u.first == UInt8(ascii: "/") || u.first == UInt8(ascii: "\\") { return nil }
        if u.count >= 2, u[1] == UInt8(ascii: ":") { return nil }  // C:\… (a drive letter)
        return url.replacingOccurrences(of: "\\", with: "/")
    }

    /// `relative` (a `localPath`) resolved against the folder of `channelFile`: nil when a `..`
    /// would leave the export's root. The result is looked up among the export's own entries only.
    static func resolve(_ relative: String, besides channelFile: String) -> String? {
        var parts = channelFile.split(separator: "/", omittingEmptySubsequences: true).dropLast().map(String.init)
        for p in relative.split(separator: "/", omittingEmptySubsequences: true) {
            if p == "." { continue }
            if p == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(String(p))
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    static func dayPath(_ id: String, _ day: CivilDate) -> String { "\(id)/\(day).json" }

    /// Streams one channel file: `take` gets each message as it is read (parsed strictly), and
    /// the file's other members come back (with `messages` empty, or whole when the stream did not see it).
    private static func stream(_ source: any ExportSource, _ path: String, limits: ImportLimits, _ take: (JSONValue) throws -> Void) throws -> JSONValue {
        let name = "\(source.displayName): \(path)"
        var index = 0
        var failure: Error?
        var reader = DiscordChannelStream(maxPiece: limits.maxLineBytes)
        func message(_ bytes: [UInt8]) throws {
            do {
                try take(try JSONValue.parse(bytes, limits: limits))
            } catch let e as JSONError {
                throw LetheError(.badInput, "\(name): messages[\(index)] is not JSON (\(e))")
            }
            index += 1
        }
        do {
            try source.stream(path, maxBytes: limits.maxTotalBytes) { try reader.feed($0, message) }
            try reader.finish(message)
        } catch let e as DiscordChannelStream.Failure {
            switch e {
            case .tooLong(let i) where i < 0:
                failure = LetheError(.badInput, "\(name): its members other than messages are over \(limits.maxLineBytes) bytes",
                                     hint: "no DiscordChatExporter file holds that much beside its messages; the file is damaged or hostile")
            case .tooLong(let i):
                failure = LetheError(.badInput, "\(name): messages[\(i)] is over \(limits.maxLineBytes) bytes",
                                     hint: "no Discord message is that long; the file is damaged or hostile (the limit is ImportLimits.maxLineBytes)")
            case .emptyElement(let i):
                failure = LetheError(.badInput, "\(name): not JSON (an empty element at messages[\(i)])")
            }
        }
        if let failure { throw failure }
        do {
            let value = try JSONValue.parse(reader.rest, limits: limits)
            guard value.objectValue != nil else { throw LetheError(.badInput, "\(name): not a JSON object") }
            return value
        } catch let e as JSONError {
            throw LetheError(.badInput, "\(name): not JSON (\(e))")
        }
    }

    /// Sets a message aside (sealed in 4 MiB runs, one record per channel file).
    private func hold(_ json: [UInt8], of path: String) throws {
        pending.append((path, json))
        pendingBytes += json.count
        if pendingBytes >= Self.pendingLimit { try seal() }
    }

    private func seal() throws {
        var order: [String] = []
        var grouped: [String: [UInt8]] = [:]
        for (path, json) in pending {
            if grouped[path] == nil { order.append(path) }
            grouped[path, default: []] += withUnsafeBytes(of: UInt32(json.count).littleEndian, Array.init) + json
        }
        for path in order { records[path, default: []].append(try spill.append(grouped[path]!)) }
        pending.removeAll(keepingCapacity: true)
        pendingBytes = 0
    }

    /// One channel file's messages, in file order, as they were set aside.
    private func held(_ path: String) throws -> [JSONValue] {
        var out: [JSONValue] = []
        for record in records[path] ?? [] {
            let bytes = try spill.read(record)
            var at = 0
            while at + 4 <= bytes.count {
                let n = Int(UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
                out.append(try JSONValue.parse(bytes[(at + 4)..<(at + 4 + n)], limits: limits))
                at += 4 + n
            }
        }
        return out
    }

    /// A message's ts: its `timestamp` (UTC) to the millisecond, then three digits from its id.
    static func timestamp(of m: JSONValue) -> SlackTimestamp? {
        guard m.objectValue != nil, let id = nonEmpty(m["id"]), let t = m["timestamp"]?.stringValue, let millis = isoMillis(t) else { return nil }
        // Snowflakes grow: their last three digits keep the messages of one millisecond in order.
        let extra = UInt64(id).map { Int($0 % 1000) } ?? Int(KDF.sha256(Array(id.utf8)).prefix(2).reduce(0) { $0 << 8 | Int($1) }) % 1000
        let micros = (millis % 1000) * 1000 + Int64(extra)
        return SlackTimestamp("\(millis / 1000)." + String(repeating: "0", count: 6 - String(micros).count) + String(micros))
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)` as Unix milliseconds (nil before 1970 or malformed).
    static func isoMillis(_ s: String) -> Int64? {
        let u = Array(s.utf8)
        guard u.count >= 20, u[10] == UInt8(ascii: "T"), let date = CivilDate(iso: String(decoding: u[0..<10], as: UTF8.self)) else { return nil }
        func num(_ r: Range<Int>) -> Int64? {
            guard r.upperBound <= u.count, r.allSatisfy({ u[$0] >= 48 && u[$0] <= 57 }) else { return nil }
            return r.reduce(0) { $0 * 10 + Int64(u[$1] - 48) }
        }
        guard let h = num(11..<13), let mi = num(14..<16), let sec = num(17..<19), u[13] == 58, u[16] == 58, h < 24, mi < 60, sec < 61 else { return nil }
        var i = 19
        var ms: Int64 = 0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                if digits < 3 { ms = ms * 10 + Int64(u[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in min(digits, 3)..<3 { ms *= 10 }
        }
        var offset: Int64 = 0
        if i < u.count, u[i] == UInt8(ascii: "Z") {
            i += 1
        } else if i + 6 == u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-"), let oh = num((i + 1)..<(i + 3)), let om = num((i + 4)..<(i + 6)), u[i + 3] == 58 {
            offset = (oh * 60 + om) * 60 * (u[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == u.count else { return nil }
        let seconds = date.dayNumber * 86400 + h * 3600 + mi * 60 + sec - offset
        return seconds >= 0 ? seconds * 1000 + ms : nil
    }

    static func nonEmpty(_ v: JSONValue?) -> String? { v?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }

    /// One conversation's messages by UTC day, in Slack's shape, every copy in file order (its
    /// parts read in path order): a message held twice (in two parts, or twice in one file) is
    /// the importer's to keep once and count (`messages_skipped_duplicate`).
    func messages(of id: String) throws -> [CivilDate: [[UInt8]]] {
        var all: [(SlackTimestamp, JSONValue)] = []
        for path in parts[id] ?? [] {
            for m in try held(path) {
                if let ts = Self.timestamp(of: m) { all.append((ts, m)) }
            }
        }
        var tsOfID: [String: String] = [:]
        for (ts, m) in all { if let mid = m["id"]?.stringValue { tsOfID[mid] = ts.string } }
        var out: [CivilDate: [[UInt8]]] = [:]
        for (ts, m) in all {
            out[CivilDate(unixSeconds: ts.seconds), default: []].append(Self.message(m, ts: ts, tsOfID: tsOfID).encoded())
        }
        return out
    }

    /// A message in Slack's shape, with its own object under `lethe_discord`.
    static func message(_ native: JSONValue, ts: SlackTimestamp, tsOfID: [String: String]) -> JSONValue {
        var m: [(key: String, value: JSONValue)] = [("type", .string("message")), ("ts", .string(ts.string))]
        if let user = nonEmpty(native["author"]?["id"]) { m.append(("user", .string(user))) }
        m.append(("text", .string(native["content"]?.stringValue ?? "")))
        if let type = nonEmpty(native["type"]), type != "Default", type != "Reply" { m.append(("subtype", .string(type))) }
        if let parent = nonEmpty(native["reference"]?["messageId"]).flatMap({ tsOfID[$0] }) { m.append(("thread_ts", .string(parent))) }
        if let edited = native["timestampEdited"]?.stringValue.flatMap(isoMillis) {
            let t = SlackTimestamp("\(edited / 1000)." + String(format: "%03d", Int(edited % 1000)) + "000")!
            m.append(("edited", .object([("user", m.first { $0.key == "user" }?.value ?? .null), ("ts", .string(t.string))])))
        }
        let reactions = (native["reactions"]?.arrayValue ?? []).compactMap { r -> JSONValue? in
            guard let e = r["emoji"], let name = nonEmpty(e["code"]) ?? nonEmpty(e["name"]) else { return nil }
            let users = (r["users"]?.arrayValue ?? []).compactMap { nonEmpty($0["id"]) }
            return .object([("name", .string(name)), ("users", .array(users.map { .string($0) })), ("count", r["count"] ?? .number(String(users.count)))])
        }
        if !reactions.isEmpty { m.append(("reactions", .array(reactions))) }
        // Its attachments as Slack's files (search's has:file, the archive's attachment index).
        let files = (native["attachments"]?.arrayValue ?? []).compactMap { a -> JSONValue? in
            guard let f = attachmentFile(a) else { return nil }
            var o: [(key: String, value: JSONValue)] = [("id", .string(f.id)), ("name", .string(f.name))]
            if case .number(let n)? = a["fileSizeBytes"] { o.append(("size", .number(n))) }
            return .object(o)
        }
        if !files.isEmpty { m.append(("files", .array(files))) }
        m.append(("lethe_discord", native))
        return .object(m)
    }

    func read(_ path: String, maxBytes: Int) throws -> [UInt8] {
        let p = path.split(separator: "/")
        guard p.count == 2, p[1].hasSuffix(".json"), let day = CivilDate(iso: String(p[1].dropLast(5))), days[String(p[0])]?.contains(day) == true else {
            return try files.read(path, maxBytes: maxBytes)
        }
        lock.lock()
        defer { lock.unlock() }
        let id = String(p[0])
        let byDay: [CivilDate: [[UInt8]]]
        if let hit = cache.first(where: { $0.id == id }) {
            byDay = hit.days
        } else {
            byDay = try messages(of: id)
            cache.append((id, byDay))
            if cache.count > 2 { cache.removeFirst() }
        }
        var bytes: [UInt8] = [0x5B]
        for (i, m) in (byDay[day] ?? []).enumerated() {
            if i > 0 { bytes.append(0x2C) }
            bytes += m
        }
        bytes.append(0x5D)
        return bytes
    }

    func head(_ path: String, count: Int) -> [UInt8]? { files.head(path, count: count) }
    func stream(_ path: String, maxBytes: Int64, _ consumer: ([UInt8]) throws -> Void) throws { try files.stream(path, maxBytes: maxBytes, consumer) }
    func statedSize(_ path: String) -> Int64? { files.statedSize(path) }
}
