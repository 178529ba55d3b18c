import Foundation

/// The files of a Slack export that are neither day files nor metadata, read as items
/// (format 9; docs/FORMAT.md §4c, docs/EXPORT.md): `canvases.json`, `lists.json`,
/// `huddle_transcripts.json`, `file_conversations.json`, `integration_logs.json` (at the root,
/// or in a Grid workspace's folder) and a conversation folder's `canvas_in_the_conversation.json`.
///
/// Their contents are only partly documented, so each element is kept exactly (compacted
/// bytes, as a message is) and only what places it is decoded: the conversation it names,
/// its date, its `id`. An element that names no conversation of the export goes to the
/// workspace-level conversation (`WorkspaceConversation`), never nowhere.
struct ExportItems {
    /// Files of the root (or of `teams/<workspace>/`) read as items.
    static let workspaceFiles: Set<String> = ["canvases.json", "lists.json", "huddle_transcripts.json", "file_conversations.json", "integration_logs.json"]
    /// Files of a conversation's folder read as items of that conversation.
    static let folderFiles: Set<String> = ["canvas_in_the_conversation.json"]
    /// The fields naming an element's conversation, looked at in this order (a string, or an
    /// array whose first known id is taken).
    static let conversationFields = ["linked_channel_id", "channel_id", "channel", "conversation_id", "channels", "groups", "ims"]
    /// The fields dating an element (a number or a numeric string of seconds), in this order.
    static let dateFields = ["created", "date_created", "date", "timestamp", "date_start", "start_ts", "ts", "updated", "date_updated"]

    /// Conversation id → its items; file path (relative to the root) → how many elements it held.
    var items: [String: [RawItem]] = [:]
    var counts: [String: Int] = [:]
    /// Whether an item went to the workspace-level conversation.
    var needsWorkspace = false

    /// Reads every item file among `relative`. `folders` maps a conversation folder (relative to
    /// the root) to the conversation whose day files it holds.
    init(source: any ExportSource, limits: ImportLimits, prefix: String, relative: [String], workspaces: Set<String>,
         known: Set<String>, folders: [String: String]) throws {
        for path in relative {
            let parts = path.split(separator: "/").map(String.init)
            var file = path
            var owner: String?
            if parts.count == 1, Self.workspaceFiles.contains(parts[0]) {
            } else if parts.count == 3, parts[0] == "teams", workspaces.contains(parts[1]), Self.workspaceFiles.contains(parts[2]) {
            } else if let last = parts.last, Self.folderFiles.contains(last), parts.count >= 2,
                      let conversation = folders[parts.dropLast().joined(separator: "/")] {
                file = last
                owner = conversation
            } else {
                continue
            }
            let bytes = try source.read(prefix + path, maxBytes: limits.maxFileBytes)
            let (elements, lone) = try Self.elements(path, bytes, limits: limits)
            counts[path] = elements.count
            var seen: [String: Int] = [:]
            for (index, json) in elements.enumerated() {
                let value = try? JSONValue.parse(json, limits: limits)
                var key = value?["id"]?.stringValue.flatMap { !$0.isEmpty && $0.utf8.count <= 128 ? "id:" + $0 : nil }
                    ?? "sha256:" + KDF.sha256(json).prefix(16).map { String(format: "%02x", $0) }.joined()
                // The same element twice in one file is kept twice: the file comes back as it was.
                let repeats = seen[key, default: 0]
                seen[key] = repeats + 1
                if repeats > 0 { key += "#\(repeats)" }
                let conversation = owner ?? Self.conversation(of: value, known: known)
                if conversation == nil { needsWorkspace = true }
                let item = Segment.Item(file: file, key: key, index: UInt32(truncatingIfNeeded: index), lone: lone)
                items[conversation ?? WorkspaceConversation.id, default: []].append(
                    RawItem(conversationID: conversation ?? WorkspaceConversation.id, ts: Self.date(of: value), item: item, json: json))
            }
        }
    }

    /// The compacted elements of an item file: a JSON array's elements, or the one object it is.
    static func elements(_ path: String, _ bytes: [UInt8], limits: ImportLimits) throws -> ([[UInt8]], lone: Bool) {
        let first = bytes.first { !JSONScanner.isWhitespace($0) }
        do {
            if first == UInt8(ascii: "{") {
                return (try JSONArraySplitter(limits: limits).compactedElements([UInt8(ascii: "[")] + bytes + [UInt8(ascii: "]")]), true)
            }
            return (try JSONArraySplitter(limits: limits).compactedElements(bytes), false)
        } catch {
            throw LetheError(.badInput, "\(path): \(error)")
        }
    }

    /// The first field of `conversationFields` naming a conversation of the export; else the
    /// element's own `id` when it is one (a file conversation's listing), or the id in a name like
    /// `FC:F05JM5XK9SL:My notes`.
    static func conversation(of value: JSONValue?, known: Set<String>) -> String? {
        guard let value else { return nil }
        for field in conversationFields {
            switch value[field] {
            case .string(let s)? where known.contains(s): return s
            case .array(let a)?:
                if let s = a.lazy.compactMap(\.stringValue).first(where: known.contains) { return s }
            default: break
            }
        }
        if let id = value["id"]?.stringValue, known.contains(id) { return id }
        if let name = value["name"]?.stringValue, ExportAssembly.isFileConversationFolder(name),
           let id = ExportAssembly.fileConversation(name).id, known.contains(id) { return id }
        return nil
    }

    /// The first of `dateFields` that is a number of seconds (or a string of one); `0` without.
    static func date(of value: JSONValue?) -> SlackTimestamp {
        for field in dateFields {
            switch value?[field] {
            case .number(let n)?, .string(let n)?:
                if let ts = SlackTimestamp(n) { return ts }
            default: break
            }
        }
        return SlackTimestamp("0")!
    }
}
