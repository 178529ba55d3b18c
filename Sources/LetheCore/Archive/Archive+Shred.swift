import Foundation

/// One bucket to destroy, as decided by a retention plan.
public struct ShredTarget: Sendable {
    public var ref: BucketRef
    public var channelID: String
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
    /// Expired buckets whose key row did not authenticate for its place: kept, named in `damaged`.
    public var damagedKept = 0
    /// Records found damaged during the run (the shred went on without them).
    public var damaged: [DamagedRecord] = []
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
    public func shred(_ targets: [ShredTarget], now: Int64, audit: AuditRecord, detail: AuditDetail) throws -> ShredResult {
        precondition(mode == .write)
        try requireIntact()
        let started = Date()
        var result = ShredResult()
        var detail = detail

        // A key is destroyed only where its row authenticates for exactly that place: a row
        // moved from a held bucket to an expired one (no secret needed) fails here and stays.
        var destroy: [ShredTarget] = []
        for t in targets {
            if role != nil {
                // The retention role cannot open a bucket key to check its place: its targets come
                // from the retention views, which the manifest authenticates (format 6).
                if try keystore.bucketKey(t.ref) != nil || keystore.hasDeltaKeys(t.ref) { destroy.append(t) }
                continue
            }
            guard let wrapped = try keystore.bucketKey(t.ref) else { continue }  // nothing left to destroy
            do {
                _ = try unwrapBucketKey(wrapped, at: t.ref)
                destroy.append(t)
            } catch {
                noteDamage(channel: t.channelID, bucket: t.ref.bucket, error)
                result.damagedKept += 1
            }
        }
        let byChannel = Dictionary(grouping: destroy, by: \.ref.cno)

        // Conversations left with no bucket (no segment and no key) lose their key and metadata
        // too. A key without a segment keeps the conversation: its ciphertext may only be missing
        // from this copy of data.db, and a backup would still open with it.
        var emptied: [Int64] = []
        for (cno, list) in byChannel {
            let going = Set(list.map(\.ref.bucket))
            let remaining = Set(try data.segmentIndex(cno: cno).map(\.ref.bucket)).subtracting(going)
            let keysLeft = Set(try keystore.bucketKeys(cno: cno).map(\.bucket)).union(try keystore.deltaKeyBuckets(cno: cno)).subtracting(going)
            if remaining.isEmpty && keysLeft.isEmpty { emptied.append(cno) }
        }

        try writeKeystore {
            for (cno, list) in byChannel.sorted(by: { $0.key < $1.key }) {
                // The retention views lose the shredded buckets (an emptied conversation all its
                // views): who wrote when in a shredded bucket goes with its keys (format 6).
                if keepsViews { try removeFromViews(list.map(\.ref.bucket), cno: cno, emptied: emptied.contains(cno)) }
                guard let row = try keystore.channelKey(cno: cno) else {
                    throw LetheError(.integrity, "channel \(list[0].channelID): no key row; run `lethe verify`")
                }
                for t in list {
                    try keystore.deleteBucketKey(t.ref)
                    if formatVersion >= 4 { try keystore.deleteDeltaKeys(t.ref) }  // a bucket's keys go together, whoever wrote them
                    try insertTombstone(tag: row.tag, bucket: t.ref.bucket, shreddedAt: now, rule: t.rule)
                    try addPendingPurge(.bucket(t.ref))
                    result.buckets += 1
                    result.messages += t.messages
                }
            }
            for cno in emptied.sorted() {
                guard let row = try keystore.channelKey(cno: cno) else { continue }
                try keystore.deleteChannel(cno: cno)
                if formatVersion >= 4 { try keystore.deleteDeltaKeys(cno: cno) }
                try insertTombstone(tag: row.tag, bucket: nil, shreddedAt: now, rule: "(whole conversation)")
                try addPendingPurge(.conversation(cno: cno))
                channelKeyCache(remove: cno)
                result.channelsDestroyed += 1
            }
            var record = audit
            record.byRoleKey = role?.id
            record.buckets = result.buckets
            record.messages = result.messages
            record.channelsDestroyed = result.channelsDestroyed
            record.time = ISO8601DateFormatter().string(from: Date())
            detail.damaged = damaged.isEmpty ? nil : damaged
            result.auditSeq = try appendAudit(record, detail: detail).seq
        }
        do {
            try finishPendingPurges()
        } catch let e as LetheError where e.kind == .noSpace {
            // Say what did happen: whoever reads only the exit code must not think nothing was shredded.
            throw LetheError(.noSpace, "\(e.description); the shred itself is committed (the keys of \(result.buckets) buckets are destroyed, audit entry \(result.auditSeq)), "
                             + "only removing their ciphertext from data.db is left", hint: "free space; the next lethe run with room finishes it")
        }
        result.damaged = damaged
        result.seconds = Date().timeIntervalSince(started)
        return result
    }
}
