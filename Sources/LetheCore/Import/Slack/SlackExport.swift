import Foundation

/// A Slack workspace export (zip or unpacked folder), read into the export model.
///
/// `open` finds the export root, reads the metadata files (`channels.json`,
/// `groups.json`, `dms.json`, `mpims.json`, `users.json`/`org_users.json`)
/// leniently, and indexes the day files; messages are read one day at a time
/// with `readMessages`. Problems that lose nothing essential are collected in
/// `warnings`; malformed or hostile files throw `LetheError(.badInput, …)`
/// naming the file. Neither ever quotes message text.
///
/// Safe to use from several threads: the source serialises its reads and the
/// warning list is lock-protected.
public final class SlackExport: @unchecked Sendable {
    public let source: any ExportSource
    public let limits: ImportLimits
    /// Path of the export root inside the source: `""` or `"folder/"`.
    public let rootPrefix: String
    public let conversations: [Conversation]
    public let users: [User]
    private let dayFilesByFolder: [String: [DayFile]]
    /// Conversation id → the folders its day files may be in: the one the export names,
    /// then the safe folder it is exported as (where a lethe export of it put them).
    private let sourceFolders: [String: [String]]
    private let lock = NSLock()
    private var collectedWarnings: [ImportWarning]
    /// Every file of the export that is not imported, with why (sorted by path). Attachments
    /// are not in it: which of them are read is known only after the messages are (`attachments`).
    public let unread: [UnreadFile]
    /// The attached files the export holds (slackdump's layouts), by Slack file id.
    public let attachments: [String: [ExportAttachment]]

    /// Everything skipped so far (append-only).
    public var warnings: [ImportWarning] {
        lock.lock()
        defer { lock.unlock() }
        return collectedWarnings
    }

