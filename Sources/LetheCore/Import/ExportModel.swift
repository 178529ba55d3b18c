/// The model every export reader produces, whatever the source format.
///
/// Readers keep each message's full JSON value as bytes (whitespace outside
/// strings removed, nothing else changed), so `lethe export` can give it back
/// exactly; they decode only the few fields Lethe needs to place it.

/// The kind of a conversation, decided by the metadata file it came from
/// (never by the id's prefix: old group DMs have `G` ids like private channels).
public enum ConversationKind: String, Codable, Sendable, CaseIterable {
    case publicChannel = "public"
    case privateChannel = "private"
    case dm = "dm"
    case groupDM = "group_dm"
    /// A file's conversation (format 9): the messages of an `FC_<file id>_<title>/` folder,
    /// whose listing is `file_conversations.json`.
    case fileConversation = "file_conversation"
    /// The workspace-level conversation (format 9): the items of the export's workspace files
    /// (canvases, lists, huddle transcripts, integration log entries …) that name no conversation.
    case workspace = "workspace"

    /// The kinds a metadata file lists (`metadataFile`), in the order they are read and written.
    public static let listed: [ConversationKind] = [.publicChannel, .privateChannel, .dm, .groupDM]

    /// The Slack metadata file that lists conversations of this kind (the two format-9 kinds are
    /// listed by none: a file conversation is named by its folder, the workspace one by Lethe).
    public var metadataFile: String {
        switch self {
        case .publicChannel: return "channels.json"
        case .privateChannel: return "groups.json"
        case .dm: return "dms.json"
        case .groupDM: return "mpims.json"
        case .fileConversation: return "file_conversations.json"
        case .workspace: return "(none)"
        }
    }
}

/// The chat platform a conversation was imported from, told by its id: Lethe names Mattermost's
/// conversations `mm:…` (`MattermostBulk`) and Discord's `dc:…`; Slack's ids never hold a `:`.
public enum Platform: String, Codable, Sendable, CaseIterable {
    case slack
    case mattermost
    /// DiscordChatExporter's JSON (`DiscordSource`): conversations `dc:<channel id>`.
    case discord
}

/// The workspace-level conversation every import puts the items no conversation claims in
/// (docs/FORMAT.md §4c): one per archive, matched by policies as `kind: workspace` or `id: LWORKSPACE`.
public enum WorkspaceConversation {
    public static let id = "LWORKSPACE"
    public static let name = "workspace"

    static func make() -> Conversation {
        let raw = JSONValue.object([("id", .string(id)), ("name", .string(name)), ("lethe_workspace", .bool(true))]).encoded()
        return Conversation(kind: .workspace, id: id, name: name, folder: id, isArchived: false, rawJSON: raw)
    }
}

/// One item of a file that is not a day file (canvases.json, lists.json, …), placed in the
/// conversation it belongs to and stored there like a message (format 9).
public struct RawItem: Sendable, Equatable {
    /// The conversation it is stored with.
    public var conversationID: String
    /// Its date (the bucket it goes in): its `created`, `date`, … (docs/FORMAT.md §4c); 0 when it has none.
    public var ts: SlackTimestamp
    public var item: Segment.Item
    /// The element exactly as the file held it (compacted JSON bytes).
    public var json: [UInt8]
}

/// One conversation (a channel, private channel, DM or group DM): what its export
/// listed, as the archive keeps it. Import, retention, search and export all use this
/// one type, and `label(users:)` is how every command shows it.
public struct Conversation: Sendable, Hashable {
    public var kind: ConversationKind
    /// Slack id: `C…`, `G…`, `D…`.
    public var id: String
    /// Channel or group-DM name; nil for 1:1 DMs.
    public var name: String?
    /// The folder holding its day files, relative to the export root
    /// (the name for channels and group DMs, the id for DMs).
    public var folder: String
    public var isArchived: Bool
    /// The metadata object exactly as listed (compacted JSON bytes).
    public var rawJSON: [UInt8]
    /// Member user ids from the metadata (`members`, and a DM's `user`): both users of a
    /// 1:1 DM, the members of a group DM; may be empty for channels.
    public var memberIDs: [String]
    /// The Enterprise Grid workspaces it was exported in (the `teams/<workspace>/` folders, sorted):
    /// one for a workspace's channel, several for a channel shared between workspaces, none for
    /// an org-level conversation (at the Grid export's root) and for any non-Grid export.
    public var workspaces: [String] = []
    /// Its number in the archive, once stored (nil for a conversation read from an export).
    public internal(set) var cno: Int64?

