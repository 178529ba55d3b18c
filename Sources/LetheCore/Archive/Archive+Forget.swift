import Foundation

/// One bucket a forget rewrites: the messages that go, and whether any stays. (The bucket is
/// read again when it is rewritten, so a forget holds one bucket's plaintext at a time.)
struct BucketRewrite {
    var ref: BucketRef
    var channelID: String
    var forgotten: [SlackTimestamp]
    /// False when every message of the bucket goes: then the bucket goes.
    var keepsAny: Bool
}

/// What a forget leaves to do if it is interrupted, sealed in keys.db (`pending_forget`)
/// and covered by the manifest: the touched epochs, the per-message tombstones, the audit.
struct PendingForget: Codable {
    /// "staged": new keys in rewrite_keys, data.db maybe not yet rewritten.
    /// "switched": keys switched and old keys destroyed; the filters are left to rebuild.
    var state: String
    var rewrites: [[Int64]]
    var epochs: [[Int64]]
    /// (conversation tag, message tag).
    var tombstones: [[Data]]
    var record: AuditRecord
    var detail: AuditDetail
}

/// `lethe forget` at the storage level (docs/ERASURE.md): every bucket holding a forgotten
/// message is re-sealed without it under a **new** bucket key, and the old key is destroyed as
/// a shred destroys keys. Four steps, each one transaction:
/// 1. keys.db: the new keys go in `rewrite_keys`, the plan in `pending_forget`.
/// 2. data.db: each bucket's new ciphertext replaces the old (or the row goes).
/// 3. keys.db: the new keys replace the old ones (destroyed), per-message tombstones, the
///    audit entry; `pending_forget` says "switched".
/// 4. data.db: the touched epochs' filters are rebuilt without the forgotten terms; then
///    keys.db drops `pending_forget`.
/// Killed after 1 and before 2 commits, the forget is dropped (nothing forgotten, the
/// command says to run it again); after 2, the next writer finishes 3 and 4.
extension Archive {
    /// The keyed tag of one message (conversation and normalised ts): a tombstone that names
    /// neither the conversation nor the instant to someone without the key.
    func messageTag(slackID: String, ts: SlackTimestamp) -> [UInt8] {
        KDF.keyedHash(key: tagKey, context: "message", Array(slackID.utf8) + [0] + Array(Importer.identity(ts).utf8))
    }

    /// The tags of the forgotten messages of a conversation (empty before format 3).
    func forgottenMessages(slackID: String) throws -> Set<[UInt8]> {
        guard formatVersion >= 3 else { return [] }
        return try keystore.forgotten(ctag: channelTag(slackID))
    }

    /// The tombstone of a forgotten profile: the user's tag, and this in place of a message tag.
    static let profileMark = [UInt8](repeating: 0, count: 32)

    /// Whether `lethe forget --include-profile` removed this user's profile.
    func profileForgotten(slackID: String) throws -> Bool {
        guard formatVersion >= 3 else { return false }
        return try keystore.forgotten(ctag: userTag(slackID)).contains(Archive.profileMark)
    }

