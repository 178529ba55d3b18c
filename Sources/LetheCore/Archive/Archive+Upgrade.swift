import Foundation

/// Upgrading an archive of an older format, at its first open by this lethe
/// (docs/FORMAT.md §10). The whole keystore change is one transaction: killed at any
/// point, keys.db is in the old format or the new one, never between. data.db's own
/// version number follows in a second step that any later open repeats until done.
extension Archive {
    /// Brings the keystore to `Schema.formatVersion`, one format at a time, each step one transaction.
    func upgrade() throws {
        // A keystore whose format_version is below what its authenticated manifest says was
        // altered, not old: reported by checkManifest, not "upgraded".
        if let m = try authenticManifest(), m.formatVersion > formatVersion {
            formatVersion = m.formatVersion
            return
        }
        if formatVersion == 1 { try upgradeToFormatTwo() }
        if formatVersion == 2 { try upgradeToFormatThree() }
        if formatVersion == 3 { try upgradeToFormatFour() }
        if formatVersion == 4 { try upgradeToFormatFive() }
        if formatVersion == 5 { try upgradeToFormatSix() }
        if formatVersion == 6 { try upgradeToFormatSeven() }
        if formatVersion == 7 { try upgradeToFormatEight() }
        if formatVersion == 8 { try upgradeToFormatNine() }
    }

    /// Format 8 → 9: items (canvases, lists, huddle transcripts, file conversations' listings,
    /// integration log entries) stored in segments beside messages, an entry's flags byte taking
    /// bit 1 (docs/FORMAT.md §4c), and two conversation kinds (`file_conversation`, `workspace`).
    /// Nothing stored changes: every format-8 segment is a valid format-9 one. The number rises
    /// so that a format-8 lethe, which would call an item's flags byte tampered, refuses the archive.
    private func upgradeToFormatNine() throws { try raiseVersion(to: 9) }

    /// Format 7 → 8: Enterprise Grid workspaces. Channel and user records, and the facts of a
    /// retention view, may be version 2 (their workspaces appended); nothing stored changes, as
    /// a record without workspaces stays version 1. The number rises so that an older lethe,
    /// which cannot read a version-2 record, refuses the archive rather than failing on one.
    private func upgradeToFormatEight() throws { try raiseVersion(to: 8) }

    /// Format 6 → 7: attachments. Nothing in keys.db changes but the version (a blob's key lives
    /// in its bucket's attachment index, sealed under the bucket key); data.db gains the two
    /// attachment tables in the data step. The number rises so that an older lethe, which would
    /// shred a bucket and leave its files' chunks behind, refuses the archive.
    private func upgradeToFormatSeven() throws { try raiseVersion(to: 7) }

    /// The stored manifest, if it authenticates.
    func authenticManifest() throws -> Manifest? {
        guard let bytes = try keystore.meta("manifest"), let mac = try keystore.meta("manifest_mac"),
              Sodium.equal(integrityKey.manifestMAC(bytes, archiveID: archiveID), mac) else { return nil }
        return try? Manifest.decode(bytes)
    }

    /// Format 2 → 3: the tables of `lethe forget` (per-message tombstones, rewrite keys); the
    /// manifest gains their digests.
    private func upgradeToFormatThree() throws {
        guard var m = try authenticManifest() else {
            throw LetheError(.integrity, "keys.db: the manifest does not authenticate, so the archive was not upgraded to format 3",
                             hint: "run `lethe verify` with the lethe that wrote it, or restore keys.db from a backup")
        }
        try keystore.db.transaction {
            try keystore.db.execute(Schema.keystoreV3)
            m.formatVersion = 3
            manifest = m
            try keystore.setMeta("format_version", Array("3".utf8))
            try storeManifest()
        }
        formatVersion = 3
    }

    /// Format 3 → 4: role keys. The `role_keys` table and the archive's two X25519 keypairs
    /// (secret halves wrapped under MK); the manifest gains the role keys' digest (empty).
    private func upgradeToFormatFour() throws {
        guard var m = try authenticManifest() else {
            throw LetheError(.integrity, "keys.db: the manifest does not authenticate, so the archive was not upgraded to format 4",
                             hint: "run `lethe verify` with the lethe that wrote it, or restore keys.db from a backup")
        }
        try keystore.db.transaction {
            try keystore.db.execute(Schema.keystoreV4)
            try Archive.createRoleKeypairs(keystore, archiveID: archiveID, masterKey: masterKey)
            m.formatVersion = 4
            m.roleKeys = RowSetDigest()
            manifest = m
            try keystore.setMeta("format_version", Array("4".utf8))
            try storeManifest()
        }
        formatVersion = 4
    }

    /// Format 4 → 5: segments may be compressed with a built-in dictionary (envelope header
    /// 0x07). Nothing stored changes: old segments stay as they are (header 0x02) and are
    /// rewritten with the dictionary only when an import or a forget rewrites their bucket.
    /// The version number rises so that a lethe that cannot read header 0x07 refuses the archive.
    private func upgradeToFormatFive() throws { try raiseVersion(to: 5) }

    /// An upgrade that changes nothing in keys.db but the version (its meta and the manifest):
    /// one transaction, so keys.db is in one format or the next.
    private func raiseVersion(to version: Int64) throws {
        guard var m = try authenticManifest() else {
            throw LetheError(.integrity, "keys.db: the manifest does not authenticate, so the archive was not upgraded to format \(version)",
                             hint: "run `lethe verify` with the lethe that wrote it, or restore keys.db from a backup")
        }
        try keystore.db.transaction {
            m.formatVersion = version
            manifest = m
            try keystore.setMeta("format_version", Array(String(version).utf8))
            try storeManifest()
        }
        formatVersion = version
    }