    public init(kind: ConversationKind, id: String, name: String?, folder: String, isArchived: Bool, rawJSON: [UInt8]) {
        self.kind = kind
        self.id = id
        self.name = name
        self.folder = folder
        self.isArchived = isArchived
        self.rawJSON = rawJSON
        var members: [String] = []
        if let meta = try? JSONValue.parse(rawJSON) {
            members = meta["members"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if let u = meta["user"]?.stringValue, !members.contains(u) { members.append(u) }
        }
        self.memberIDs = members
    }

    /// A conversation known only by its facts (policy checks, tests): no metadata object.
    public init(id: String, name: String?, kind: ConversationKind, isArchived: Bool = false, memberIDs: [String] = []) {
        self.kind = kind
        self.id = id
        self.name = name
        self.folder = name ?? id
        self.isArchived = isArchived
        self.rawJSON = []
        self.memberIDs = memberIDs
    }

    /// Where it was imported from (policies' `platform:`, `lethe export`'s format).
    public var platform: Platform {
        id.hasPrefix(MattermostBulk.idPrefix) ? .mattermost : id.hasPrefix(DiscordSource.idPrefix) ? .discord : .slack
    }

    /// Hashed by id alone (planners key caches by conversation, once per bucket): equal
    /// conversations have equal ids, so this agrees with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    /// How every command shows the conversation: `#general` (public or private), `mpdm-alice--bob-1`
    /// (a group DM, by its name), `@alice` or `@alice, @bob` (a DM, by its members' handles when
    /// `users` knows them), else `DM D0123` (a DM whose members are unknown). A conversation of one
    /// Enterprise Grid workspace is prefixed with it, as `in:` takes it (`acme-eng/#general`:
    /// two workspaces may each have a #general); a shared or org-level one is not.
    public func label(users: UserDirectory = .empty) -> String {
        workspaces.count == 1 ? workspaces[0] + "/" + plainLabel(users: users) : plainLabel(users: users)
    }

    private func plainLabel(users: UserDirectory) -> String {
        switch kind {
        case .publicChannel, .privateChannel: return "#" + (name ?? id)
        case .groupDM: return name ?? id
        case .fileConversation: return "file:" + (name ?? id)
        case .workspace: return "(workspace)"
        case .dm:
            let names = memberIDs.compactMap { users.user(id: $0) }.map { "@" + ($0.name ?? $0.id) }
            return names.isEmpty ? "DM \(id)" : names.joined(separator: ", ")
        }
    }
}

/// One user, as the export listed it (`users.json`, `org_users.json`) and the archive keeps it.
public struct User: Sendable, Equatable {
    public var id: String
    /// `name` (the handle).
    public var name: String?
    /// `profile.display_name`, else `real_name`.
    public var displayName: String?
    /// The object exactly as listed (compacted JSON bytes); empty for a user known only by name.
    public var rawJSON: [UInt8]
    /// The Enterprise Grid workspaces whose `users.json` lists the user (sorted); none for a
    /// user known from the org-wide `org_users.json` only, and in any non-Grid export.
    public var workspaces: [String] = []

    /// Where it was imported from: Mattermost's users carry `"lethe_platform": "mattermost"` (`MattermostSource`).
    public var platform: Platform {
        guard rawJSON.count > 20, let value = try? JSONValue.parse(rawJSON), let p = value["lethe_platform"]?.stringValue.flatMap(Platform.init) else { return .slack }
        return p
    }

    public init(id: String, name: String?, displayName: String?, rawJSON: [UInt8] = []) {
        self.id = id
        self.name = name
        self.displayName = displayName
        self.rawJSON = rawJSON
    }
}

/// One day file `<folder>/<YYYY-MM-DD>.json` of a conversation.
///
/// A name that is exactly `<folder>/<date>.json` (every Slack day file) is kept as its folder,
/// shared by the folder's days, and its date: an export of 300,000 day files does not hold
/// 300,000 more path strings while it is imported (~21 MB in a zip with a root folder).
public struct DayFile: Sendable, Equatable {
    /// The folder (`isFolder`) or the whole path.
    private let text: String
    private let isFolder: Bool
    private let day: Int64

    /// The date in the file name (US Pacific in Slack's exports: never used to place messages).
    public var date: CivilDate { CivilDate(dayNumber: day) }