    /// Opens a zip file or an export folder.
    public static func open(_ url: URL, limits: ImportLimits = .init()) throws -> SlackExport {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw LetheError(.badInput, "\(url.lastPathComponent): no such file or folder")
        }
        if !isDirectory.boolValue, SlackdumpShape.head(ofFile: url.path, count: 16) == SlackdumpShape.sqliteMagic {
            throw SlackdumpShape.database.refusal(url.lastPathComponent)
        }
        let source: any ExportSource = isDirectory.boolValue
            ? try DirectorySource(url, limits: limits)
            : try ZipSource(url, limits: limits)
        return try SlackExport(source: source, limits: limits)
    }

    public init(source: any ExportSource, limits: ImportLimits = .init()) throws {
        self.source = source
        self.limits = limits
        var warnings = source.listingWarnings

        // slackdump's own formats hold no day files: refused by their shape, in one line.
        if !source.entries.contains(where: SlackExport.isDayFilePath), let shape = SlackdumpShape.detect(source, limits: limits) {
            throw shape.refusal(source.displayName)
        }
        let prefix = try SlackExport.findRoot(source.entries, displayName: source.displayName, warnings: &warnings)
        rootPrefix = prefix
        // Entries under the root, relative to it.
        let relative = source.entries.compactMap { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : nil }
        let present = Set(relative)

        // Conversations.
        var conversations: [Conversation] = []
        var sources: [String: [String]] = [:]
        var ids = Set<String>()
        var folders = Set<String>()
        var named: [(kind: ConversationKind, index: Int, id: String, name: String?, folder: String, rawJSON: [UInt8], value: JSONValue)] = []
        for kind in ConversationKind.allCases {
            let file = kind.metadataFile
            guard let bytes = present.contains(file) ? try source.read(prefix + file, maxBytes: limits.maxFileBytes) : nil else {
                warnings.append(ImportWarning(file: file, reason: "not in the export; no \(kind.rawValue) conversations read from it", isNote: true))
                continue
            }
            let elements: [[UInt8]]
            do {
                elements = try JSONArraySplitter(limits: limits).compactedElements(bytes)
            } catch {
                throw LetheError(.badInput, "\(file): \(error)")
            }
            for (index, rawJSON) in elements.enumerated() {
                guard let value = try? JSONValue.parse(rawJSON, limits: limits), value.objectValue != nil else {
                    warnings.append(ImportWarning(file: file, reason: "element \(index): not an object, skipped"))
                    continue
                }
                guard let id = value["id"]?.stringValue, !id.isEmpty else {
                    warnings.append(ImportWarning(file: file, reason: "element \(index): missing \"id\", skipped"))
                    continue
                }
                guard ids.insert(id).inserted else {
                    warnings.append(ImportWarning(file: file, reason: "element \(index): conversation \(id) listed twice, first kept"))
                    continue
                }
                let name = value["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
                var folder = id
                if kind != .dm {
                    if let name {
                        folder = name
                    } else {
                        warnings.append(ImportWarning(file: file, reason: "element \(index): conversation \(id) has no \"name\"; its folder is taken to be its id"))
                    }
                }
                if !folders.insert(folder).inserted {
                    warnings.append(ImportWarning(file: file, reason: "element \(index): conversation \(id) shares its folder with another conversation"))
                }
                named.append((kind, index, id, name, folder, rawJSON, value))
            }
        }
        // Each conversation is exported to a folder of its own that is one plain path
        // component; a name that is not (or collides) is mapped, recorded and warned about.
        var taken = Set<String>()
        for c in named {
            let (safe, reason) = FolderName.assign(c.folder, id: c.id, taken: &taken)
            var lookIn = [c.folder]
            if let reason {
                warnings.append(ImportWarning(file: c.kind.metadataFile, reason: "element \(c.index): conversation \(c.id): its folder name cannot be written as it is (\(reason)); its messages are kept and exported to the folder \"\(safe)\"", isNote: true))  // nothing is lost: --strict does not fail on it
                // Re-importing a lethe export of it: the day files are in the safe folder.
                if !folders.contains(safe) { lookIn.append(safe) }
            }
            sources[c.id] = lookIn
            conversations.append(Conversation(
                kind: c.kind, id: c.id, name: c.kind == .dm ? nil : c.name, folder: safe,
                isArchived: SlackExport.lenientBool(c.value["is_archived"]) ?? false, rawJSON: c.rawJSON))
        }

        // Users.
        var users: [User] = []
        let usersFile = present.contains("users.json") ? "users.json" : present.contains("org_users.json") ? "org_users.json" : nil
        if let usersFile {
            let bytes = try source.read(prefix + usersFile, maxBytes: limits.maxFileBytes)
            let elements: [[UInt8]]
            do {
                elements = try JSONArraySplitter(limits: limits).compactedElements(bytes)
            } catch {
                throw LetheError(.badInput, "\(usersFile): \(error)")
            }
            var userIDs = Set<String>()
            for (index, rawJSON) in elements.enumerated() {
                guard let value = try? JSONValue.parse(rawJSON, limits: limits), value.objectValue != nil,
                      let id = value["id"]?.stringValue, !id.isEmpty
                else {
                    warnings.append(ImportWarning(file: usersFile, reason: "element \(index): not a user object with an \"id\", skipped"))
                    continue
                }
                guard userIDs.insert(id).inserted else {
                    warnings.append(ImportWarning(file: usersFile, reason: "element \(index): user \(id) listed twice, first kept"))
                    continue
                }
                func nonEmpty(_ v: JSONValue?) -> String? { v?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
                let display = nonEmpty(value["profile"]?["display_name"]) ?? nonEmpty(value["real_name"])
                    ?? nonEmpty(value["profile"]?["real_name"])
                users.append(User(id: id, name: nonEmpty(value["name"]), displayName: display, rawJSON: rawJSON))
            }
        } else {
            warnings.append(ImportWarning(file: "users.json", reason: "not in the export (nor org_users.json); users are known only by id", isNote: true))
        }
        self.users = users

        // Day files: <folder>/<YYYY-MM-DD>.json directly under the root.
        var days: [String: [DayFile]] = [:]
        var notDays: [String] = []
        for path in relative {
            let parts = path.split(separator: "/")
            guard parts.count == 2, parts[1].hasSuffix(".json") else { continue }
            guard let date = CivilDate(iso: String(parts[1].dropLast(5))) else {
                // Exports hold other files beside day files (canvas_in_the_conversation.json):
                // only a name that tries to be a date and is not one is worth a warning.
                if parts[1].prefix(5).allSatisfy({ $0.isASCII && $0.isNumber || $0 == "-" }) && parts[1].first?.isNumber == true {
                    warnings.append(ImportWarning(file: path, reason: "name is not a valid day (YYYY-MM-DD.json), skipped"))
                }
                notDays.append(path)
                continue
            }
            days[String(parts[0]), default: []].append(DayFile(path: path, date: date))
        }
        for key in days.keys { days[key]?.sort { $0.date < $1.date } }
        var readFolders = Set(sources.values.joined())

        // No channels.json: each folder of day files no other metadata file names is taken to
        // be a public channel of that name (file conversations, FC_…, are not: see unread).
        if !present.contains("channels.json") {
            for folder in days.keys.sorted() where !readFolders.contains(folder) && !folder.hasPrefix("FC_") {
                // A DM's folder is its id (D…): without dms.json it is still that DM.
                let isDM = !present.contains("dms.json") && !ids.contains(folder) && SlackExport.looksLikeDMID(folder)
                let (id, fromMessages) = isDM ? (folder, true)
                    : SlackExport.inferredID(folder: folder, days: days[folder] ?? [], source: source, prefix: prefix, limits: limits, taken: ids)
                ids.insert(id)
                let (safe, _) = FolderName.assign(folder, id: id, taken: &taken)
                var members: [(String, JSONValue)] = [("id", .string(id))]
                if !isDM { members.append(("name", .string(folder))) }
                members.append(("lethe_inferred", .bool(true)))
                conversations.append(Conversation(kind: isDM ? .dm : .publicChannel, id: id, name: isDM ? nil : folder, folder: safe,
                                                  isArchived: false, rawJSON: JSONValue.object(members).encoded()))
                sources[id] = [folder]
                readFolders.insert(folder)
                let what = isDM ? "the DM \(id) (its folder is its id)"
                    : "the public channel #\(folder), id \(id) " + (fromMessages ? "(the \"channel\" of its messages)" : "(derived from the folder name; see docs/FORMAT.md)")
                warnings.append(ImportWarning(file: folder + "/", reason: "no channels.json: imported as \(what), recorded as inferred", isNote: true))
            }
        }
        for folder in days.keys.sorted() where !readFolders.contains(folder) && !folder.hasPrefix("FC_") {
            let n = days[folder]?.count ?? 0
            warnings.append(ImportWarning(file: folder + "/", reason: "folder not listed in any metadata file; its \(n) day file(s) are skipped"))
        }
        sourceFolders = sources
        self.conversations = conversations
        dayFilesByFolder = days
        collectedWarnings = warnings

        // Coverage: every file is read, or listed here with why.
        let readMetadata: Set<String> = Set(ConversationKind.allCases.map(\.metadataFile)).union(usersFile.map { [$0] } ?? [])
        var unread: [UnreadFile] = []
        for path in source.entries where !path.hasPrefix(prefix) {
            unread.append(UnreadFile(path: path, reason: "outside the export read (\(prefix.isEmpty ? "its top folder" : prefix)): one export is read per import"))
        }
        let notDaySet = Set(notDays)
        var attachments: [String: [ExportAttachment]] = [:]
        for path in relative {
            let parts = path.split(separator: "/").map(String.init)
            let reason: String?
            if let a = ExportAttachment(path: path) {
                attachments[a.fileID, default: []].append(a)
                continue
            }
            if parts.count == 1 {
                reason = readMetadata.contains(path) ? nil : SlackExport.knownUnread[path] ?? "not part of a Slack export"
            } else if parts[0] == "teams" {
                reason = "an Enterprise Grid workspace (teams/…): not archived yet"
            } else if parts[0].hasPrefix("FC_") {
                reason = "a file conversation (FC_… folder): not archived yet"
            } else if parts.count == 2, !notDaySet.contains(path), parts[1].hasSuffix(".json") {
                reason = readFolders.contains(parts[0]) ? nil : "its folder is not listed in any metadata file"
            } else if parts.count == 2, parts[1] == "canvas_in_the_conversation.json" {
                reason = "a channel canvas: canvases are not archived yet"
            } else if parts.count == 2, parts[1].hasSuffix(".json") {
                reason = "not a day file (the name is not YYYY-MM-DD.json)"
            } else {
                reason = "not part of a Slack export (attachments and other files are not archived)"
            }
            if let reason { unread.append(UnreadFile(path: prefix + path, reason: reason)) }
        }
        self.unread = unread.sorted { $0.path < $1.path }
        self.attachments = attachments
    }

    /// The copy of a file the export holds for a message of `conversation`: the one in the
    /// conversation's own folder first (standard layout), else any (mattermost layout, or a
    /// file shared in another channel too).
    public func attachment(fileID: String, conversation: Conversation) -> ExportAttachment? {
        guard let all = attachments[fileID] else { return nil }
        let folders = Set(sourceFolders[conversation.id] ?? [conversation.folder])
        return all.first { $0.folder.map(folders.contains) ?? false } ?? all.first
    }

    /// Files of Slack's exports that Lethe knows and does not read yet (docs/FORMAT.md lists them all).
    static let knownUnread: [String: String] = [
        "integration_logs.json": "integration logs are not archived yet",
        "canvases.json": "canvases are not archived yet",
        "lists.json": "lists are not archived yet",
        "huddle_transcripts.json": "huddle transcripts are not archived yet",
        "file_conversations.json": "file conversations are not archived yet",
        "org_users.json": "Enterprise Grid org-wide users are not archived yet (users.json is read)",
    ]

    /// `D` and at least 8 uppercase letters or digits: how Slack names a DM, and its folder.
    static func looksLikeDMID(_ s: String) -> Bool {
        s.count >= 9 && s.count <= 32 && s.first == "D" && s.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
    }

    /// `folder/YYYY-MM-DD.json` at any depth.
    static func isDayFilePath(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        guard parts.count >= 2, let last = parts.last, last.hasSuffix(".json") else { return false }
        return CivilDate(iso: String(last.dropLast(5))) != nil
    }

    /// The id of a conversation known only by its folder: the `channel` its messages carry
    /// (the first day file is looked at), else `C` + the first 10 hex digits of the SHA-256
    /// of the folder name, uppercase (stable across imports). Never one already taken.
    static func inferredID(folder: String, days: [DayFile], source: any ExportSource, prefix: String, limits: ImportLimits, taken: Set<String>) -> (String, fromMessages: Bool) {
        if let first = days.first, let bytes = try? source.read(prefix + first.path, maxBytes: limits.maxFileBytes),
           let (messages, _) = try? JSONArraySplitter(limits: limits).split(bytes) {
            for m in messages.prefix(100) {
                if let id = (try? JSONValue.parse(m.json, limits: limits))?["channel"]?.stringValue,
                   id.count >= 2, id.count <= 32, id.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }), !taken.contains(id) {
                    return (id, true)
                }
            }
        }
        var salt = ""
        while true {
            let hex = KDF.sha256(Array((folder + salt).utf8)).prefix(5).map { String(format: "%02X", $0) }.joined()
            let id = "C" + hex
            if !taken.contains(id) { return (id, false) }
            salt += "\u{0}"
        }
    }

    /// The day files of a conversation, sorted by date (empty if its folder is absent).
    public func dayFiles(of conversation: Conversation) -> [DayFile] {
        for folder in sourceFolders[conversation.id] ?? [conversation.folder] {
            if let days = dayFilesByFolder[folder] { return days }
        }
        return []
    }

    /// Every message of one day file, plus the elements skipped (with why).
    /// Throws `LetheError(.badInput)` if the file itself is malformed or over a limit.
    public func readMessages(_ day: DayFile) throws -> (messages: [RawMessage], skipped: [ImportWarning]) {
        let bytes = try source.read(rootPrefix + day.path, maxBytes: limits.maxFileBytes)
        do {
            let (messages, skipped) = try JSONArraySplitter(limits: limits).split(bytes)
            return (messages, skipped.map { ImportWarning(file: day.path, reason: "element \($0.index): \($0.reason)") })
        } catch {
            throw LetheError(.badInput, "\(day.path): \(error)")
        }
    }


    // MARK: - Helpers

    /// `true`/`false`, or a number (non-zero is true), or `"true"`/`"false"`/`"1"`/`"0"`.
    static func lenientBool(_ v: JSONValue?) -> Bool? {
        switch v {
        case .bool(let b): return b
        case .number(let n): return JSONNumber.canonical(n).map { !$0.digits.isEmpty }
        case .string(let s):
            switch s {
            case "true", "1": return true
            case "false", "0": return false
            default: return nil
            }
        default: return nil
        }
    }

    /// The shallowest folder holding `channels.json`, else `users.json` /
    /// `org_users.json` / `dms.json`, else folders of day files; returned as a
    /// prefix (`""` or `"a/b/"`).
    static func findRoot(_ entries: [String], displayName: String, warnings: inout [ImportWarning]) throws -> String {
        for markers in [["channels.json"], ["users.json", "org_users.json", "dms.json"]] {
            var best: [String] = []
            var bestDepth = Int.max
            for path in entries {
                let parts = path.split(separator: "/")
                guard let last = parts.last, markers.contains(String(last)) else { continue }
                let dir = parts.dropLast().map { $0 + "/" }.joined()
                if parts.count < bestDepth {
                    bestDepth = parts.count
                    best = [dir]
                } else if parts.count == bestDepth, !best.contains(dir) {
                    best.append(dir)
                }
            }
            guard !best.isEmpty else { continue }
            best.sort()
            if best.count > 1 {
                warnings.append(ImportWarning(file: best[0].isEmpty ? "." : best[0], reason: "\(best.count) export roots at the same depth; only this one is read"))
            }
            return best[0]
        }
        // No metadata at all: the shallowest folder whose folders hold day files.
        let dayRoots = entries.filter(isDayFilePath).map { $0.split(separator: "/").dropLast(2).map { $0 + "/" }.joined() }
        if let root = dayRoots.min(by: { ($0.count(where: { $0 == "/" }), $0) < ($1.count(where: { $0 == "/" }), $1) }) {
            warnings.append(ImportWarning(file: root.isEmpty ? "." : root, reason: "no metadata files (channels.json, users.json …): the conversations are taken from the folders", isNote: true))
            return root
        }
        throw LetheError(.badInput, "\(displayName): not a Slack export (no channels.json, users.json, org_users.json or dms.json found, and no folders of day files)")
    }
}
