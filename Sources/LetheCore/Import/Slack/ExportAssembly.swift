/// What `SlackExport` reads of an export, gathered part by part: the export's root, and under
/// Enterprise Grid each `teams/<workspace>/` folder, a workspace-style export of its own with
/// its own metadata files, users and conversation folders (docs/EXPORT.md, "Enterprise Grid").
///
/// A conversation listed by several parts (a channel shared between workspaces) is one
/// conversation: the first listing is kept, its workspaces are the union, and its day files
/// are those of every folder it has. A user listed by several parts likewise.
struct ExportAssembly {
    let source: any ExportSource
    let limits: ImportLimits
    /// The export root inside the source.
    let prefix: String
    /// Entries under the root, relative to it, in the order found (and as a set).
    let relative: [String]
    let present: Set<String>

    var conversations: [Conversation] = []
    var users: [User] = []
    /// Conversation id → the folders (relative to the root) its day files may be in.
    var sources: [String: [String]] = [:]
    /// Folder (relative to the root) → its day files.
    var days: [String: [DayFile]] = [:]
    /// Folders whose day files are imported.
    var readFolders = Set<String>()
    /// Paths of `<folder>/<name>.json` files that are not day files.
    var notDays = Set<String>()
    /// Metadata files read (relative to the root).
    var readMetadata = Set<String>()
    var warnings: [ImportWarning]
    private var conversationIndex: [String: Int] = [:]
    private var userIndex: [String: Int] = [:]

    init(source: any ExportSource, limits: ImportLimits, prefix: String, relative: [String], warnings: [ImportWarning]) {
        self.source = source
        self.limits = limits
        self.prefix = prefix
        self.relative = relative
        self.present = Set(relative)
        self.warnings = warnings
    }

    /// The Enterprise Grid workspaces under the root: each `teams/<name>/` folder that holds a
    /// metadata file or a folder of day files (sorted by name), and whose name can be written
    /// back as a folder as it is (`FolderName.problem`; the others' files are listed as unread).
    static func gridWorkspaces(_ relative: some Sequence<String>) -> [String] {
        var out = Set<String>()
        for path in relative {
            let parts = path.split(separator: "/")
            guard parts.count >= 3, parts[0] == "teams", FolderName.problem(String(parts[1])) == nil else { continue }
            let rest = parts.dropFirst(2).joined(separator: "/")
            if (parts.count == 3 && SlackExport.metadataFiles.contains(rest)) || (parts.count == 4 && SlackExport.isDayFilePath(rest)) {
                out.insert(String(parts[1]))
            }
        }
        return out.sorted()
    }