    /// Path of the entry relative to the export root, as stored (for error messages).
    public var path: String { isFolder ? "\(text)/\(date).json" : text }

    public init(path: String, date: CivilDate) {
        self.text = path
        self.isFolder = false
        self.day = date.dayNumber
    }

    /// `<folder>/<date>.json`; `folder` is best one string shared by the folder's days.
    init(folder: String, date: CivilDate) {
        self.text = folder
        self.isFolder = true
        self.day = date.dayNumber
    }

    public static func == (a: DayFile, b: DayFile) -> Bool { a.day == b.day && a.path == b.path }
}

/// One message of a day file: its identity, its edit time, and its whole JSON value (the
/// reader checks the types of `user` and `thread_ts` too, but keeps only what import uses).
public struct RawMessage: Sendable, Equatable {
    public var ts: SlackTimestamp
    /// `edited.ts`, when the message was edited.
    public var editedTS: String?
    /// The whole message object, compacted JSON bytes.
    public var json: [UInt8]

    public init(ts: SlackTimestamp, editedTS: String?, json: [UInt8]) {
        self.ts = ts
        self.editedTS = editedTS
        self.json = json
    }
}

/// Something skipped, with where and why. Counted and reported, never fatal unless `--strict`.
public struct ImportWarning: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var reason: String
    /// A note about the export's shape (an optional file absent), not a skipped record:
    /// reported, but `--strict` does not fail on it.
    public var isNote: Bool

    public init(file: String, reason: String, isNote: Bool = false) {
        self.file = file
        self.reason = reason
        self.isNote = isNote
    }

    public var description: String { "\(file): \(reason)" }
}

/// A file of an export that Lethe did not import, with why (`files_unread` in the import report).
public struct UnreadFile: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Path inside the export (zip entry or relative file path).
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// Limits that protect against hostile exports. Every one is configurable.
public struct ImportLimits: Sendable {
    /// Largest uncompressed size of a single file in the export.
    public var maxFileBytes: Int = 512 << 20
    /// Largest total uncompressed size read from one export.
    public var maxTotalBytes: Int64 = 64 << 30
    /// Largest ratio uncompressed/compressed for a zip entry bigger than 1 MiB.
    public var maxCompressionRatio: Int = 200
    /// Deepest JSON nesting accepted.
    public var maxJSONDepth: Int = 512
    /// Longest single JSON string (bytes).
    public var maxStringBytes: Int = 16 << 20
    /// Longest line of a JSON Lines file (Mattermost's bulk export), bytes.
    public var maxLineBytes: Int = 64 << 20

    public init() {}
}

/// A file shared in a message, as an export holds it: slackdump's "standard" layout
/// (`<channel folder>/attachments/<FILE_ID>-<name>`) or its "mattermost" layout
/// (`__uploads/<FILE_ID>/<name>`). Matched to messages by `files[].id`.
public struct ExportAttachment: Sendable, Equatable {
    public var fileID: String
    /// The path inside the export, relative to its root.
    public var path: String
    /// The file name (the path's last component, without the `<FILE_ID>-` of the standard layout).
    public var name: String
    /// The channel folder it is in (standard layout only).
    public var folder: String?
    public var mattermost: Bool

    init(fileID: String, path: String, name: String, folder: String?, mattermost: Bool) {
        (self.fileID, self.path, self.name, self.folder, self.mattermost) = (fileID, path, name, folder, mattermost)
    }

    /// nil when `path` is in neither layout.
    init?(path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, !parts[2].isEmpty else { return nil }
        if parts[0] == "__uploads" {
            guard ExportAttachment.isFileID(parts[1]) else { return nil }
            (fileID, name, folder, mattermost) = (parts[1], parts[2], nil, true)
        } else if parts[1] == "attachments", let dash = parts[2].firstIndex(of: "-") {
            let id = String(parts[2][..<dash]), rest = String(parts[2][parts[2].index(after: dash)...])
            guard ExportAttachment.isFileID(id), !rest.isEmpty else { return nil }
            (fileID, name, folder, mattermost) = (id, rest, parts[0], false)
        } else {
            return nil
        }
        self.path = path
    }

    /// Slack file ids: `F` and upper-case letters and digits.
    static func isFileID(_ s: String) -> Bool {
        s.count >= 2 && s.count <= 32 && s.first == "F" && s.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
    }
}
