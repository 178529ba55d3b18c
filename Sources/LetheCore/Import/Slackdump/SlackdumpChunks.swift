/// slackdump's chunk archive (`slackdump archive -legacy`, `slackdump convert -f chunk`, and
/// v3.0's archives): `*.json.gz` files, each one gzip stream of JSON Lines, one "chunk" (one API
/// response) per line: `t` its type, `id` the conversation, `m` messages (type 0, a page
/// of history; type 1, a page of a thread's replies, `p` its parent), `u` users (3),
/// `ch` channels (4), `ci` one channel's info (5). Files are under `__uploads/<FILE_ID>/<name>`.
/// A chunk recorded later (its `ts`, in nanoseconds) is newer: its copy of a message wins.
final class SlackdumpChunks: SlackdumpReader {
    let shape = SlackdumpShape.chunks
    let source: any ExportSource
    let limits: ImportLimits
    let prefix: String
    private(set) var index = SlackdumpIndex()
    /// Conversation id → the chunk files holding its messages, in the order found.
    private var filesOf: [String: [String]] = [:]

    /// Chunk types read, and what the others are (for the reason a file is not read).
    static let typeNames: [Int: String] = [
        2: "file lists", 6: "the workspace slackdump ran in", 7: "channel member lists", 8: "starred items", 9: "bookmarks",
        10: "search results (messages)", 11: "search results (files)",
    ]

    init(source: any ExportSource, prefix: String, limits: ImportLimits) throws {
        self.source = source
        self.prefix = prefix
        self.limits = limits
        var channelInfo: [String: ([UInt8], JSONValue)] = [:]
        var listed: [([UInt8], JSONValue)] = []
        var partlyRead: [Int: Int] = [:]
        for path in source.entries {
            guard path.hasPrefix(prefix) else {
                index.unread.append(UnreadFile(path: path, reason: "outside the slackdump archive read (\(prefix)): one export is read per import"))
                continue
            }
            let inner = String(path.dropFirst(prefix.count))
            if let a = ExportAttachment(path: inner), a.mattermost {
                index.attachments[a.fileID, default: []].append(ExportAttachment(fileID: a.fileID, path: path, name: a.name, folder: nil, mattermost: true))
                continue
            }
            guard !inner.contains("/"), inner.hasSuffix(".json.gz") else {
                index.unread.append(UnreadFile(path: path, reason: inner.hasPrefix("__avatars/") ? "a user's avatar: not archived" : "not part of a slackdump chunk archive"))
                continue
            }
            var used = false
            var other = Set<Int>()
            try forEachChunk(path) { chunk, type in
                switch type {
                case 0, 1:
                    guard let id = chunk["id"]?.stringValue, SlackdumpIndex.isSlackID(id) else { return index.skip("message chunk(s) of a conversation whose id is not a Slack id") }
                    index.count(SlackdumpChunks.messages(chunk, type: type), in: id)
                    if filesOf[id]?.last != path { filesOf[id, default: []].append(path) }
                    used = true
                case 3:
                    for u in chunk["u"]?.arrayValue ?? [] {
                        if u.objectValue != nil { index.list(user: u, rawJSON: u.encoded()) } else { index.skip("user list element(s) that are not objects") }
                    }
                    used = true
                case 4:
                    for c in chunk["ch"]?.arrayValue ?? [] {
                        if c.objectValue != nil { listed.append((c.encoded(), c)) } else { index.skip("channel list element(s) that are not objects") }
                    }
                    used = true
                case 5:
                    if let c = chunk["ci"], c.objectValue != nil, let id = c["id"]?.stringValue { channelInfo[id] = (c.encoded(), c) } else { index.skip("channel info chunk(s) without a channel object with an id") }
                    used = true
                default:
                    other.insert(type)
                }
            }
            let skipped = other.sorted().map { SlackdumpChunks.typeNames[$0] ?? "chunk type \($0)" }
            if !used {
                index.unread.append(UnreadFile(path: path, reason: skipped.isEmpty ? "no chunks" : skipped.joined(separator: ", ") + ": not archived"))
            } else {
                for type in other { partlyRead[type, default: 0] += 1 }
            }
        }
        // Once per kind of chunk, not per file (a workspace has a member list per channel).
        for (type, files) in partlyRead.sorted(by: { $0.key < $1.key }) {
            index.warnings.append(ImportWarning(file: prefix.isEmpty ? "." : prefix, reason: "chunks of \(SlackdumpChunks.typeNames[type] ?? "type \(type)") in \(files) file(s) are not archived (their messages, users and channels are)", isNote: true))
        }
        // A channel's own info (type 5) is fuller than its entry in a channel list (type 4).
        for (raw, value) in listed { index.list(channel: value, rawJSON: raw) }
        for (_, (raw, value)) in channelInfo.sorted(by: { $0.key < $1.key }) { index.list(channel: value, rawJSON: raw) }
    }

    /// In the order the chunks were recorded (their `ts`, then as found), so that the last copy
    /// of a message is the one fetched last, whichever file holds it.
    func messages(of channelID: String) throws -> [JSONValue] {
        var chunks: [(recorded: Int64, messages: [JSONValue])] = []
        for path in filesOf[channelID] ?? [] {
            try forEachChunk(path) { chunk, type in
                guard type == 0 || type == 1, chunk["id"]?.stringValue == channelID else { return }
                var recorded: Int64 = 0
                if case .number(let n)? = chunk["ts"] { recorded = Int64(n) ?? 0 }
                chunks.append((recorded, SlackdumpChunks.messages(chunk, type: type)))
            }
        }
        // A stable sort: chunks of the same instant (or without one) stay as found.
        return chunks.enumerated().sorted { ($0.element.recorded, $0.offset) < ($1.element.recorded, $1.offset) }.flatMap(\.element.messages)
    }

    /// The messages of a history (0) or thread (1) chunk: a thread page's parent (`p`) first.
    static func messages(_ chunk: JSONValue, type: Int) -> [JSONValue] {
        var messages = chunk["m"]?.arrayValue ?? []
        if type == 1, let parent = chunk["p"], parent.objectValue != nil { messages.insert(parent, at: 0) }
        return messages
    }

    /// Each chunk (line) of a chunk file, with its type; a line that is not a chunk fails the import.
    private func forEachChunk(_ path: String, _ body: (JSONValue, Int) throws -> Void) throws {
        let compressed = try source.read(path, maxBytes: limits.maxFileBytes)
        let lines: [UInt8]
        do {
            lines = try Gunzip.inflate(compressed, maxBytes: limits.maxFileBytes)
        } catch {
            throw LetheError(.badInput, "\(path): \(error)")
        }
        var number = 0
        for line in lines.split(separator: 0x0A, omittingEmptySubsequences: true) {
            number += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            let chunk: JSONValue
            do {
                chunk = try JSONValue.parse(line, limits: limits)
            } catch {
                throw LetheError(.badInput, "\(path): line \(number): \(error)")
            }
            guard chunk.objectValue != nil, case .number(let t)? = chunk["t"], let type = Int(t) else {
                throw LetheError(.badInput, "\(path): line \(number): not a slackdump chunk (an object with a numeric \"t\")")
            }
            try body(chunk, type)
        }
    }
}
