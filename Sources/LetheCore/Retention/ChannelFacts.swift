/// What retention knows about a conversation: enough to decide which rule and holds apply.
public struct ChannelFacts: Sendable, Hashable {
    /// Slack id: `C…`, `G…`, `D…`.
    public var id: String
    /// Channel name without `#`; nil for 1:1 DMs (a `channels` glob never matches those).
    public var name: String?
    public var kind: ConversationKind
    public var isArchived: Bool

    public init(id: String, name: String?, kind: ConversationKind, isArchived: Bool) {
        self.id = id
        self.name = name
        self.kind = kind
        self.isArchived = isArchived
    }
}
