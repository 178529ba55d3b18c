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
        let source: any ExportSource = isDirectory.boolValue
            ? try DirectorySource(url, limits: limits)
            : try ZipSource(url, limits: limits)
        return try SlackExport(source: source, limits: limits)
    }

    public init(source: any ExportSource, limits: ImportLimits = .init()) throws {
        self.source = source
        self.limits = limits
        var warnings = source.listingWarnings

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
        sourceFolders = sources
        let readFolders = Set(sources.values.joined())
        self.conversations = conversations

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
        for path in relative {
            let parts = path.split(separator: "/")
            guard parts.count == 2, parts[1].hasSuffix(".json") else { continue }
            guard let date = CivilDate(iso: String(parts[1].dropLast(5))) else {
                // Exports hold other files beside day files (canvas_in_the_conversation.json):
                // only a name that tries to be a date and is not one is worth a warning.
                if parts[1].prefix(5).allSatisfy({ $0.isASCII && $0.isNumber || $0 == "-" }) && parts[1].first?.isNumber == true {
                    warnings.append(ImportWarning(file: path, reason: "name is not a valid day (YYYY-MM-DD.json), skipped"))
                }
                continue
            }
            days[String(parts[0]), default: []].append(DayFile(path: path, date: date))
        }
        for key in days.keys { days[key]?.sort { $0.date < $1.date } }
        for folder in days.keys.sorted() where !readFolders.contains(folder) {
            let n = days[folder]?.count ?? 0
            warnings.append(ImportWarning(file: folder + "/", reason: "folder not listed in any metadata file; its \(n) day file(s) are skipped"))
        }
        dayFilesByFolder = days
        collectedWarnings = warnings
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
    /// `org_users.json` / `dms.json`; returned as a prefix (`""` or `"a/b/"`).
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
        throw LetheError(.badInput, "\(displayName): not a Slack export (no channels.json, users.json, org_users.json or dms.json found)")
    }
}