    /// Format 5 → 6: the retention role's views. The `retention_views` table, and for every
    /// conversation a base view computed from its record and segments (each segment opened
    /// once); the manifest gains the views' digest. One keystore transaction: killed inside it,
    /// keys.db is still format 5 and the next open computes the views again. Delta segments a
    /// role-key import left are not in the views yet: the compaction that follows at this same
    /// open folds them in and writes their buckets' entries.
    private func upgradeToFormatSix() throws {
        guard var m = try authenticManifest() else {
            throw LetheError(.integrity, "keys.db: the manifest does not authenticate, so the archive was not upgraded to format 6",
                             hint: "run `lethe verify` with the lethe that wrote it, or restore keys.db from a backup")
        }
        let before = manifest
        do {
            try keystore.db.transaction {
                try keystore.db.execute(Schema.keystoreV6)
                m.formatVersion = 6
                m.views = RowSetDigest()
                manifest = m
                formatVersion = 6
                try rebuildAllViews()
                try keystore.setMeta("format_version", Array("6".utf8))
                try storeManifest()
            }
        } catch {
            formatVersion = 5
            manifest = before
            throw error
        }
    }

    /// Format 1 → 2: channel keys rewrapped with their tag in the associated data; audit
    /// entries' channel details sealed (the chain recomputed); the manifest written.
    private func upgradeToFormatTwo() throws {
        try keystore.db.transaction {
            // 1. Channel keys: unwrap under the format-1 associated data, rewrap under format 2's.
            for row in try keystore.channels() {
                let old = Envelope.channelKeyAD(archiveID: archiveID, cno: row.cno, tag: row.tag, formatVersion: 1)
                guard let key = AEAD.unwrap(row.wrapped, under: try masterKey, ad: old) else {
                    throw LetheError(.integrity, "conversation #\(row.cno): its wrapped key does not authenticate; the archive was not upgraded",
                                     hint: "run `lethe verify` with a lethe of format 1, or restore keys.db from a backup")
                }
                let new = Envelope.channelKeyAD(archiveID: archiveID, cno: row.cno, tag: row.tag, formatVersion: 2)
                try keystore.updateChannelKey(cno: row.cno, wrapped: AEAD.wrap(key, under: masterKey, ad: new))
            }
            formatVersion = 2

            // 2. The audit chain: when it verifies, each entry's per-channel detail is sealed
            //    and the chain recomputed. A broken chain is left exactly as it is, so that
            //    `lethe audit --verify` still shows where it breaks.
            let rows = try keystore.auditRows()
            var prev = [UInt8](repeating: 0, count: 32)
            var intact = true
            for (i, row) in rows.enumerated() {
                guard row.seq == Int64(i + 1), Sodium.equal(auditHash(previous: prev, entry: row.entry), row.hash),
                      Archive.decodeAudit(row.entry) != nil
                else { intact = false; break }
                prev = row.hash
            }
            manifest = Manifest(formatVersion: 2, scheme: scheme, createdAt: Int64(String(decoding: try keystore.meta("created_at") ?? [], as: UTF8.self)) ?? 0,
                                nextChannelNumber: try keystore.nextChannelNumber(), tombstones: try tombstoneDigest(),
                                pendingPurges: try pendingPurgeDigest(), auditSeq: 0, auditHead: [UInt8](repeating: 0, count: 32))
            if intact {
                try keystore.deleteAllAudit()
                for row in rows {
                    guard var r = Archive.decodeAudit(row.entry) else { continue }
                    let detail = AuditDetail(shredded: r.shredded ?? [], heldBuckets: r.heldBuckets ?? 0, damaged: nil)
                    r.detail = nil
                    _ = try appendAudit(r, detail: detail)
                }
            } else {
                let last = try keystore.lastAudit()
                manifest.auditSeq = try keystore.auditCount()
                manifest.auditHead = last.hash
            }
            // keys.db holds next_cno from format 1 on; make it explicit for archives that never had a conversation.
            try keystore.setMeta("next_cno", Array(String(manifest.nextChannelNumber).utf8))
            try keystore.setMeta("format_version", Array("2".utf8))
            try storeManifest()
        }
    }

    /// The second step of an upgrade: data.db's version number, and from format 4 its new
    /// tables with the digests of what it holds (so that a role-key import skips messages the
    /// archive already has). One data.db transaction, repeated by later opens until done.
    /// Format 4's step (the role-import tables and the digests of what the archive holds) runs
    /// only for a data.db older than 4; format 5 changes no data.db table.
    func finishDataUpgrade(from dataVersion: Int64) throws {
        try data.db.transaction {
            if formatVersion >= 4 && dataVersion < 4 {
                try data.db.execute(Schema.dataV4)
                for (ref, _) in try data.segmentIndex() {
                    guard let s = try? segment(ref) else { continue }  // a damaged bucket: no digests (a role import then writes a delta)
                    for m in s.messages { try data.insertDigest(ref, messageDigest(cno: ref.cno, m)) }
                }
                for c in try conversations() { if let cno = c.cno { try data.insertRecordDigest(recordDigest(kind: 1, cno: cno, ChannelRecord.encode(c))) } }
                for u in try users() { try data.insertRecordDigest(recordDigest(kind: 2, cno: 0, UserRecord.encode(u))) }
            }
            if formatVersion >= 7 && dataVersion < 7 { try data.db.execute(Schema.dataV7) }
            try data.setMeta("format_version", Array(String(formatVersion).utf8))
        }
    }
}
