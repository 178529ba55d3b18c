import Foundation

/// Writes the archive's Discord conversations back as DiscordChatExporter JSON files, one per
/// channel (`discord/<name> [<channel id>].json`; the parts of a partitioned export as one):
/// the members the file had beside its messages (guild, channel, dateRange, exportedAt …), the
/// messages still in the archive, oldest first, each the object imported (`lethe_discord`), and
/// `messageCount`, and each attachment's downloaded copy where its `url` names it (docs/EXPORT.md, "Discord"). One conversation's messages are held at a time.
struct DiscordWriter {
    let archive: Archive
    static let folder = "discord"

    struct Written {
        var messages = 0
        var files = 0
        var warnings: [String] = []
    }

    /// `files` is called with each bucket that holds attachments: the file ids of its messages'
    /// downloaded copies and where each goes, relative to `out` (as the message's `url` names it,
    /// beside the channel file; not yet checked).
    func write(_ conversations: [Conversation], into out: URL, files: (BucketRef, String, [String: String]) throws -> Void) throws -> Written {
        var written = Written()
        let dir = out.appendingPathComponent(Self.folder, isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var taken = Set<String>()
        for c in conversations {
            guard let cno = c.cno else { continue }
            var messages: [(SlackTimestamp, JSONValue)] = []
            try archive.forEachSegment(cno: cno) { ref, opened in
                guard case .success(let segment) = opened else {
                    if case .failure(let e) = opened { archive.noteDamage(channel: c.id, bucket: ref.bucket, e) }
                    return
                }
                var paths: [String: String] = [:]
                for m in segment.messages where m.item == nil {
                    guard let native = (try? JSONValue.parse(m.json))?["lethe_discord"] else {
                        written.warnings.append("\(c.id): a message at \(m.ts) holds no Discord message: left out")
                        continue
                    }
                    for a in native["attachments"]?.arrayValue ?? [] {
                        // Where the url points from the channel file (in `discord/`); one leaving `out` is not written.
                        if let f = DiscordSource.attachmentFile(a), let relative = DiscordSource.localPath(f.url),
                           let path = DiscordSource.resolve(relative, besides: Self.folder + "/channel.json") { paths[f.id] = path }
                    }
                    messages.append((m.ts, native))
                }
                if !paths.isEmpty { try files(ref, c.id, paths) }
            }
            // DiscordChatExporter's order: by time, then by id (snowflakes grow) within a millisecond.
            messages.sort { a, b in
                let (ma, mb) = (a.0.seconds * 1000 + Int64(a.0.micros / 1000), b.0.seconds * 1000 + Int64(b.0.micros / 1000))
                if ma != mb { return ma < mb }
                let (ia, ib) = (a.1["id"]?.stringValue ?? "", b.1["id"]?.stringValue ?? "")
                return ia.count != ib.count ? ia.count < ib.count : ia < ib
            }
            let meta = try? JSONValue.parse(c.rawJSON)
            var top: [(key: String, value: JSONValue)] = []
            if case .object(let kept)? = meta?["lethe_discord"] { top = kept.filter { $0.key != "messageCount" } }
            // The file's own messageCount while every message it held is still here, else the count written.
            let original = meta?["lethe_discord"]?["messageCount"]
            let imported = meta?["lethe_discord_messages"]?.description
            let count: JSONValue = original != nil && imported == String(messages.count) ? original! : .number(String(messages.count))
            top.append(("messages", .array(messages.map(\.1))))
            top.append(("messageCount", count))
            let channelID = String(c.id.dropFirst(DiscordSource.idPrefix.count))
            let (name, _) = FolderName.assign("\(c.name ?? "dm") [\(channelID)]", id: c.id, taken: &taken)
            let url = dir.appendingPathComponent(name + ".json")
            guard FileManager.default.createFile(atPath: url.path, contents: Data(JSONValue.object(top).encoded() + [0x0A]), attributes: [.posixPermissions: 0o600]) else {
                throw LetheError(.failure, "cannot write \(url.path)")
            }
            written.messages += messages.count
            written.files += 1
        }
        return written
    }
}
