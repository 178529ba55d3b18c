import Foundation

/// A Mattermost bulk export seen through the export model: its posts are served as day files
/// `<conversation id>/<YYYY-MM-DD>.json` (UTC days) of Slack-shaped messages (`MattermostBulk`),
/// one conversation's held at a time (two while the importer's read-ahead crosses into the
/// next), and every other file of the zip or folder is listed as not imported, with why.
final class MattermostSource: ExportSource, @unchecked Sendable {
    let displayName: String
    let entries: [String]
    let listingWarnings: [ImportWarning]
    let bulk: MattermostBulk
    /// The source's files that are not imported, with why.
    let unread: [UnreadFile]
    /// The JSONL file read (its path in the source).
    let jsonl: String
    /// The files posts attach that the export holds, by their file id (`MattermostBulk.fileID`).
    let attachments: [String: [ExportAttachment]]

    init(_ source: any ExportSource, jsonl: String, limits: ImportLimits) throws {
        displayName = source.displayName
        listingWarnings = source.listingWarnings
        self.jsonl = jsonl
        bulk = try MattermostBulk.read(source, path: jsonl, limits: limits)
        var entries: [String] = []
        for (id, days) in bulk.days.sorted(by: { $0.key < $1.key }) {
            entries += days.sorted().map { MattermostSource.dayPath(id, $0) }
        }
        // A post's path is matched against the export's own (already checked) entries only, as
        // written or under the JSONL file's `data/` folder (where mmctl puts the files): a path
        // naming anything else is never opened, and its file counts as missing.
        let listed = Set(source.entries)
        let base = SlackdumpShape.folder(of: jsonl)
        var attachments: [String: [ExportAttachment]] = [:]
        var used = Set<String>()
        for path in bulk.attachmentPaths.sorted() {
            let candidates = [base + path, base + "data/" + path].filter { !$0.hasSuffix("/") }
            guard let entry = candidates.first(where: listed.contains) else { continue }
            let id = MattermostBulk.fileID(path: path)
            attachments[id] = [ExportAttachment(fileID: id, path: entry, name: String(entry.split(separator: "/").last ?? ""), folder: nil, mattermost: true)]
            used.insert(entry)
        }
        self.attachments = attachments
        self.entries = entries + used.sorted()
        unread = source.entries.filter { $0 != jsonl && !used.contains($0) }.sorted().map { path in
            UnreadFile(path: path, reason: path.hasPrefix(base + "data/")
                ? "in the export's data/ folder, but no post attaches it: not archived"
                : MattermostSource.isJSONL(path) ? "another JSON Lines file: one bulk export file is read per import" : "not part of a Mattermost bulk export")
        }
        files = source
    }

    /// The source the export's files are read from.
    private let files: any ExportSource

    static func dayPath(_ id: String, _ day: CivilDate) -> String { "\(id)/\(day).json" }

