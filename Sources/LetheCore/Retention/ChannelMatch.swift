/// The channel criteria of a rule or hold: every criterion given must hold; the values
/// of one list are alternatives. A nil criterion does not constrain.
public struct ChannelMatch: Sendable, Hashable {
    /// Name globs; a channel without a name (a 1:1 DM) never matches.
    public var channels: [ChannelGlob]?
    /// Exact Slack ids.
    public var ids: [String]?
    public var kinds: [ConversationKind]?
    public var archived: Bool?
    /// Enterprise Grid workspaces (their `teams/<workspace>/` folder names): a conversation of any
    /// of them matches; an org-level conversation, or one of a non-Grid export, never does.
    public var workspaces: [String]?
    /// The chat platforms the conversation was imported from (`Conversation.platform`).
    public var platforms: [Platform]?

    public init(channels: [ChannelGlob]? = nil, ids: [String]? = nil,
                kinds: [ConversationKind]? = nil, archived: Bool? = nil, workspaces: [String]? = nil, platforms: [Platform]? = nil) {
        self.platforms = platforms
        self.channels = channels
        self.ids = ids
        self.kinds = kinds
        self.archived = archived
        self.workspaces = workspaces
    }

    /// True when no criterion is given (such a match would match everything).
    public var isEmpty: Bool { channels == nil && ids == nil && kinds == nil && archived == nil && workspaces == nil && platforms == nil }

    public func matches(_ channel: Conversation) -> Bool {
        if let channels {
            guard let name = channel.name, channels.contains(where: { $0.matches(name) }) else { return false }
        }
        if let ids, !ids.contains(channel.id) { return false }
        if let kinds, !kinds.contains(channel.kind) { return false }
        if let archived, archived != channel.isArchived { return false }
        if let workspaces, !channel.workspaces.contains(where: workspaces.contains) { return false }
        if let platforms, !platforms.contains(channel.platform) { return false }
        return true
    }
}