    /// Reads one part: the root (`workspace` nil) or `teams/<workspace>/`.
    mutating func readPart(workspace: String?) throws {
        let base = workspace.map { "teams/\($0)/" } ?? ""
        let label = workspace.map { "workspace \($0): " } ?? ""
        var ids = Set<String>()
        var folders = Set<String>()
        var named: [(kind: ConversationKind, index: Int, id: String, name: String?, folder: String, rawJSON: [UInt8], value: JSONValue)] = []
        for kind in ConversationKind.listed {
            let file = base + kind.metadataFile
            guard let bytes = present.contains(file) ? try source.read(prefix + file, maxBytes: limits.maxFileBytes) : nil else {
                warnings.append(ImportWarning(file: file, reason: "not in the export; no \(kind.rawValue) conversations read from it", isNote: true))
                continue
            }
            readMetadata.insert(file)
            for (index, rawJSON) in try arrayElements(file, bytes).enumerated() {
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
            var lookIn = [base + c.folder]
            if let reason {
                warnings.append(ImportWarning(file: base + c.kind.metadataFile, reason: "element \(c.index): conversation \(c.id): its folder name cannot be written as it is (\(reason)); its messages are kept and exported to the folder \"\(safe)\"", isNote: true))  // nothing is lost: --strict does not fail on it
                // Re-importing a lethe export of it: the day files are in the safe folder.
                if !folders.contains(safe) { lookIn.append(base + safe) }
            }
            var conversation = Conversation(
                kind: c.kind, id: c.id, name: c.kind == .dm ? nil : c.name, folder: safe,
                isArchived: SlackExport.lenientBool(c.value["is_archived"]) ?? false, rawJSON: c.rawJSON)
            conversation.workspaces = workspace.map { [$0] } ?? []
            add(conversation, folders: lookIn)
        }

        try readUsers(base: base, workspace: workspace, label: label)
        let partDays = indexDays(base: base)

        // No channels.json: each folder of day files no other metadata file names is taken to
        // be a public channel of that name (file conversations, FC_…, are not: below).
        var partFolders = Set(sources.values.joined())
        if !present.contains(base + "channels.json") {
            for folder in partDays.sorted() where !partFolders.contains(base + folder) && !Self.isFileConversationFolder(folder) {
                // A DM's folder is its id (D…): without dms.json it is still that DM.
                let isDM = !present.contains(base + "dms.json") && !ids.contains(folder) && SlackExport.looksLikeDMID(folder)
                let (id, fromMessages) = isDM ? (folder, true)
                    : SlackExport.inferredID(folder: folder, days: days[base + folder] ?? [], source: source, prefix: prefix, limits: limits, taken: ids.union(conversationIndex.keys))
                ids.insert(id)
                let (safe, _) = FolderName.assign(folder, id: id, taken: &taken)
                var members: [(String, JSONValue)] = [("id", .string(id))]
                if !isDM { members.append(("name", .string(folder))) }
                members.append(("lethe_inferred", .bool(true)))
                var conversation = Conversation(kind: isDM ? .dm : .publicChannel, id: id, name: isDM ? nil : folder, folder: safe,
                                                isArchived: false, rawJSON: JSONValue.object(members).encoded())
                conversation.workspaces = workspace.map { [$0] } ?? []
                add(conversation, folders: [base + folder])
                partFolders.insert(base + folder)
                let what = isDM ? "the DM \(id) (its folder is its id)"
                    : "the public channel #\(folder), id \(id) " + (fromMessages ? "(the \"channel\" of its messages)" : "(derived from the folder name; see docs/FORMAT.md)")
                warnings.append(ImportWarning(file: base + folder + "/", reason: "\(label)no channels.json: imported as \(what), recorded as inferred", isNote: true))
            }
        }
        // A file conversation's folder (FC_<file id>_<title>, or FC:<id>:<title>): its day files are
        // its messages, a conversation of kind file_conversation with the file's id (format 9).
        for folder in partDays.sorted() where !partFolders.contains(base + folder) && Self.isFileConversationFolder(folder) {
            let (parsed, title) = Self.fileConversation(folder)
            let id = parsed.flatMap { ids.contains($0) ? nil : $0 }
                ?? SlackExport.inferredID(folder: folder, days: [], source: source, prefix: prefix, limits: limits, taken: ids.union(conversationIndex.keys)).0
            ids.insert(id)
            let (safe, _) = FolderName.assign(folder, id: id, taken: &taken)
            let raw = JSONValue.object([("id", .string(id)), ("name", .string(title)), ("lethe_file_conversation", .bool(true))]).encoded()
            var conversation = Conversation(kind: .fileConversation, id: id, name: title, folder: safe, isArchived: false, rawJSON: raw)
            conversation.workspaces = workspace.map { [$0] } ?? []
            add(conversation, folders: [base + folder])
            partFolders.insert(base + folder)
        }
        readFolders.formUnion(partFolders)
        for folder in partDays.sorted() where !readFolders.contains(base + folder) {
            let n = days[base + folder]?.count ?? 0
            warnings.append(ImportWarning(file: base + folder + "/", reason: "folder not listed in any metadata file; its \(n) day file(s) are skipped"))
        }
    }

    /// `FC_…` or `FC:…`: the folder of a file conversation (docs/EXPORT.md).
    static func isFileConversationFolder(_ folder: String) -> Bool { folder.hasPrefix("FC_") || folder.hasPrefix("FC:") }

    /// The file id and title of a file conversation's folder (`FC_F05JM5XK9SL_My notes` →
    /// `F05JM5XK9SL`, `My notes`); the id is nil when the folder holds none.
    static func fileConversation(_ folder: String) -> (id: String?, title: String) {
        let rest = folder.dropFirst(3)
        let sep: Character = folder.hasPrefix("FC:") ? ":" : "_"
        let id = String(rest.prefix { $0 != sep })
        let title = rest.count > id.count ? String(rest.dropFirst(id.count + 1)) : ""
        return ExportAttachment.isFileID(id) ? (id, title.isEmpty ? id : title) : (nil, String(rest))
    }

    /// A conversation of this part: new, or one an earlier part listed (shared between workspaces).
    private mutating func add(_ conversation: Conversation, folders: [String]) {
        if let i = conversationIndex[conversation.id] {
            conversations[i].workspaces = Self.union(conversations[i].workspaces, conversation.workspaces)
        } else {
            conversationIndex[conversation.id] = conversations.count
            conversations.append(conversation)
        }
        // Each folder once, in the order the parts name them.
        for folder in folders where sources[conversation.id]?.contains(folder) != true {
            sources[conversation.id, default: []].append(folder)
        }
    }

    /// Two workspace lists as one: sorted, each once (as version-2 records hold them).
    private static func union(_ a: [String], _ b: [String]) -> [String] { Array(Set(a + b)).sorted() }

    /// The compacted elements of a metadata file's JSON array; a file that is not one fails the import.
    private func arrayElements(_ file: String, _ bytes: [UInt8]) throws -> [[UInt8]] {
        do {
            return try JSONArraySplitter(limits: limits).compactedElements(bytes)
        } catch {
            throw LetheError(.badInput, "\(file): \(error)")
        }
    }

    /// `users.json`, else `org_users.json`, of one part (the Grid root has `org_users.json` only).
    private mutating func readUsers(base: String, workspace: String?, label: String) throws {
        let file = [base + "users.json", base + "org_users.json"].first(where: present.contains)
        guard let file else {
            if workspace == nil, users.isEmpty {
                warnings.append(ImportWarning(file: "users.json", reason: "not in the export (nor org_users.json); users are known only by id", isNote: true))
            }
            return
        }
        // A Grid root lists both: org_users.json is the org's directory, read too.
        let files = workspace == nil && file == "users.json" && present.contains("org_users.json") ? [file, "org_users.json"] : [file]
        for file in files {
            readMetadata.insert(file)
            let bytes = try source.read(prefix + file, maxBytes: limits.maxFileBytes)
            var seen = Set<String>()
            for (index, rawJSON) in try arrayElements(file, bytes).enumerated() {
                guard let value = try? JSONValue.parse(rawJSON, limits: limits), value.objectValue != nil,
                      let id = value["id"]?.stringValue, !id.isEmpty
                else {
                    warnings.append(ImportWarning(file: file, reason: "element \(index): not a user object with an \"id\", skipped"))
                    continue
                }
                guard seen.insert(id).inserted else {
                    warnings.append(ImportWarning(file: file, reason: "element \(index): user \(id) listed twice, first kept"))
                    continue
                }
                if let i = userIndex[id] {
                    if let workspace { users[i].workspaces = Self.union(users[i].workspaces, [workspace]) }
                    continue
                }
                var user = Self.user(id: id, value, rawJSON: rawJSON)
                user.workspaces = workspace.map { [$0] } ?? []
                userIndex[id] = users.count
                users.append(user)
            }
        }
    }

    /// A user as the export lists it: the handle, and `profile.display_name`, else `real_name`.
    static func user(id: String, _ value: JSONValue, rawJSON: [UInt8]) -> User {
        func nonEmpty(_ v: JSONValue?) -> String? { v?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        let display = nonEmpty(value["profile"]?["display_name"]) ?? nonEmpty(value["real_name"]) ?? nonEmpty(value["profile"]?["real_name"])
        return User(id: id, name: nonEmpty(value["name"]), displayName: display, rawJSON: rawJSON)
    }

    /// Indexes the day files `<base><folder>/<YYYY-MM-DD>.json`; returns the part's folders of day files.
    private mutating func indexDays(base: String) -> Set<String> {
        var partFolders = Set<String>()
        var folderPath = ""  // the last folder's path, one string for all its days
        for path in relative where path.hasPrefix(base) {
            let parts = path.dropFirst(base.count).split(separator: "/")
            guard parts.count == 2, parts[1].hasSuffix(".json") else { continue }
            guard let date = CivilDate(iso: String(parts[1].dropLast(5))) else {
                // Exports hold other files beside day files (canvas_in_the_conversation.json):
                // only a name that tries to be a date and is not one is worth a warning.
                if parts[1].prefix(5).allSatisfy({ $0.isASCII && $0.isNumber || $0 == "-" }) && parts[1].first?.isNumber == true {
                    warnings.append(ImportWarning(file: path, reason: "name is not a valid day (YYYY-MM-DD.json), skipped"))
                }
                notDays.insert(path)
                continue
            }
            partFolders.insert(String(parts[0]))
            let folder = base + parts[0]
            if folder != folderPath { folderPath = folder }
            let day = path == "\(folderPath)/\(date).json" ? DayFile(folder: folderPath, date: date) : DayFile(path: path, date: date)
            days[folderPath, default: []].append(day)
        }
        for folder in partFolders { days[base + folder]?.sort { $0.date < $1.date } }
        return partFolders
    }
}
