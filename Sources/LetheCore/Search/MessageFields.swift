/// The fields of one message that search looks at. The engine fills it from the
/// message's JSON; search never parses JSON.
public struct MessageFields: Sendable, Equatable {
    /// The message's `ts`.
    public var ts: SlackTimestamp
    /// `user` (a user id), or for bot messages without one, `bot_id` or `username`.
    public var user: String?
    /// The raw `text` field, Slack markup and entities included. The engine may
    /// append attachment `fallback`/`text` and file names, one per line.
    public var text: String
    /// `thread_ts`, present on thread parents and replies.
    public var threadTS: String?
    /// `reply_count` (0 when absent).
    public var replyCount: Int
    /// The message has `files` (or an old-style `file`).
    public var hasFiles: Bool
    /// The message has at least one reaction.
    public var hasReactions: Bool
    /// `subtype`, when present.
    public var subtype: String?
    /// The ids of the files the message shares (`files[].id`).
    public var fileIDs: [String] = []
    /// The text of the text-like files it shares (format 7), as the archive stores it: matched
    /// and indexed like the message's text, never shown as the message's text.
    public var attachedText = ""
    /// For an item (format 9), the file it came from (`canvases.json`, …); nil for a message.
    public var itemFile: String?

    public init(
        ts: SlackTimestamp, user: String?, text: String, threadTS: String? = nil, replyCount: Int = 0,
        hasFiles: Bool = false, hasReactions: Bool = false, subtype: String? = nil
    ) {
        self.ts = ts
        self.user = user
        self.text = text
        self.threadTS = threadTS
        self.replyCount = replyCount
        self.hasFiles = hasFiles
        self.hasReactions = hasReactions
        self.subtype = subtype
    }

    /// The text that is indexed and matched: `text` rendered by `SlackMarkup` with
    /// no directory (mentions become their label or id: `<@U1|alice>` → `@alice`,
    /// `<@U1>` → `@U1`; links become `label (url)`; entities are unescaped).
    /// It needs no user list, so the index built at import and the matcher at
    /// search time always agree, whatever renames happen in between.
    public var searchableText: String {
        SlackMarkup.render(text, users: .empty, channels: { _ in nil })
    }

    /// What the matcher looks for words in: `searchableText`, then the attached files' text.
    public var matchedText: String { attachedText.isEmpty ? searchableText : searchableText + "\n" + attachedText }

    /// In a thread (`is:thread`): the message has a `thread_ts` (parent or reply).
    public var isInThread: Bool { threadTS != nil }
}
