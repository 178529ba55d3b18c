import Foundation

/// One bucket of a conversation that holds messages: what a viewer pages through.
public struct BrowseBucket: Sendable, Equatable {
    public var bucket: Int64
    public var messages: Int
}

/// A tombstone of one conversation: a shredded bucket (or, with `bucket` nil, the whole
/// conversation), when and under which rule, as `lethe retention apply` or `forget` left it.
public struct ShredRecord: Sendable, Equatable {
    public var bucket: Int64?
    public var shreddedAt: Int64
    public var rule: String
}

/// What `lethe serve` reads: a conversation's buckets page by page, never all at once.
/// Read-only; nothing here writes either file.
extension Archive {
    /// Every bucket holding messages, per conversation number, with counts (no decryption).
    public func browseIndex() throws -> [Int64: [BrowseBucket]] {
        var out: [Int64: [BrowseBucket]] = [:]
        for (ref, n) in try segmentIndex() { out[ref.cno, default: []].append(BrowseBucket(bucket: ref.bucket, messages: Int(n))) }
        return out
    }

    /// The messages of one bucket of a conversation, decrypted, in timestamp order; nil
    /// when it holds none (or its shred is pending). Throws an integrity error when it does not open.
    public func browseSegment(of c: Conversation, bucket: Int64) throws -> Segment? {
        guard let cno = c.cno else { return nil }
        return try segment(BucketRef(cno: cno, bucket: bucket))
    }

    /// What retention or forget shredded of this conversation, by bucket.
    public func shredRecords(of c: Conversation) throws -> [ShredRecord] {
        try keystore.tombstoneRows(tag: channelTag(c.id)).map {
            ShredRecord(bucket: $0.storedBucket == Keystore.wholeConversation ? nil : $0.storedBucket, shreddedAt: $0.shreddedAt, rule: $0.rule)
        }.sorted { ($0.bucket ?? -1) < ($1.bucket ?? -1) }
    }

    /// Conversations retention emptied entirely: their keys and records are gone, names
    /// included, so only when and under which rule is left (one record each, `bucket` nil).
    public func emptiedConversations() throws -> [ShredRecord] {
        try keystore.tombstones().filter { $0.storedBucket == Keystore.wholeConversation }
            .map { ShredRecord(bucket: nil, shreddedAt: $0.shreddedAt, rule: $0.rule) }
            .sorted { ($0.shreddedAt, $0.rule) < ($1.shreddedAt, $1.rule) }
    }
}
