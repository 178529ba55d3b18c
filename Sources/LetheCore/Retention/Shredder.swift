import Foundation

/// One bucket to destroy, as decided by a retention plan.
public struct ShredTarget: Sendable {
    public var cno: Int64
    public var channelID: String
    public var bucket: Int64
    public var messages: Int
    public var rule: String
}

/// What a shred did.
public struct ShredResult: Codable, Sendable {
    public var buckets = 0
    public var messages = 0
    /// Channels whose every bucket is now gone: their channel key and metadata were destroyed too.
    public var channelsDestroyed = 0
    public var auditSeq: Int64 = 0
    public var seconds = 0.0
}

/// Crypto-shredding: destroys bucket keys (and channel keys of emptied channels).
///
/// Order of work, each step a committed transaction:
/// 1. keys.db: delete the bucket keys, write a tombstone per bucket (so a later
///    import cannot bring the bucket back), note the ciphertext still to purge,
///    and append one audit entry. Once this commits, the content is unreadable.
/// 2. data.db: delete the ciphertext (secure_delete zeroes the freed cells), then
///    checkpoint and truncate the WAL.
/// 3. keys.db: clear the purge notes.
/// Killed at any point, each bucket is either intact or shredded; the next
/// process that opens the archive for writing finishes step 2.
/// A run that shreds nothing still appends its audit entry: the nightly job's proof that it ran.
extension Archive {
    public func shred(_ targets: [ShredTarget], now: Int64, auditRecord: [String: Any]) throws -> ShredResult {
        precondition(mode == .write)
        let started = Date()
        var result = ShredResult()
        let byChannel = Dictionary(grouping: targets, by: \.cno)

        // Channels left with no bucket at all lose their key and metadata too.
        var emptied: [Int64] = []
        for (cno, list) in byChannel {
            let remaining = Set(try data.segmentIndex(cno: cno).map(\.bucket)).subtracting(list.map(\.bucket))
            if remaining.isEmpty { emptied.append(cno) }
        }

        try keystore.db.transaction {
            for (cno, list) in byChannel {
                guard let row = try keystore.channelKey(cno: cno) else {
                    throw LetheError(.integrity, "channel #\(cno): no key row; run `lethe verify`")
                }
                for t in list {
                    try keystore.deleteBucketKey(cno: cno, bucket: t.bucket)
                    try keystore.insertTombstone(tag: row.tag, bucket: t.bucket, shreddedAt: now, rule: t.rule)
                    try keystore.addPendingPurge(cno: cno, bucket: t.bucket)
                    result.buckets += 1
                    result.messages += t.messages
                }
            }
            for cno in emptied {
                guard let row = try keystore.channelKey(cno: cno) else { continue }
                for (bucket, _) in try keystore.bucketKeys(cno: cno) { try keystore.deleteBucketKey(cno: cno, bucket: bucket) }
                try keystore.deleteChannel(cno: cno)
                try keystore.insertTombstone(tag: row.tag, bucket: Envelope.wholeChannel, shreddedAt: now, rule: "(whole conversation)")
                try keystore.addPendingPurge(cno: cno, bucket: Envelope.wholeChannel)
                channelKeyCache(remove: cno)
                result.channelsDestroyed += 1
            }
            var record = auditRecord
            record["buckets"] = result.buckets
            record["messages"] = result.messages
            record["channels_destroyed"] = result.channelsDestroyed
            record["time"] = ISO8601DateFormatter().string(from: Date())
            result.auditSeq = try appendAudit(record).seq
        }
        do {
            try finishPendingPurges()
        } catch let e as LetheError where e.kind == .noSpace {
            // Say what did happen: whoever reads only the exit code must not think nothing was shredded.
            throw LetheError(.noSpace, "\(e.message); the shred itself is committed (the keys of \(result.buckets) buckets are destroyed, audit entry \(result.auditSeq)), "
                             + "only removing their ciphertext from data.db is left", hint: "free space; the next lethe run with room finishes it")
        }
        result.seconds = Date().timeIntervalSince(started)
        return result
    }
}
