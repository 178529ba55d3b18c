/// A conversation as search sees it, filled by the engine from the decrypted
/// conversation list.
public struct ChannelInfo: Sendable, Equatable {
    /// Slack id: `C…`, `G…`, `D…`.
    public var id: String
    /// Channel or group-DM name; nil for 1:1 DMs.
    public var name: String?
    public var kind: ConversationKind
    /// Member user ids: both users of a 1:1 DM, the members of a group DM
    /// (may be empty for channels: search does not use them there).
    public var memberIDs: [String]

    public init(id: String, name: String?, kind: ConversationKind, memberIDs: [String] = []) {
        self.id = id
        self.name = name
        self.kind = kind
        self.memberIDs = memberIDs
    }
}
