import Foundation

/// A record that could not be read during a run: the run went on without it.
public struct DamagedRecord: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The conversation's Slack id when known, else `#cno`.
    public var channel: String
    /// The bucket's date label, or nil for a record of the whole conversation.
    public var bucket: String?
    public var reason: String

    public var description: String { "channel \(channel)" + (bucket.map { ", bucket \($0)" } ?? "") + ": \(reason)" }
}

/// The keystore's authenticated state: writing it, checking it (docs/FORMAT.md §2a).
///
/// Every keystore write of this process goes through `writeKeystore` (or the import's
/// `beginWrite`/`commitWrite`), which stores the manifest as the transaction's last
/// write: the manifest and the rows it covers always commit together.
extension Archive {
    static func storeManifest(_ m: Manifest, in ks: Keystore, archiveID: [UInt8], integrityKey: IntegrityKey) throws {
        let bytes = m.encoded()
        try ks.setMeta("manifest", bytes)
        try ks.setMeta("manifest_mac", integrityKey.manifestMAC(bytes, archiveID: archiveID))
    }

    func storeManifest() throws {
        try Archive.storeManifest(manifest, in: keystore, archiveID: archiveID, integrityKey: integrityKey)
    }

    /// One keystore transaction with the manifest written last; the in-memory manifest is
    /// restored if the transaction rolls back.
    func writeKeystore<R>(_ body: () throws -> R) throws -> R {
        let before = manifest
        do {
            return try keystore.db.transaction {
                let r = try body()
                try storeManifest()
                return r
            }
        } catch {
            manifest = before
            throw error
        }
    }

    // MARK: - The import's transaction across both files

    /// Opens one transaction on each file (keys.db first).
    func beginWrite() throws {
        try keystore.db.execute("BEGIN IMMEDIATE")
        do { try data.db.execute("BEGIN IMMEDIATE") } catch {
            try? keystore.db.execute("ROLLBACK")
            throw error
        }
        manifestAtBegin = manifest
    }

    /// Keys first, then the ciphertext that needs them. The ciphertext is written to the WAL
    /// before the keys commit, so that a full disk fails the import while both files can
    /// still roll back (only data.db's small commit record is written after the keys commit).
    func commitWrite() throws {
        try flushViews()
        try storeManifest()
        try data.db.flushCache()
        try keystore.db.commit()
        try data.db.commit()
        manifestAtBegin = nil
    }

    func rollbackWrite() {
        pendingViews = [:]
        nextDeltaSeq = nil
        data.db.rollback()
        keystore.db.rollback()
        if let m = manifestAtBegin { manifest = m }
        manifestAtBegin = nil
    }

    // MARK: - Checking

    /// Throws when the keystore does not match its manifest: what writes or decides
    /// (import, retention, key changes) calls this first, so nothing acts on an altered value.
    public func requireIntact() throws {
        guard integrityProblems.isEmpty else {
            throw LetheError(.integrity, "keys.db was altered without the key: " + integrityProblems.joined(separator: "; ") + "; nothing was changed",
                             hint: "restore keys.db from a backup taken after the last shred; `lethe verify` lists every problem")
        }
    }

