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
    /// The items of the export's files that are not day files (canvases, lists, …; format 9),
    /// by the id of the conversation they are stored with.
    public let items: [String: [RawItem]]
    /// Each item file read (path relative to the root) and how many elements it held.
    public let itemCounts: [String: Int]

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
            return SlackExport(slackdump: try SlackdumpShape.source(database: url, limits: limits), limits: limits)
        }
        let source: any ExportSource = isDirectory.boolValue
            ? try DirectorySource(url, limits: limits)
            : try ZipSource(url, limits: limits)
        return try SlackExport(source: source, limits: limits)
    }

    /// Reads a Slack export, or one of slackdump's formats (recognised by its contents when the
    /// source holds no Slack day files).
    public convenience init(source: any ExportSource, limits: ImportLimits = .init()) throws {
        let slackDays = source.entries.contains(where: SlackExport.isDayFilePath)
        if !slackDays, let jsonl = MattermostSource.detect(source) {
            self.init(mattermost: try MattermostSource(source, jsonl: jsonl, limits: limits), limits: limits)
        } else if !slackDays, let files = DiscordSource.detect(source) {
            self.init(discord: try DiscordSource(source, channelFiles: files, limits: limits), limits: limits)
        } else if !slackDays, let slackdump = try SlackdumpShape.source(in: source, limits: limits) {
            self.init(slackdump: slackdump, limits: limits)
        } else {
            try self.init(slack: source, limits: limits)
        }
    }

    private init(slack source: any ExportSource, limits: ImportLimits) throws {
        self.source = source
        self.limits = limits
        var warnings = source.listingWarnings
        let prefix = try SlackExport.findRoot(source.entries, displayName: source.displayName, warnings: &warnings)
        rootPrefix = prefix
        // Entries under the root, relative to it.
        let relative = source.entries.compactMap { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : nil }
        var assembly = ExportAssembly(source: source, limits: limits, prefix: prefix, relative: relative, warnings: warnings)
        let workspaces = ExportAssembly.gridWorkspaces(relative)
        try assembly.readPart(workspace: nil)
        for workspace in workspaces { try assembly.readPart(workspace: workspace) }
        self.users = assembly.users
        sourceFolders = assembly.sources
        var folderOwners: [String: String] = [:]
        for (id, folders) in assembly.sources { for f in folders where assembly.readFolders.contains(f) { folderOwners[f] = id } }
        let itemFiles = try ExportItems(source: source, limits: limits, prefix: prefix, relative: relative, workspaces: Set(workspaces),
                                        known: Set(assembly.conversations.map(\.id)), folders: folderOwners)
        items = itemFiles.items
        itemCounts = itemFiles.counts
        conversations = assembly.conversations + (itemFiles.needsWorkspace ? [WorkspaceConversation.make()] : [])
        dayFilesByFolder = assembly.days
        collectedWarnings = assembly.warnings

        // Coverage: every file is read, or listed here with why.
        var unread: [UnreadFile] = []
        for path in source.entries where !path.hasPrefix(prefix) {
            unread.append(UnreadFile(path: path, reason: "outside the export read (\(prefix.isEmpty ? "its top folder" : prefix)): one export is read per import"))
        }
        let gridParts = Set(workspaces)
        var attachments: [String: [ExportAttachment]] = [:]
        for path in relative {
            var parts = path.split(separator: "/").map(String.init)
            // A Grid workspace's files are classified as those of an export of their own.
            var base = ""
            if parts.count >= 3, parts[0] == "teams", gridParts.contains(parts[1]) {
                base = "teams/\(parts[1])/"
                parts.removeFirst(2)
            }
            let inner = parts.joined(separator: "/")
            let reason: String?
            if var a = ExportAttachment(path: inner) {
                a.path = path
                a.folder = a.folder.map { base + $0 }
                attachments[a.fileID, default: []].append(a)
                continue
            }
            if itemFiles.counts[path] != nil {
                reason = nil
            } else if parts.count == 1 {
                reason = assembly.readMetadata.contains(path) ? nil : "not part of a Slack export"
            } else if parts.count >= 3, parts[0] == "teams", base.isEmpty {
                reason = "in teams/ but not an Enterprise Grid workspace (teams/<workspace>/ holding channels.json, users.json or folders of day files)"
            } else if parts.count == 2, !assembly.notDays.contains(path), parts[1].hasSuffix(".json") {
                reason = assembly.readFolders.contains(base + parts[0]) ? nil : "its folder is not listed in any metadata file"
            } else if parts.count == 2, ExportItems.folderFiles.contains(parts[1]) {
                reason = "a channel canvas of a folder that is not imported (its folder is not listed in any metadata file)"
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

    /// One of slackdump's formats, in the export model: each conversation object it holds (a
    /// conversation it has messages of but no object for is inferred, as in an export without
    /// channels.json), its users, and its messages as day files of the conversation's id.
    private init(slackdump source: SlackdumpSource, limits: ImportLimits) {
        self.source = source
        self.limits = limits
        rootPrefix = ""
        let index = source.index
        var warnings = source.listingWarnings + index.warnings
        for (what, n) in index.skipped.sorted(by: { $0.key < $1.key }) {
            warnings.append(ImportWarning(file: source.displayName, reason: "\(n) \(what): skipped"))
        }
        var objects = index.channels
        let listed = Set(objects.map(\.id))
        for id in Set(index.days.keys).union(index.names.keys).union(index.invalid.keys).subtracting(listed).sorted() {
            var members: [(String, JSONValue)] = [("id", .string(id))]
            if let name = index.names[id] { members.append(("name", .string(name))) }
            members.append(("lethe_inferred", .bool(true)))
            let value = JSONValue.object(members)
            objects.append((id, value.encoded(), value))
            warnings.append(ImportWarning(file: id, reason: "no channel object for conversation \(id) in \(source.displayName): imported as \(SlackExport.slackdumpKind(value, id: id).rawValue) by its id\(index.names[id].map { " and name \($0)" } ?? ""), recorded as inferred", isNote: true))
        }
        var conversations: [Conversation] = []
        var taken = Set<String>()
        var folders: [String: [String]] = [:]
        var days: [String: [DayFile]] = [:]
        for (id, rawJSON, value) in objects {
            let kind = SlackExport.slackdumpKind(value, id: id)
            let name = kind == .dm ? nil : value["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? index.names[id]
            let (folder, reason) = FolderName.assign(name ?? id, id: id, taken: &taken)
            if let reason {
                warnings.append(ImportWarning(file: id, reason: "conversation \(id): its name cannot be a folder as it is (\(reason)); its messages are kept and exported to the folder \"\(folder)\"", isNote: true))
            }
            if let n = index.invalid[id] {
                warnings.append(ImportWarning(file: id, reason: "\(n) message(s) of conversation \(id) are not objects with a valid \"ts\": skipped"))
            }
            conversations.append(Conversation(kind: kind, id: id, name: name, folder: folder,
                                              isArchived: SlackExport.lenientBool(value["is_archived"]) ?? false, rawJSON: rawJSON))
            folders[id] = [id]
            days[id] = (index.days[id] ?? []).sorted().map { DayFile(path: SlackdumpSource.dayPath(id, $0), date: $0) }
        }
        self.conversations = conversations
        sourceFolders = folders
        dayFilesByFolder = days
        users = index.users.compactMap { u in u.value["id"]?.stringValue.map { ExportAssembly.user(id: $0, u.value, rawJSON: u.rawJSON) } }
        collectedWarnings = warnings
        unread = index.unread.sorted { $0.path < $1.path }
        attachments = index.attachments
        // slackdump holds no canvases, lists or the like as files of their own.
        items = [:]
        itemCounts = [:]
    }

    /// A Mattermost bulk export, in the export model (`MattermostSource`): its channels and
    /// direct channels, users, and posts as day files of each conversation's id.
    private init(mattermost source: MattermostSource, limits: ImportLimits) {
        self.source = source
        self.limits = limits
        rootPrefix = ""
        var warnings = source.listingWarnings + source.readWarnings
        let conversations = source.conversations(warnings: &warnings)
        var folders: [String: [String]] = [:]
        var days: [String: [DayFile]] = [:]
        for c in conversations {
            folders[c.id] = [c.id]
            days[c.id] = (source.bulk.days[c.id] ?? []).sorted().map { DayFile(path: MattermostSource.dayPath(c.id, $0), date: $0) }
        }
        self.conversations = conversations
        sourceFolders = folders
        dayFilesByFolder = days
        users = source.users()
        collectedWarnings = warnings
        unread = source.unread
        attachments = source.attachments
        items = [:]
        itemCounts = [:]
    }

    /// DiscordChatExporter's channel files, in the export model (`DiscordSource`).
    private init(discord source: DiscordSource, limits: ImportLimits) {
        self.source = source
        self.limits = limits
        rootPrefix = ""
        var folders: [String: [String]] = [:]
        var days: [String: [DayFile]] = [:]
        for c in source.conversations {
            folders[c.id] = [c.id]
            days[c.id] = (source.days[c.id] ?? []).sorted().map { DayFile(path: DiscordSource.dayPath(c.id, $0), date: $0) }
        }
        conversations = source.conversations
        sourceFolders = folders
        dayFilesByFolder = days
        users = source.users
        collectedWarnings = source.listingWarnings + source.warnings
        unread = source.unread
        attachments = source.attachments
        items = [:]
        itemCounts = [:]
    }

    /// The kind of a conversation slackdump holds (a `conversations.info` object: `is_im`,
    /// `is_mpim`, `is_private`, `is_group`), else by its id and name (`D…` a DM, `mpdm-…` a
    /// group DM, `G…` a private channel, anything else a public channel).
    static func slackdumpKind(_ value: JSONValue, id: String) -> ConversationKind {
        if lenientBool(value["is_im"]) == true { return .dm }
        if lenientBool(value["is_mpim"]) == true { return .groupDM }
        if lenientBool(value["is_private"]) == true || lenientBool(value["is_group"]) == true { return .privateChannel }
        if value["is_im"] != nil || value["is_channel"] != nil { return .publicChannel }
        if id.hasPrefix("D") { return .dm }
        if value["name"]?.stringValue?.hasPrefix("mpdm-") == true { return .groupDM }
        return id.hasPrefix("G") ? .privateChannel : .publicChannel
    }

    /// The copy of a file the export holds for a message of `conversation`: the one in the
    /// conversation's own folder first (standard layout), else any (mattermost layout, or a
    /// file shared in another channel too).
    public func attachment(fileID: String, conversation: Conversation) -> ExportAttachment? {
        guard let all = attachments[fileID] else { return nil }
        let folders = Set(sourceFolders[conversation.id] ?? [conversation.folder])
        return all.first { $0.folder.map(folders.contains) ?? false } ?? all.first
    }

    /// The metadata files of an export (or of a Grid workspace).
    static let metadataFiles: Set<String> = Set(ConversationKind.listed.map(\.metadataFile)).union(["users.json", "org_users.json"])

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

    /// The day files of a conversation, sorted by date (empty if its folder is absent): those of
    /// the first of its folders that exists in each part (a channel shared between Grid
    /// workspaces has a folder in each, holding the same messages or not).
    public func dayFiles(of conversation: Conversation) -> [DayFile] {
        var found: [[DayFile]] = []
        var parts = Set<String>()
        for folder in sourceFolders[conversation.id] ?? [conversation.folder] {
            let part = folder.hasPrefix("teams/") ? String(folder.split(separator: "/").prefix(2).joined(separator: "/")) : ""
            guard !parts.contains(part), let days = dayFilesByFolder[folder] else { continue }
            parts.insert(part)
            found.append(days)
        }
        // One folder (nearly always): its list itself, shared, not a copy.
        return found.count > 1 ? found.joined().sorted { $0.date < $1.date } : found.first ?? []
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
            // Enterprise Grid without metadata at its root: the workspaces' folder's parent is the root.
            let gridRoots = Set(best.compactMap { dir -> String? in
                let parts = dir.split(separator: "/")
                guard parts.count >= 2, parts[parts.count - 2] == "teams" else { return nil }
                return parts.dropLast(2).map { $0 + "/" }.joined()
            })
            if gridRoots.count == 1, let root = gridRoots.first, best.allSatisfy({ $0.hasPrefix(root + "teams/") }) { return root }
            if best.count > 1 {
                let names = best.map { $0.isEmpty ? "./" : $0 }
                throw LetheError(.badInput, "\(displayName): holds \(best.count) exports side by side (\(names.joined(separator: ", "))), and Lethe reads one export per path",
                                 hint: "import each by its own path (`lethe import \(displayName)/\(names[0])`, unzipping a zip first), or put an Enterprise Grid export's workspaces under teams/ as Slack does")
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
