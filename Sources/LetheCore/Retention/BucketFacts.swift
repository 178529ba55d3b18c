/// One (channel, time bucket) of the archive: the unit retention shreds.
public struct BucketFacts: Sendable {
    public var channel: Conversation
    /// Inclusive start, Unix seconds UTC.
    public var start: Int64
    /// Exclusive end, Unix seconds UTC.
    public var end: Int64
    public var messageCount: Int
    /// Where the bucket is in the archive; nil for facts that come from elsewhere (tests).
    public var ref: BucketRef?

    public init(channel: Conversation, start: Int64, end: Int64, messageCount: Int, ref: BucketRef? = nil) {
        self.ref = ref
        self.channel = channel
        self.start = start
        self.end = end
        self.messageCount = messageCount
    }
}
