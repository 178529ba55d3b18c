import Foundation

/// What `lethe stats` prints: counts and sizes, from the unlocked archive.
public struct ArchiveStats: Codable, Sendable {
    public var archiveID: String
    public var formatVersion: Int64
    public var bucketScheme: String
    public var messages = 0
    public var channels = 0
    public var channelsByKind: [String: Int] = [:]
    public var buckets = 0
    public var users = 0
    public var shreddedBuckets = 0
    public var firstBucket: String?
    public var lastBucket: String?
    public var bytes: [String: Int64] = [:]
    public var totalBytes: Int64 = 0

    /// Computes stats; decrypts only channel metadata (for the kinds), never messages.
    public static func compute(_ archive: Archive) throws -> ArchiveStats {
        var s = ArchiveStats(archiveID: archive.archiveIDHex, formatVersion: Schema.formatVersion, bucketScheme: archive.scheme.rawValue)
        let zstd = Zstd()
        for (cno, _, _) in try archive.keystore.channels() {
            guard let record = try archive.channelRecord(cno: cno, zstd: zstd) else { continue }
            s.channels += 1
            s.channelsByKind[record.conversation.kind.rawValue, default: 0] += 1
        }
        let index = try archive.data.segmentIndex()
        s.buckets = index.count
        s.messages = Int(index.reduce(0) { $0 + $1.messages })
        if let lo = index.map(\.bucket).min(), let hi = index.map(\.bucket).max() {
            s.firstBucket = archive.scheme.label(of: lo)
            s.lastBucket = archive.scheme.label(of: hi)
        }
        s.users = Int(try archive.data.db.scalarInt("SELECT COUNT(*) FROM users") ?? 0)
        s.shreddedBuckets = Int(try archive.keystore.tombstoneCount())
        s.bytes = archive.fileSizes()
        s.totalBytes = s.bytes.values.reduce(0, +)
        return s
    }
}
