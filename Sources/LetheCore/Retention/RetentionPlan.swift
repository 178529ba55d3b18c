/// What `retention apply` would shred at `now`, and what legal holds keep.
///
/// `plan` prints it, `apply` executes it, tests compare it. Its JSON (snake_case keys,
/// instants as ISO 8601 UTC, days as `YYYY-MM-DD`) is described in docs/POLICIES.md.
public struct RetentionPlan: Sendable, Codable, Equatable {
    /// One expired bucket: shredded by `apply`, or kept by holds (then `holds` is not empty).
    public struct Bucket: Sendable, Codable, Equatable {
        public var channelID: String
        public var kind: ConversationKind
        /// Inclusive start, Unix seconds UTC.
        public var start: Int64
        /// Exclusive end, Unix seconds UTC.
        public var end: Int64
        public var messageCount: Int
        /// The rule under which the bucket expired (`"default"` for the default rule).
        public var rule: String
        /// Names of the holds that keep it, in file order; empty for a bucket to shred.
        public var holds: [String]
        /// True when a hold naming users kept it only because no authors provider was given
        /// (when in doubt, keep).
        public var unverified: Bool
        /// Where the bucket is in the archive (not in the plan's JSON, not compared).
        public var ref: BucketRef?

        public init(channelID: String, kind: ConversationKind, start: Int64, end: Int64,
                    messageCount: Int, rule: String, holds: [String] = [], unverified: Bool = false, ref: BucketRef? = nil) {
            self.ref = ref
            self.channelID = channelID
            self.kind = kind
            self.start = start
            self.end = end
            self.messageCount = messageCount
            self.rule = rule
            self.holds = holds
            self.unverified = unverified
        }
    }

    /// Totals for one rule of the policy (every rule is listed, default first).
    public struct RuleSummary: Sendable, Codable, Equatable {
        public var name: String
        /// The rule's duration as written (`30d`, `forever`).
        public var keep: String
        /// Buckets ending at or before this are expired; nil for `forever`.
        public var cutoff: Int64?
        /// Channels the rule governs among the planned buckets.
        public var channels: Int
        public var buckets: Int
        public var messages: Int
        public var heldBuckets: Int

        public init(name: String, keep: String, cutoff: Int64?, channels: Int, buckets: Int, messages: Int, heldBuckets: Int) {
            self.name = name
            self.keep = keep
            self.cutoff = cutoff
            self.channels = channels
            self.buckets = buckets
            self.messages = messages
            self.heldBuckets = heldBuckets
        }
    }

    /// Totals for one channel with expired buckets.
    public struct ChannelSummary: Sendable, Codable, Equatable {
        public var channelID: String
        /// Nil for 1:1 DMs.
        public var name: String?
        /// How every command shows the conversation (`Conversation.label`).
        public var label: String
        public var kind: ConversationKind
        public var rule: String
        public var buckets: Int
        public var messages: Int
        public var heldBuckets: Int
        /// First UTC day of the first shredded bucket; nil when nothing is shredded.
        public var firstDate: CivilDate?
        /// Last UTC day of the last shredded bucket; nil when nothing is shredded.
        public var lastDate: CivilDate?

        public init(channelID: String, name: String?, kind: ConversationKind, rule: String, buckets: Int, messages: Int,
                    heldBuckets: Int, firstDate: CivilDate?, lastDate: CivilDate?, label: String? = nil) {
            self.channelID = channelID
            self.name = name
            self.label = label ?? Conversation(id: channelID, name: name, kind: kind).label()
            self.kind = kind
            self.rule = rule
            self.buckets = buckets
            self.messages = messages
            self.heldBuckets = heldBuckets
            self.firstDate = firstDate
            self.lastDate = lastDate
        }
    }

    /// The instant the plan was computed for (Unix seconds).
    public var now: Int64
    public var policyDigest: String
    /// Buckets `apply` shreds, ordered by channel id then start.
    public var shred: [Bucket]
    /// Expired buckets kept by legal holds, same order.
    public var held: [Bucket]
    /// Count of buckets to shred.
    public var buckets: Int
    /// Messages in the buckets to shred.
    public var messages: Int
    public var heldBuckets: Int
    public var heldMessages: Int
    public var rules: [RuleSummary]
    /// Channels with at least one expired bucket (shredded or held), ordered by id.
    public var channels: [ChannelSummary]

    public init(now: Int64, policyDigest: String, shred: [Bucket], held: [Bucket], buckets: Int, messages: Int,
                heldBuckets: Int, heldMessages: Int, rules: [RuleSummary], channels: [ChannelSummary]) {
        self.now = now
        self.policyDigest = policyDigest
        self.shred = shred
        self.held = held
        self.buckets = buckets
        self.messages = messages
        self.heldBuckets = heldBuckets
        self.heldMessages = heldMessages
        self.rules = rules
        self.channels = channels
    }
}

// MARK: - Codable

extension KeyedDecodingContainer {
    fileprivate func instant(_ key: Key) throws -> Int64 {
        let text = try decode(String.self, forKey: key)
        guard let v = RetentionTime.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not an ISO 8601 UTC time: \(text)")
        }
        return v
    }

    fileprivate func instantIfPresent(_ key: Key) throws -> Int64? {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let v = RetentionTime.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not an ISO 8601 UTC time: \(text)")
        }
        return v
    }

    fileprivate func dayIfPresent(_ key: Key) throws -> CivilDate? {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let v = CivilDate(iso: text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not a YYYY-MM-DD date: \(text)")
        }
        return v
    }
}