    /// The bulk export file of a source holding no Slack day files: a `.jsonl` (or `.json`) file
    /// at its top or one folder down whose first line is Mattermost's `{"type":"version",…}`.
    static func detect(_ source: any ExportSource) -> String? {
        let shallow = source.entries.filter { $0.split(separator: "/").count <= 2 && isJSONL($0) }
        let marker = Array(#""type":"version""#.utf8)
        for path in shallow.sorted(by: { ($0 == "import.jsonl" ? 0 : 1, $0) < ($1 == "import.jsonl" ? 0 : 1, $1) }) {
            guard let head = source.head(path, count: 256) else { continue }
            let firstLine = head.prefix { $0 != 0x0A }.filter { $0 != 0x20 && $0 != 0x09 }
            guard firstLine.first == UInt8(ascii: "{") else { continue }
            if firstLine.indices.contains(where: { firstLine[$0...].starts(with: marker) }) { return path }
        }
        return nil
    }

    static func isJSONL(_ path: String) -> Bool { path.hasSuffix(".jsonl") || path.hasSuffix(".json") }

    func read(_ path: String, maxBytes: Int) throws -> [UInt8] {
        let parts = path.split(separator: "/")
        guard parts.count == 2, parts[1].hasSuffix(".json"), let day = CivilDate(iso: String(parts[1].dropLast(5))),
              bulk.days[String(parts[0])]?.contains(day) == true
        else { return try files.read(path, maxBytes: maxBytes) }
        let messages = try dayMessages(String(parts[0]), day)
        var bytes: [UInt8] = [0x5B]
        for (i, m) in messages.enumerated() {
            if i > 0 { bytes.append(0x2C) }
            bytes += m
        }
        bytes.append(0x5D)
        guard bytes.count <= maxBytes else { throw LetheError(.badInput, "\(displayName): the messages of \(parts[0]) on \(day) are over \(maxBytes) bytes") }
        return bytes
    }

    private let lock = NSLock()
    /// The last conversations read (two: the importer's read-ahead may cross into the next).
    private var cache: [(id: String, days: [CivilDate: [[UInt8]]])] = []

    private func dayMessages(_ id: String, _ day: CivilDate) throws -> [[UInt8]] {
        lock.lock()
        defer { lock.unlock() }
        if let hit = cache.first(where: { $0.id == id }) { return hit.days[day] ?? [] }
        let days = try bulk.messages(of: id)
        cache.append((id, days))
        if cache.count > 2 { cache.removeFirst() }
        return days[day] ?? []
    }

    func head(_ path: String, count: Int) -> [UInt8]? { files.head(path, count: count) }

    func stream(_ path: String, maxBytes: Int64, _ consumer: ([UInt8]) throws -> Void) throws {
        try files.stream(path, maxBytes: maxBytes, consumer)
    }

    func statedSize(_ path: String) -> Int64? { files.statedSize(path) }

    /// The conversations, in the order listed (a channel or direct channel known only from its
    /// posts is inferred and noted), each channel in its team's workspace.
    func conversations(warnings: inout [ImportWarning]) -> [Conversation] {
        var taken = Set<String>()
        let teams = Dictionary(bulk.teams.map { ($0.name, $0.native) }, uniquingKeysWith: { _, b in b })
        var result: [Conversation] = []
        for c in bulk.channels {
            var members: [(String, JSONValue)] = [("id", .string(c.id))]
            let label = c.name ?? c.members.joined(separator: "--")
            if let name = c.name { members.append(("name", .string(name))) }
            members.append(("is_private", .bool(c.kind == .privateChannel)))
            if let p = c.native?["purpose"]?.stringValue { members.append(("purpose", .object([("value", .string(p))]))) }
            if let h = c.native?["header"]?.stringValue { members.append(("topic", .object([("value", .string(h))]))) }
            members.append(("members", .array(c.members.map { .string($0) })))
            members.append(("lethe_platform", .string("mattermost")))
            if let native = c.native { members.append(("lethe_mattermost", native)) } else { members.append(("lethe_inferred", .bool(true))) }
            if let team = c.team, let t = teams[team] { members.append(("lethe_mattermost_team", t)) }
            if c.native == nil {
                warnings.append(ImportWarning(file: c.id, reason: "no \(c.team == nil ? "direct_channel" : "channel") line for \(c.id) in \(bulk.file): imported from its posts as \(c.kind.rawValue), recorded as inferred", isNote: true))
            }
            let (folder, reason) = FolderName.assign(label, id: c.id, taken: &taken)
            if let reason {
                warnings.append(ImportWarning(file: c.id, reason: "conversation \(c.id): its name cannot be a folder as it is (\(reason)); its messages are kept and exported to the folder \"\(folder)\"", isNote: true))
            }
            var conversation = Conversation(kind: c.kind, id: c.id, name: c.kind == .dm ? nil : label, folder: folder,
                                            isArchived: MattermostBulk.millis(c.native?["deleted_at"]).map { $0 > 0 } ?? false,
                                            rawJSON: JSONValue.object(members).encoded())
            conversation.workspaces = c.team.map { [$0] } ?? []
            result.append(conversation)
        }
        let used = Set(bulk.channels.compactMap(\.team))
        for (name, _) in bulk.teams where !used.contains(name) {
            warnings.append(ImportWarning(file: bulk.file, reason: "team \(name) has no channels: Lethe keeps a team with its channels, so its own object is not archived"))
        }
        return result
    }

    /// The users, in the order listed, each in the teams it belongs to.
    func users() -> [User] {
        bulk.users.map { username, native in
            let real = [MattermostBulk.nonEmpty(native["first_name"]), MattermostBulk.nonEmpty(native["last_name"])].compactMap { $0 }.joined(separator: " ")
            var members: [(String, JSONValue)] = [("id", .string(username)), ("name", .string(username))]
            if !real.isEmpty { members.append(("real_name", .string(real))) }
            let display = MattermostBulk.nonEmpty(native["nickname"]) ?? (real.isEmpty ? nil : real)
            var profile: [(String, JSONValue)] = [("display_name", .string(display ?? "")), ("real_name", .string(real))]
            if let email = MattermostBulk.nonEmpty(native["email"]) { profile.append(("email", .string(email))) }
            members.append(("profile", .object(profile)))
            members.append(("lethe_platform", .string("mattermost")))
            members.append(("lethe_mattermost", native))
            var user = User(id: username, name: username, displayName: display, rawJSON: JSONValue.object(members).encoded())
            user.workspaces = Array(Set((native["teams"]?.arrayValue ?? []).compactMap { MattermostBulk.nonEmpty($0["name"]) })).sorted()
            return user
        }
    }

    /// The notes of the read: line types not archived, attachment references, the bulk's own warnings.
    var readWarnings: [ImportWarning] {
        var w = bulk.warnings
        for (type, n) in bulk.unreadTypes.sorted(by: { $0.key < $1.key }) {
            w.append(ImportWarning(file: bulk.file, reason: "\(n) \"\(type)\" line(s): not archived (Lethe keeps teams, channels, users, posts and direct messages)"))
        }
        return w
    }
}