    /// Replaces a user's record by one holding the id alone, and keeps later imports from
    /// bringing the profile back. (Users are sealed under the one directory key, so a copy of
    /// data.db from before still holds the old record: see docs/ERASURE.md.)
    func forgetProfile(slackID: String) throws {
        try beginWrite()
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            _ = try store(User(id: slackID, name: nil, displayName: nil, rawJSON: Array(try encoder.encode(["id": slackID]))))
            let ctag = userTag(slackID)
            if try keystore.insertForgotten(ctag: ctag, mtag: Archive.profileMark) {
                manifest.forgotten.add(integrityKey.forgottenMAC(ctag: ctag, mtag: Archive.profileMark))
            }
            try commitWrite()
        } catch {
            rollbackWrite()
            throw error
        }
        try data.checkpointTruncate()
    }

    /// The audit entry of a forget that rewrote no bucket (a profile alone).
    func appendForgetAudit(_ record: AuditRecord, detail: AuditDetail) throws -> Int64 {
        try requireIntact()
        return try writeKeystore {
            var r = record
            r.time = ISO8601DateFormatter().string(from: Date())
            return try appendAudit(r, detail: detail).seq
        }
    }

    /// Rewrites `buckets` without their forgotten messages and destroys their old keys.
    /// Returns the audit entry's number.
    func rewrite(_ buckets: [BucketRewrite], audit: AuditRecord, detail: AuditDetail) throws -> Int64 {
        precondition(mode == .write)
        try requireIntact()
        guard formatVersion >= 3 else { throw LetheError(.failure, "forget needs format 3") }
        let pending = PendingForget(state: "staged", rewrites: buckets.map { [$0.ref.cno, $0.ref.bucket] },
                                    epochs: Array(Set(buckets.map { [$0.ref.cno, $0.ref.epoch] })).sorted { $0.lexicographicallyPrecedes($1) },
                                    tombstones: buckets.flatMap { b in
                                        b.forgotten.map { [Data(channelTag(b.channelID)), Data(messageTag(slackID: b.channelID, ts: $0))] }
                                    },
                                    record: audit, detail: detail)
        // 1. New keys, and the plan.
        var newKeys: [BucketRef: SecretKey] = [:]
        try writeKeystore {
            for b in buckets where b.keepsAny {
                let key = SecretKey.random()
                let wrapped = AEAD.wrap(key, under: try channelKey(cno: b.ref.cno),
                                        ad: Envelope.associatedData(.bucketKey, archiveID: archiveID, b.ref.cno, b.ref.bucket))
                try keystore.insertRewriteKey(b.ref, wrapped: wrapped)
                manifest.rewrites.add(integrityKey.rewriteMAC(b.ref, wrapped: wrapped))
                newKeys[b.ref] = key
            }
            try storePendingForget(pending)
        }
        // 2. The new ciphertext: each bucket read again under its old key, without the forgotten messages.
        try data.db.transaction {
            for b in buckets {
                guard let key = newKeys[b.ref] else {
                    try data.deleteSegment(b.ref)
                    continue
                }
                guard let old = try segment(b.ref) else { continue }
                let gone = Set(b.forgotten.map(Importer.identity))
                let keep = Segment(messages: old.messages.filter { $0.item != nil || !gone.contains(Importer.identity($0.ts)) })
                try data.putSegment(.init(ref: b.ref, messages: Int64(keep.messages.count), body: sealSegment(keep, at: b.ref, key: key)))
                try refreshDigests(b.ref, keep)
                try rekeyAttachments(b.ref, keeping: keep, newKey: key)
            }
        }
        // 3 and 4.
        return try finishForget(pending)
    }

    /// A rewritten bucket's attachment index, sealed under its new key, without the files that
    /// only forgotten messages shared (their chunks deleted; their keys were only in the old
    /// index, which the old bucket key alone opens).
    private func rekeyAttachments(_ ref: BucketRef, keeping: Segment, newKey: SecretKey) throws {
        guard var index = try attachments(ref) else { return }
        let kept = Set(keeping.messages.flatMap { MessageFields($0).fileIDs })
        index.references.removeAll { !kept.contains($0.fileID) }
        for gone in index.dropUnreferenced() { try deleteBlob(ref, number: gone) }
        try storeAttachments(index, at: ref, key: newKey)
    }

    /// Steps 3 and 4 of a forget whose new ciphertext is committed (also run by the next writer
    /// after a crash). Returns the audit entry's number.
    @discardableResult
    func finishForget(_ p: PendingForget) throws -> Int64 {
        var pending = p
        var seq = pending.record.seq
        if pending.state == "staged" {
            let rewrites = Dictionary(try keystore.rewriteKeys().map { ($0.ref, $0.wrapped) }, uniquingKeysWith: { a, _ in a })
            try writeKeystore {
                for pair in pending.rewrites {
                    let ref = BucketRef(cno: pair[0], bucket: pair[1])
                    try keystore.deleteBucketKey(ref)  // the old key: destroyed (secure_delete; the journal is zeroed)
                    if let wrapped = rewrites[ref] { try keystore.insertBucketKey(ref, wrapped: wrapped) }
                }
                try keystore.deleteRewriteKeys()
                manifest.rewrites = RowSetDigest()
                for t in pending.tombstones {
                    let ctag = [UInt8](t[0]), mtag = [UInt8](t[1])
                    if try keystore.insertForgotten(ctag: ctag, mtag: mtag) { manifest.forgotten.add(integrityKey.forgottenMAC(ctag: ctag, mtag: mtag)) }
                }
                var record = pending.record
                record.time = ISO8601DateFormatter().string(from: Date())
                seq = try appendAudit(record, detail: pending.detail).seq
                pending.record.seq = seq
                pending.state = "switched"
                try storePendingForget(pending)
            }
        }
        // 4. Filters without the forgotten terms; the WAL that held the old ciphertext folded away.
        try data.db.transaction {
            for e in pending.epochs { try rebuildFilter(FilterRef(cno: e[0], epoch: e[1])) }
        }
        try data.checkpointTruncate()
        // The rewritten buckets' retention-view entries, without the forgotten messages' authors
        // (format 6), in the transaction that ends the forget: repeated after a crash until done.
        for pair in pending.rewrites {
            let ref = BucketRef(cno: pair[0], bucket: pair[1])
            noteView(ref, (try? segment(ref))?.messages ?? [])
        }
        try writeKeystore {
            try flushViews()
            try keystore.deleteMeta("pending_forget")
            manifest.pendingForget = [UInt8](repeating: 0, count: 32)
        }
        return seq
    }

    /// At open for writing: a forget that a killed process left. Before its new ciphertext
    /// committed it is dropped (returns a note saying so); after, it is finished.
    func recoverForget() throws -> String? {
        guard formatVersion >= 3, let blob = try keystore.meta("pending_forget") else { return nil }
        guard let plain = try? SealedRecord.openRecord(blob, ad: Envelope.associatedData(.auditDetail, archiveID: archiveID, 0),
                                                       key: auditDetailKey, zstd: zstd),
              let pending = try? JSONDecoder().decode(PendingForget.self, from: Data(plain))
        else { throw LetheError(.integrity, "keys.db: the pending forget does not open") }
        if pending.state == "staged", !(try forgetCiphertextCommitted(pending)) {
            try writeKeystore {
                try keystore.deleteRewriteKeys()
                manifest.rewrites = RowSetDigest()
                try keystore.deleteMeta("pending_forget")
                manifest.pendingForget = [UInt8](repeating: 0, count: 32)
            }
            return "a forget was interrupted before it changed anything: nothing was forgotten; run it again"
        }
        try finishForget(pending)
        return nil
    }

    /// Whether step 2 committed: the first rewritten bucket opens under its new key (or is gone).
    private func forgetCiphertextCommitted(_ p: PendingForget) throws -> Bool {
        let rewrites = Dictionary(try keystore.rewriteKeys().map { ($0.ref, $0.wrapped) }, uniquingKeysWith: { a, _ in a })
        for pair in p.rewrites {
            let ref = BucketRef(cno: pair[0], bucket: pair[1])
            guard let row = try data.segment(ref) else { return true }  // an emptied bucket's row is gone only after step 2
            guard let wrapped = rewrites[ref] else { continue }
            let key = try unwrapBucketKey(wrapped, at: ref)
            return (try? openSegment(row, key: key, label: slackID(cno: ref.cno))) != nil
        }
        return false
    }

    private func storePendingForget(_ p: PendingForget) throws {
        let json = Array(try JSONEncoder().encode(p))
        let sealed = sealRecord(json, ad: Envelope.associatedData(.auditDetail, archiveID: archiveID, 0), key: try auditDetailKey)
        try keystore.setMeta("pending_forget", sealed)
        manifest.pendingForget = KDF.digest(sealed)
    }
}
