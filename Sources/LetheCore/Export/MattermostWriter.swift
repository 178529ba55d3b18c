import Foundation

/// Writes the archive's Mattermost conversations back as a bulk export file (`import.jsonl`,
/// as `mmctl import` reads it): the version line, each team once, the channels, the users, each
/// channel's posts with their replies nested again, then the direct channels and their posts
/// (docs/EXPORT.md, "Mattermost"). Every object is the one imported (`lethe_mattermost`), so
/// the lines are the input's JSON values; a root post's `replies` are its replies still in the
/// archive, in their imported order. Attached files go under `data/`, at the path their post names. A conversation's messages are held while it is written.
struct MattermostWriter {
    let archive: Archive
    /// The file `lethe export` writes them to, as `mmctl export create` names it in its zip.
    static let fileName = "import.jsonl"

    struct Written {
        var messages = 0
        var lines = 0
        var warnings: [String] = []
    }

    /// `files` writes a bucket's attached files: (its ref, its conversation's id, file id → the path the post names).
    func write(_ conversations: [Conversation], users: [User], to url: URL,
               files: (BucketRef, String, [String: String]) throws -> Void) throws -> Written {
        var written = Written()
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let file = FileHandle(forWritingAtPath: url.path)
        else { throw LetheError(.failure, "cannot write \(url.path)") }
        defer { try? file.close() }
        // `version` holds a number, not an object: the one line not of the `{type, <type>: {…}}` shape.
        var out = Array(#"{"type":"version","version":1}"#.utf8) + [0x0A]
        var lines = 1
        func line(_ type: String, _ body: JSONValue) throws {
            out += JSONValue.object([("type", .string(type)), (type, body)]).encoded()
            out.append(0x0A)
            lines += 1
            if out.count >= 1 << 20 { try file.write(contentsOf: out); out.removeAll(keepingCapacity: true) }
        }

        let metas = conversations.map { c in (c, (try? JSONValue.parse(c.rawJSON)) ?? .null) }
        var teamsDone = Set<String>()
        for (_, meta) in metas {
            guard let team = meta["lethe_mattermost_team"], let name = team["name"]?.stringValue, !teamsDone.contains(name) else { continue }
            teamsDone.insert(name)
            try line("team", team)
        }
        let channels = metas.filter { !$0.0.workspaces.isEmpty }
        let directs = metas.filter { $0.0.workspaces.isEmpty }
        for (_, meta) in channels { if let native = meta["lethe_mattermost"] { try line("channel", native) } }
        for u in users {
            if let native = (try? JSONValue.parse(u.rawJSON))?["lethe_mattermost"] { try line("user", native) }
        }
        for (c, _) in channels { try posts(of: c, type: "post", line: line, files: files, written: &written) }
        for (_, meta) in directs { if let native = meta["lethe_mattermost"] { try line("direct_channel", native) } }
        for (c, _) in directs { try posts(of: c, type: "direct_post", line: line, files: files, written: &written) }
        try file.write(contentsOf: out)
        try file.synchronize()
        written.lines = lines
        return written
    }

    /// One conversation's posts, oldest root first, each with its replies nested in imported order.
    private func posts(of c: Conversation, type: String, line: (String, JSONValue) throws -> Void,
                       files: (BucketRef, String, [String: String]) throws -> Void, written: inout Written) throws {
        guard let cno = c.cno else { return }
        var roots: [(ts: SlackTimestamp, native: [(key: String, value: JSONValue)])] = []
        var replies: [String: [(index: Int, native: JSONValue)]] = [:]
        try archive.forEachSegment(cno: cno) { ref, opened in
            guard case .success(let segment) = opened else {
                if case .failure(let e) = opened { archive.noteDamage(channel: c.id, bucket: ref.bucket, e) }
                return
            }
            var paths: [String: String] = [:]
            for m in segment.messages where m.item == nil {
                guard let value = try? JSONValue.parse(m.json), case .object(let native)? = value["lethe_mattermost"] else {
                    written.warnings.append("\(c.id): a message at \(m.ts) holds no Mattermost post: left out")
                    continue
                }
                for f in value["files"]?.arrayValue ?? [] {
                    if let id = f["id"]?.stringValue, let path = f["lethe_mattermost_path"]?.stringValue { paths[id] = path }
                }
                written.messages += 1
                if case .number(let n)? = value["lethe_mattermost_reply"], let index = Int(n), let thread = value["thread_ts"]?.stringValue {
                    replies[thread, default: []].append((index, .object(native)))
                } else {
                    roots.append((m.ts, native))
                }
            }
            if !paths.isEmpty { try files(ref, c.id, paths) }
        }
        roots.sort { $0.ts < $1.ts }
        for root in roots {
            let ts = root.ts
            var native = root.native
            if let mine = replies.removeValue(forKey: ts.string) {
                let nested = JSONValue.array(mine.sorted { $0.index < $1.index }.map(\.native))
                if let i = native.firstIndex(where: { $0.key == "replies" }) { native[i].value = nested } else { native.append(("replies", nested)) }
            }
            try line(type, .object(native))
        }
        // Replies whose root is no longer in the archive (shredded, forgotten): posts of their own,
        // so nothing kept is dropped from the file.
        let orphans = replies.values.joined().count
        if orphans > 0 {
            written.warnings.append("\(c.id): \(orphans) repl(ies) whose root post is no longer archived, written as posts of their own")
            let place: [(key: String, value: JSONValue)] = type == "post"
                ? [("team", .string(c.workspaces.first ?? "")), ("channel", .string(c.name ?? ""))]
                : [("channel_members", .array(c.memberIDs.map { .string($0) }))]
            for (_, list) in replies.sorted(by: { $0.key < $1.key }) {
                for (_, native) in list.sorted(by: { $0.index < $1.index }) {
                    guard case .object(let members) = native else { continue }
                    try line(type, .object(place + members.filter { k, _ in !place.contains { $0.key == k } }))
                }
            }
        }
    }
}
