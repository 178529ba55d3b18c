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
    /// Attached files (format 7): references to stored files, the ciphertext bytes their chunks
    /// take, and files messages share whose bytes the archive does not hold.
    public var files = 0
    public var fileBytes: Int64 = 0
    public var filesMissing = 0
    public var bytes: [String: Int64] = [:]
    public var totalBytes: Int64 = 0

    /// Computes stats; decrypts only channel metadata (for the kinds) and attachment indexes, never messages.
    public static func compute(_ archive: Archive) throws -> ArchiveStats {
        var s = ArchiveStats(archiveID: archive.archiveIDHex, formatVersion: archive.formatVersion, bucketScheme: archive.scheme.rawValue)
        for c in try archive.conversations() {
            s.channels += 1
            s.channelsByKind[c.kind.rawValue, default: 0] += 1
        }
        let index = try archive.segmentIndex()
        s.buckets = index.count
        s.messages = Int(index.reduce(0) { $0 + $1.messages })
        if let lo = index.map(\.ref.bucket).min(), let hi = index.map(\.ref.bucket).max() {
            s.firstBucket = archive.scheme.label(of: lo)
            s.lastBucket = archive.scheme.label(of: hi)
        }
        let counts = try archive.counts()
        s.users = Int(counts.users)
        s.shreddedBuckets = Int(counts.shreddedBuckets)
        let files = try archive.attachmentCounts()
        (s.files, s.fileBytes, s.filesMissing) = (files.references, files.storedBytes, files.missing)
        s.bytes = archive.fileSizes()
        s.totalBytes = s.bytes.values.reduce(0, +)
        return s
    }
}