    /// Compares the keystore's plaintext values with the authenticated manifest. Values the
    /// manifest holds itself (scheme, format version) are taken from it. `full` also checks
    /// the tombstones, which only writers read.
    func checkManifest(full: Bool) throws {
        guard let bytes = try keystore.meta("manifest"), let mac = try keystore.meta("manifest_mac"),
              Sodium.equal(integrityKey.manifestMAC(bytes, archiveID: archiveID), mac), let m = try? Manifest.decode(bytes)
        else {
            // Nothing authenticated to compare with: readers read on with the plaintext values
            // (and a warning), writers refuse. `manifest` is filled from the file only so that
            // nothing reads an empty one; it is never stored.
            let missing = try keystore.meta("manifest") == nil
            integrityProblems = [missing ? "the manifest is missing (every format-\(formatVersion) keystore has one)" : "the manifest does not authenticate"]
            let last = try keystore.lastAudit()
            manifest = Manifest(formatVersion: formatVersion, scheme: scheme, createdAt: 0, nextChannelNumber: try keystore.nextChannelNumber(),
                                tombstones: try tombstoneDigest(), pendingPurges: try pendingPurgeDigest(),
                                auditSeq: last.seq, auditHead: last.hash,
                                forgotten: try forgottenDigest(), rewrites: try rewriteDigest(), pendingForget: try pendingForgetHash(),
                                roleKeys: try roleKeyDigest(), views: try viewDigest())
            return
        }
        manifest = m
        var problems: [String] = []
        func meta(_ key: String) throws -> String? { try keystore.meta(key).map { String(decoding: $0, as: UTF8.self) } }
        if try meta("bucket_scheme") != m.scheme.rawValue {
            problems.append("bucket_scheme says \(try meta("bucket_scheme") ?? "nothing"), the manifest \(m.scheme.rawValue)")
        }
        scheme = m.scheme
        let storedVersion = try meta("format_version") ?? "nothing"
        if storedVersion != String(m.formatVersion) {
            problems.append("format_version says \(storedVersion), the manifest \(m.formatVersion)")
        }
        formatVersion = m.formatVersion
        if try meta("created_at") != String(m.createdAt) { problems.append("created_at was changed") }
        let nextCno = try keystore.nextChannelNumber()
        if nextCno != m.nextChannelNumber {
            problems.append("the next conversation number is \(nextCno), the manifest says \(m.nextChannelNumber) (next_cno or conversation rows changed)")
        }
        // The chain's end; a gap inside it is `verifyAudit`'s to find.
        let last = try keystore.lastAudit()
        if last.seq != m.auditSeq || !Sodium.equal(last.hash, m.auditHead) {
            problems.append(last.seq < m.auditSeq
                            ? "the audit chain ends at entry \(last.seq), but \(m.auditSeq) were written (entries deleted)"
                            : "the audit chain's last entry is not the one the manifest recorded (entry \(m.auditSeq))")
        }
        if formatVersion >= 3 {
            if try rewriteDigest() != m.rewrites { problems.append("the keys of buckets being rewritten are not the ones a forget recorded") }
            if try pendingForgetHash() != m.pendingForget { problems.append("the pending forget is not the one that was recorded") }
        }
        if formatVersion >= 4, try roleKeyDigest() != m.roleKeys {
            problems.append("the role keys are not the ones issued and revoked (a row added, removed, or a revoked key's material put back)")
        }
        if formatVersion >= 6, try viewDigest() != m.views {
            problems.append("the retention views are not the ones lethe wrote (a view added, removed, changed, or put back from an older copy)")
        }
        let pending = try pendingPurgeDigest()
        if pending != m.pendingPurges {
            problems.append("the pending purges (\(pending.count)) are not the \(m.pendingPurges.count) a shred recorded (added, removed or changed)")
        }
        if full {
            let tombstones = try tombstoneDigest()
            if tombstones != m.tombstones {
                let what = tombstones.count < m.tombstones.count ? "deleted" : tombstones.count > m.tombstones.count ? "forged" : "changed"
                problems.append("tombstones \(what): \(tombstones.count) present, \(m.tombstones.count) written by shreds")
            }
            if formatVersion >= 3 {
                let forgotten = try forgottenDigest()
                if forgotten != m.forgotten {
                    let what = forgotten.count < m.forgotten.count ? "deleted" : forgotten.count > m.forgotten.count ? "forged" : "changed"
                    problems.append("forgotten-message tombstones \(what): \(forgotten.count) present, \(m.forgotten.count) written by forgets")
                }
            }
        }
        integrityProblems = problems
    }

    func tombstoneDigest() throws -> RowSetDigest {
        var d = RowSetDigest()
        for t in try keystore.tombstones() {
            d.add(integrityKey.tombstoneMAC(tag: t.tag, bucket: t.storedBucket, shreddedAt: t.shreddedAt, rule: t.rule))
        }
        return d
    }

    func forgottenDigest() throws -> RowSetDigest {
        var d = RowSetDigest()
        guard formatVersion >= 3 else { return d }
        for f in try keystore.allForgotten() { d.add(integrityKey.forgottenMAC(ctag: f.ctag, mtag: f.mtag)) }
        return d
    }

    func rewriteDigest() throws -> RowSetDigest {
        var d = RowSetDigest()
        guard formatVersion >= 3 else { return d }
        for r in try keystore.rewriteKeys() { d.add(integrityKey.rewriteMAC(r.ref, wrapped: r.wrapped)) }
        return d
    }

    func pendingForgetHash() throws -> [UInt8] {
        guard formatVersion >= 3, let blob = try keystore.meta("pending_forget") else { return [UInt8](repeating: 0, count: 32) }
        return KDF.digest(blob)
    }

    func pendingPurgeDigest() throws -> RowSetDigest {
        var d = RowSetDigest()
        for p in try keystore.pendingPurges() {
            let (cno, bucket) = Keystore.stored(p)
            d.add(integrityKey.pendingPurgeMAC(cno: cno, bucket: bucket))
        }
        return d
    }

    // MARK: - Keystore rows the manifest covers

    /// A tombstone for one bucket, or (nil) for the whole conversation.
    func insertTombstone(tag: [UInt8], bucket: Int64?, shreddedAt: Int64, rule: String) throws {
        if try keystore.insertTombstone(tag: tag, bucket: bucket, shreddedAt: shreddedAt, rule: rule) {
            let stored = bucket ?? Keystore.wholeConversation
            manifest.tombstones.add(integrityKey.tombstoneMAC(tag: tag, bucket: stored, shreddedAt: shreddedAt, rule: rule))
        }
    }

    func addPendingPurge(_ p: Purge) throws {
        if try keystore.addPendingPurge(p) {
            let (cno, bucket) = Keystore.stored(p)
            manifest.pendingPurges.add(integrityKey.pendingPurgeMAC(cno: cno, bucket: bucket))
        }
    }

    func clearPendingPurges() throws {
        try keystore.clearPendingPurges()
        manifest.pendingPurges = RowSetDigest()
    }

    // MARK: - Damage

    func noteDamage(channel: String, bucket: Int64?, _ error: Error) {
        let reason = (error as? LetheError)?.description ?? "\(error)"
        let record = DamagedRecord(channel: channel, bucket: bucket.map { scheme.label(of: $0) }, reason: reason)
        if !damaged.contains(record) { damaged.append(record) }
    }
}