extension RetentionPlan {
    enum CodingKeys: String, CodingKey {
        case now, policyDigest = "policy_digest", buckets, messages, heldBuckets = "held_buckets"
        case heldMessages = "held_messages", rules, channels, shred, held
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        now = try c.instant(.now)
        policyDigest = try c.decode(String.self, forKey: .policyDigest)
        buckets = try c.decode(Int.self, forKey: .buckets)
        messages = try c.decode(Int.self, forKey: .messages)
        heldBuckets = try c.decode(Int.self, forKey: .heldBuckets)
        heldMessages = try c.decode(Int.self, forKey: .heldMessages)
        rules = try c.decode([RuleSummary].self, forKey: .rules)
        channels = try c.decode([ChannelSummary].self, forKey: .channels)
        shred = try c.decode([Bucket].self, forKey: .shred)
        held = try c.decode([Bucket].self, forKey: .held)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(RetentionTime.iso8601(now), forKey: .now)
        try c.encode(policyDigest, forKey: .policyDigest)
        try c.encode(buckets, forKey: .buckets)
        try c.encode(messages, forKey: .messages)
        try c.encode(heldBuckets, forKey: .heldBuckets)
        try c.encode(heldMessages, forKey: .heldMessages)
        try c.encode(rules, forKey: .rules)
        try c.encode(channels, forKey: .channels)
        try c.encode(shred, forKey: .shred)
        try c.encode(held, forKey: .held)
    }
}

extension RetentionPlan.Bucket {
    public static func == (a: Self, b: Self) -> Bool {
        (a.channelID, a.kind, a.start, a.end, a.messageCount, a.rule) == (b.channelID, b.kind, b.start, b.end, b.messageCount, b.rule)
            && a.holds == b.holds && a.unverified == b.unverified
    }

    enum CodingKeys: String, CodingKey {
        case channelID = "channel_id", kind, start, end, messageCount = "message_count", rule, holds, unverified
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        channelID = try c.decode(String.self, forKey: .channelID)
        kind = try c.decode(ConversationKind.self, forKey: .kind)
        start = try c.instant(.start)
        end = try c.instant(.end)
        messageCount = try c.decode(Int.self, forKey: .messageCount)
        rule = try c.decode(String.self, forKey: .rule)
        holds = try c.decodeIfPresent([String].self, forKey: .holds) ?? []
        unverified = try c.decodeIfPresent(Bool.self, forKey: .unverified) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(channelID, forKey: .channelID)
        try c.encode(kind, forKey: .kind)
        try c.encode(RetentionTime.iso8601(start), forKey: .start)
        try c.encode(RetentionTime.iso8601(end), forKey: .end)
        try c.encode(messageCount, forKey: .messageCount)
        try c.encode(rule, forKey: .rule)
        if !holds.isEmpty { try c.encode(holds, forKey: .holds) }
        if unverified { try c.encode(unverified, forKey: .unverified) }
    }
}

extension RetentionPlan.RuleSummary {
    enum CodingKeys: String, CodingKey {
        case name, keep, cutoff, channels, buckets, messages, heldBuckets = "held_buckets"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        keep = try c.decode(String.self, forKey: .keep)
        cutoff = try c.instantIfPresent(.cutoff)
        channels = try c.decode(Int.self, forKey: .channels)
        buckets = try c.decode(Int.self, forKey: .buckets)
        messages = try c.decode(Int.self, forKey: .messages)
        heldBuckets = try c.decode(Int.self, forKey: .heldBuckets)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(keep, forKey: .keep)
        if let cutoff { try c.encode(RetentionTime.iso8601(cutoff), forKey: .cutoff) } else { try c.encodeNil(forKey: .cutoff) }
        try c.encode(channels, forKey: .channels)
        try c.encode(buckets, forKey: .buckets)
        try c.encode(messages, forKey: .messages)
        try c.encode(heldBuckets, forKey: .heldBuckets)
    }
}

extension RetentionPlan.ChannelSummary {
    enum CodingKeys: String, CodingKey {
        case channelID = "channel_id", name, label, kind, rule, buckets, messages, heldBuckets = "held_buckets"
        case firstDate = "first_date", lastDate = "last_date"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        channelID = try c.decode(String.self, forKey: .channelID)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        kind = try c.decode(ConversationKind.self, forKey: .kind)
        label = try c.decode(String.self, forKey: .label)
        rule = try c.decode(String.self, forKey: .rule)
        buckets = try c.decode(Int.self, forKey: .buckets)
        messages = try c.decode(Int.self, forKey: .messages)
        heldBuckets = try c.decode(Int.self, forKey: .heldBuckets)
        firstDate = try c.dayIfPresent(.firstDate)
        lastDate = try c.dayIfPresent(.lastDate)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(channelID, forKey: .channelID)
        try c.encode(name, forKey: .name)
        try c.encode(label, forKey: .label)
        try c.encode(kind, forKey: .kind)
        try c.encode(rule, forKey: .rule)
        try c.encode(buckets, forKey: .buckets)
        try c.encode(messages, forKey: .messages)
        try c.encode(heldBuckets, forKey: .heldBuckets)
        try c.encode(firstDate?.description, forKey: .firstDate)
        try c.encode(lastDate?.description, forKey: .lastDate)
    }
}
