/// One bucket of one conversation: where a segment, its key and its tombstone live.
/// Every place that names a bucket names it with this.
public struct BucketRef: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The conversation's number in this archive (internal: users see Slack ids).
    public var cno: Int64
    /// The bucket number in the archive's scheme (`BucketScheme.label(of:)` shows it).
    public var bucket: Int64

    public init(cno: Int64, bucket: Int64) {
        self.cno = cno
        self.bucket = bucket
    }

    /// The search-filter epoch the bucket belongs to.
    var epoch: Int64 { IndexFilter.epoch(of: bucket) }

    public static func < (a: BucketRef, b: BucketRef) -> Bool { (a.cno, a.bucket) < (b.cno, b.bucket) }
    public var description: String { "\(cno)/\(bucket)" }
}

/// What a shred has destroyed the keys of and leaves to delete from data.db; also what a
/// tombstone says can never come back.
enum Purge: Hashable, Comparable {
    /// One bucket's ciphertext.
    case bucket(BucketRef)
    /// A whole conversation: every segment, filter and its metadata record.
    case conversation(cno: Int64)

    var cno: Int64 {
        switch self {
        case .bucket(let ref): return ref.cno
        case .conversation(let cno): return cno
        }
    }
}

/// One search filter: a conversation's epoch (32 consecutive buckets).
struct FilterRef: Hashable, Comparable {
    var cno: Int64
    var epoch: Int64

    static func < (a: FilterRef, b: FilterRef) -> Bool { (a.cno, a.epoch) < (b.cno, b.epoch) }
}
