/// slackdump's "dump" (`slackdump dump`, v1.1+): at its top one `<conversation id>.json`
/// per conversation, an object `{"channel_id", "name", "messages": […]}` whose thread
/// parents carry their replies nested (`slackdump_thread_replies`), `<id>-<thread ts>.json`
/// for a thread dumped on its own, optional `channels.json`, `users.json`, `workspace.json`,
/// and each conversation's files under `<id>/` as `<FILE_ID>-<name>`. Dumps of slackdump
/// before 1.1 (`{"ChannelID", "Messages", …}`, no threads) are read too.
final class SlackdumpDump: SlackdumpReader {
    let shape = SlackdumpShape.dump
    let source: any ExportSource
    let limits: ImportLimits
    /// The dump's top folder inside the source (`""` or `"folder/"`).
    let prefix: String
    private(set) var index = SlackdumpIndex()
    /// Conversation id → its files: the conversation's own, then its threads'.
    private var filesOf: [String: [String]] = [:]

    init(source: any ExportSource, prefix: String, limits: ImportLimits) throws {
        self.source = source
        self.prefix = prefix
        self.limits = limits
        var conversationFiles: [(id: String, path: String)] = []
        var threadFiles: [(id: String, path: String)] = []
        var other: [String] = []
        for path in source.entries {
            guard path.hasPrefix(prefix) else {
                index.unread.append(UnreadFile(path: path, reason: "outside the slackdump dump read (\(prefix)): one export is read per import"))
                continue
            }
            let parts = path.dropFirst(prefix.count).split(separator: "/").map(String.init)
            if parts.count == 1, let (id, thread) = SlackdumpDump.conversationFile(parts[0]) {
                if thread { threadFiles.append((id, path)) } else { conversationFiles.append((id, path)) }
            } else if parts.count >= 2, SlackdumpIndex.isSlackID(parts[0]), let last = parts.last, let dash = last.firstIndex(of: "-"),
                      case let fileID = String(last[..<dash]), ExportAttachment.isFileID(fileID) {
                let name = String(last[last.index(after: dash)...])
                index.attachments[fileID, default: []].append(
                    ExportAttachment(fileID: fileID, path: path, name: name.isEmpty ? fileID : name, folder: parts[0], mattermost: false))
            } else {
                other.append(path)
            }
        }
        let conversationIDs = Set(conversationFiles.map(\.id) + threadFiles.map(\.id))
        for path in other {
            let inner = String(path.dropFirst(prefix.count))
            switch inner {
            case "channels.json":
                for (raw, value) in try objects(path) { index.list(channel: value, rawJSON: raw) }
            case "users.json":
                for (raw, value) in try objects(path) { index.list(user: value, rawJSON: raw) }
            case "workspace.json":
                index.unread.append(UnreadFile(path: path, reason: "the workspace and account slackdump ran as (auth.test): not archived (a Slack export has no such file)"))
            default:
                let first = inner.split(separator: "/").first.map(String.init) ?? ""
                index.unread.append(UnreadFile(path: path, reason: conversationIDs.contains(first)
                    ? "in a conversation's folder but not a file named <FILE_ID>-<name>: not archived"
                    : "not part of a slackdump dump"))
            }
        }
        for (id, path) in conversationFiles {
            let value = try object(path)
            if let name = (value["name"] ?? value["Name"])?.stringValue, !name.isEmpty { index.names[id] = name }
            index.count(SlackdumpDump.messageArray(value), in: id)
            filesOf[id, default: []].insert(path, at: 0)
        }
        for (id, path) in threadFiles {
            index.count(SlackdumpDump.messageArray(try object(path)), in: id)
            filesOf[id, default: []].append(path)
        }
    }

    func messages(of channelID: String) throws -> [JSONValue] {
        var out: [JSONValue] = []
        for path in filesOf[channelID] ?? [] { out += SlackdumpDump.messageArray(try object(path)) }
        return out
    }

    /// `C…`/`D…`/`G…` `.json` (a conversation) or `<id>-<ts>.json` (a thread of one).
    static func conversationFile(_ name: String) -> (id: String, thread: Bool)? {
        guard name.hasSuffix(".json"), let first = name.first, "CDG".contains(first) else { return nil }
        let stem = name.dropLast(5)
        if let dash = stem.firstIndex(of: "-") {
            let id = String(stem[..<dash]), ts = String(stem[stem.index(after: dash)...])
            return SlackdumpIndex.isSlackID(id) && SlackTimestamp(ts) != nil ? (id, true) : nil
        }
        return SlackdumpIndex.isSlackID(String(stem)) ? (String(stem), false) : nil
    }

    /// The messages of a dump file (`messages`, or `Messages` before slackdump 1.1).
    static func messageArray(_ value: JSONValue) -> [JSONValue] {
        (value["messages"] ?? value["Messages"])?.arrayValue ?? []
    }

    private func object(_ path: String) throws -> JSONValue {
        let bytes = try source.read(path, maxBytes: limits.maxFileBytes)
        do {
            let value = try JSONValue.parse(bytes, limits: limits)
            guard value.objectValue != nil else { throw LetheError(.badInput, "\(path): not a JSON object (a slackdump dump file holds one)") }
            return value
        } catch let e as JSONError {
            throw LetheError(.badInput, "\(path): \(e)")
        }
    }

    /// The object elements of a metadata file's array (the others are warned about and skipped).
    private func objects(_ path: String) throws -> [([UInt8], JSONValue)] {
        let bytes = try source.read(path, maxBytes: limits.maxFileBytes)
        let elements: [[UInt8]]
        do {
            elements = try JSONArraySplitter(limits: limits).compactedElements(bytes)
        } catch {
            throw LetheError(.badInput, "\(path): \(error)")
        }
        var out: [([UInt8], JSONValue)] = []
        for (i, raw) in elements.enumerated() {
            guard let value = try? JSONValue.parse(raw, limits: limits), value.objectValue != nil, value["id"]?.stringValue != nil else {
                index.warnings.append(ImportWarning(file: path, reason: "element \(i): not an object with an \"id\", skipped"))
                continue
            }
            out.append((raw, value))
        }
        return out
    }
}
