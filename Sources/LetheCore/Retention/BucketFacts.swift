/// One (channel, time bucket) of the archive: the unit retention shreds.
public struct BucketFacts: Sendable {
    public var channel: ChannelFacts
    /// Inclusive start, Unix seconds UTC.
    public var start: Int64
    /// Exclusive end, Unix seconds UTC.
    public var end: Int64
    public var messageCount: Int

    public init(channel: ChannelFacts, start: Int64, end: Int64, messageCount: Int) {
        self.channel = channel
        self.start = start
        self.end = end
        self.messageCount = messageCount
    }
}
