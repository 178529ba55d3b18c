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

    /// The Slack metadata file that lists conversations of this kind.
    public var metadataFile: String {
        switch self {
        case .publicChannel: return "channels.json"
        case .privateChannel: return "groups.json"
        case .dm: return "dms.json"
        case .groupDM: return "mpims.json"
        }
    }
}

/// One conversation listed in an export's metadata files.
public struct ExportConversation: Sendable, Equatable {
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

    public init(kind: ConversationKind, id: String, name: String?, folder: String, isArchived: Bool, rawJSON: [UInt8]) {
        self.kind = kind
        self.id = id
        self.name = name
        self.folder = folder
        self.isArchived = isArchived
        self.rawJSON = rawJSON
    }
}

/// One user from `users.json` (or `org_users.json`).
public struct ExportUser: Sendable, Equatable {
    public var id: String
    /// `name` (the handle).
    public var name: String?
    /// `profile.display_name`, else `real_name`.
    public var displayName: String?
    public var rawJSON: [UInt8]

    public init(id: String, name: String?, displayName: String?, rawJSON: [UInt8]) {
        self.id = id
        self.name = name
        self.displayName = displayName
        self.rawJSON = rawJSON
    }
}

/// One day file `<folder>/<YYYY-MM-DD>.json` of a conversation.
public struct DayFile: Sendable, Equatable {
    /// Path of the entry relative to the export root, as stored (for error messages).
    public var path: String
    /// The date in the file name (US Pacific in Slack's exports: never used to place messages).
    public var date: CivilDate

    public init(path: String, date: CivilDate) {
        self.path = path
        self.date = date
    }
}

/// One message of a day file: its identity, a few fields, and its whole JSON value.
public struct RawMessage: Sendable, Equatable {
    public var ts: SlackTimestamp
    public var threadTS: String?
    public var user: String?
    /// `edited.ts`, when the message was edited.
    public var editedTS: String?
    /// The whole message object, compacted JSON bytes.
    public var json: [UInt8]

    public init(ts: SlackTimestamp, threadTS: String?, user: String?, editedTS: String?, json: [UInt8]) {
        self.ts = ts
        self.threadTS = threadTS
        self.user = user
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

    public init() {}
}
