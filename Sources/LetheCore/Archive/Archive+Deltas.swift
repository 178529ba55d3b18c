import Foundation

/// Values sealed to the archive's import public key (format 4, docs/FORMAT.md §2c):
/// `0x06 || crypto_box_seal(PK_import, BLAKE2b(AD) || payload)`. The sealer (the import
/// role) cannot open them again; the holder of MK opens them with SK_import, and the
/// AD's digest binds each to its place as an AEAD envelope's AD does.
enum SealedKey {
    static let marker = Envelope.Encoding.sealedToArchive.rawValue

    static func isSealed(_ bytes: [UInt8]) -> Bool { bytes.first == marker }

    static func seal(_ payload: [UInt8], ad: [UInt8], to publicKey: [UInt8]) -> [UInt8] {
        var plain = KDF.digest(ad) + payload
        defer { Sodium.wipe(&plain) }
        return [marker] + SealedBox.seal(plain, to: publicKey)
    }

    /// The payload, or nil when it does not open under `secret` or belongs to another place.
    static func open(_ bytes: [UInt8], ad: [UInt8], secret: SecretKey) -> [UInt8]? {
        guard isSealed(bytes), var plain = SealedBox.open(Array(bytes.dropFirst()), secret: secret), plain.count >= 32 else { return nil }
        defer { Sodium.wipe(&plain) }
        guard Sodium.equal(Array(plain.prefix(32)), KDF.digest(ad)) else { return nil }
        return Array(plain.dropFirst(32))
    }
}

/// What a compaction folded in (`lethe compact`, and every full-key open after a role-key import).
public struct CompactReport: Codable, Sendable {
    public var deltaSegments = 0
    public var buckets = 0
    public var messagesAdded = 0
    public var messagesUpdated = 0
    public var messagesUnchanged = 0
    public var records = 0
    public var channelKeysRewrapped = 0
    /// Delta segments that did not open (named in `damaged`), left in place.
    public var deltaSegmentsDamaged = 0

    public init() {}

    public var isEmpty: Bool { deltaSegments == 0 && records == 0 && channelKeysRewrapped == 0 }
}

/// Role-key imports (format 4): the import role writes delta segments and sealed records it
/// cannot read back; the holder of the full secret folds them in (compaction).
extension Archive {
    /// keys.db meta set by every role-key import, cleared by the compaction that folds it in.
    static let deltasPendingMeta = "deltas_pending"

    /// PK_import: carried by the import role's material, computed from SK_import by MK's holder.
    func importPublicKey() throws -> [UInt8] {
        if let role { return role.keys[0].withUnsafeBytes { Array($0) } }
        return SealedBox.publicKey(of: try roleSecretKey(.importer))
    }

    func sealToArchive(_ key: SecretKey, ad: [UInt8]) throws -> [UInt8] {
        var bytes = key.withUnsafeBytes { Array($0) }
        defer { Sodium.wipe(&bytes) }
        return SealedKey.seal(bytes, ad: ad, to: try importPublicKey())
    }

    /// Opens a key sealed to the archive (needs the master key, through SK_import).
    func openSealedKey(_ sealed: [UInt8], ad: [UInt8]) throws -> SecretKey? {
        guard var bytes = SealedKey.open(sealed, ad: ad, secret: try roleSecretKey(.importer)), bytes.count == 32 else { return nil }
        defer { Sodium.wipe(&bytes) }
        return bytes.withUnsafeBytes { SecretKey.copying($0) }
    }

    // MARK: - Digests (DGK): what a role-key import skips

    /// The first 16 bytes of `tag(DGK, "message", i64 cno || identity(ts) || BLAKE2b(json))`: same
    /// message again, same digest. 16 bytes: one row per message, and a false match (a changed
    /// message skipped) has probability 2^-128 per pair within a bucket.
    func messageDigest(cno: Int64, _ m: Segment.Message) -> [UInt8] {
        var w = ByteWriter(capacity: 80)
        w.i64(cno)
        w.string(Importer.identity(m))
        w.data(KDF.digest(m.json))
        return Array(KDF.keyedHash(key: digestKey, context: "message", w.bytes).prefix(16))
    }

    /// `tag(DGK, "record", u8 kind || i64 cno || record)`: kind 1 a conversation's record (its cno), 2 a user's (cno 0).
    func recordDigest(kind: UInt8, cno: Int64, _ record: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: 16 + record.count)
        w.u8(kind)
        w.i64(cno)
        w.data(record)
        return KDF.keyedHash(key: digestKey, context: "record", w.bytes)
    }

    /// Whether this archive keeps keyed message digests (format 4 on).
    var keepsDigests: Bool { formatVersion >= 4 && data.hasV4 }

    /// Replaces a bucket's digests by those of `segment` (every full-key write of a bucket).
    func refreshDigests(_ ref: BucketRef, _ segment: Segment) throws {
        guard keepsDigests else { return }
        try data.deleteDigests(ref)
        for m in segment.messages { try data.insertDigest(ref, messageDigest(cno: ref.cno, m)) }
    }

    func noteRecordDigest(kind: UInt8, cno: Int64, _ record: [UInt8]) throws {
        guard formatVersion >= 4, data.hasV4 else { return }
        try data.insertRecordDigest(recordDigest(kind: kind, cno: cno, record))
    }

    static func deltaKeyAD(archiveID: [UInt8], _ ref: BucketRef, seq: Int64) -> [UInt8] {
        Envelope.associatedData(.deltaKey, archiveID: archiveID, ref.cno, ref.bucket, seq)
    }

    static func deltaSegmentAD(archiveID: [UInt8], _ ref: BucketRef, seq: Int64, messages: Int64) -> [UInt8] {
        Envelope.associatedData(.deltaSegment, archiveID: archiveID, ref.cno, ref.bucket, seq, messages)
    }

    static func recordDeltaAD(archiveID: [UInt8], kind: Int64, cno: Int64, seq: Int64) -> [UInt8] {
        Envelope.associatedData(.recordDelta, archiveID: archiveID, kind, cno, seq)
    }

    // MARK: - Writing (the import role)

    /// Whether a role-key import (or a full import) already stored this exact message.
    func hasMessage(_ ref: BucketRef, _ m: Segment.Message) throws -> Bool {
        try data.hasDigest(ref, messageDigest(cno: ref.cno, m))
    }

    /// Writes one delta segment of a bucket under a new random key sealed to the archive;
    /// records the messages' digests. Returns the sealed size.
    func writeDelta(_ segment: Segment, at ref: BucketRef) throws -> Int {
        // MAX(seq) scans delta_keys (its key is (cno, bucket, seq)): asked once per run, not per bucket.
        let seq = try nextDeltaSeq ?? keystore.nextDeltaSeq()
        nextDeltaSeq = seq + 1
        let key = SecretKey.random()
        try keystore.insertDeltaKey(ref, seq: seq, sealed: try sealToArchive(key, ad: Archive.deltaKeyAD(archiveID: archiveID, ref, seq: seq)))
        var plain = segment.encoded()
        defer { Sodium.wipe(&plain) }
        var compressed = zstd.compress(plain, dictionary: ZstdDictionary.current)  // format 5, as base segments
        defer { Sodium.wipe(&compressed) }
        let count = Int64(segment.messages.count)
        let body = AEAD.seal(compressed, header: Envelope.Encoding.zstdDictionarySegment.rawValue,
                             ad: Archive.deltaSegmentAD(archiveID: archiveID, ref, seq: seq, messages: count), key: key)
        try data.putDelta(.init(ref: ref, seq: seq, messages: count, body: body))
        for m in segment.messages { try data.insertDigest(ref, messageDigest(cno: ref.cno, m)) }
        try keystore.setMeta(Archive.deltasPendingMeta, Array("1".utf8))
        noteView(ref, segment.messages)
        return body.count
    }

    /// Writes a record (kind 1: conversation `cno`; 2: user) sealed to the archive, unless the
    /// archive already holds exactly it. True when written.
    func writeRecordDelta(kind: UInt8, cno: Int64, _ record: [UInt8]) throws -> Bool {
        let digest = recordDigest(kind: kind, cno: cno, record)
        guard try !data.hasRecordDigest(digest) else { return false }
        let seq = try data.nextRecordDeltaSeq()
        let ad = Archive.recordDeltaAD(archiveID: archiveID, kind: Int64(kind), cno: cno, seq: seq)
        try data.putRecordDelta(seq: seq, kind: Int64(kind), cno: cno, body: SealedKey.seal(record, ad: ad, to: try importPublicKey()))
        try data.insertRecordDigest(digest)
        try keystore.setMeta(Archive.deltasPendingMeta, Array("1".utf8))
        return true
    }

    /// The audit entry of a role-key import (kind `import`, `by_role_key`), in the import's
    /// transaction. Public counts only: the import role holds no ADK to seal a detail.
    func appendRoleImportAudit(_ report: ImportReport) throws -> Int64 {
        let now = Int64(Date().timeIntervalSince1970)
        let record = AuditRecord(kind: AuditRecord.importKind, seq: 0, prev: "", time: ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(now))),
                                 now: RetentionTime.iso8601(now), policyDigest: "", rules: [], buckets: report.bucketsWritten,
                                 messages: report.messagesDeferred, channelsDestroyed: 0, byRoleKey: role?.id)
        return try appendAudit(record, detail: AuditDetail(shredded: [], heldBuckets: 0)).seq
    }

    // MARK: - Compaction (the full secret)

    /// Whether role-key imports left anything to fold in (read from keys.db alone).
    static func deltasPending(_ ks: Keystore) throws -> Bool { try ks.meta(deltasPendingMeta) != nil }

    /// Folds every role-key import in: conversation keys sealed to the archive are rewrapped
    /// under MK, sealed records stored as an import stores them, and each bucket's delta
    /// segments merged into it in order, with exactly the import's rules (newer version wins,
    /// an older one rolls nothing back), under the bucket's key (made if the bucket had none).
    /// Three steps, each safe to repeat: (1) both files, keys first: the merged buckets, the
    /// rewrapped keys, the records; (2) keys.db: the delta keys destroyed; (3) data.db: the
    /// delta ciphertext, now unreadable, deleted. Killed after (1), the next run merges the
    /// same deltas again and changes nothing.
    func compact() throws -> CompactReport {
        precondition(role == nil)  // a writer, or a reader that took the lock alone (as for a pending purge)
        var report = CompactReport()
        guard formatVersion >= 4, data.hasV4 else { return report }
        let deltaKeys = try keystore.deltaKeys()
        let records = try data.recordDeltas()
        let sealedChannels = try keystore.channels().filter { SealedKey.isSealed($0.wrapped) }
        var folded: [BucketRef] = []
        try beginWrite()
        do {
            for row in sealedChannels {
                let key = try channelKey(cno: row.cno)
                try keystore.updateChannelKey(cno: row.cno, wrapped: AEAD.wrap(key, under: try masterKey, ad: channelKeyAD(cno: row.cno, tag: row.tag)))
                report.channelKeysRewrapped += 1
            }
            let sk = try roleSecretKey(.importer)
            for r in records {
                let ad = Archive.recordDeltaAD(archiveID: archiveID, kind: r.kind, cno: r.cno, seq: r.seq)
                guard let plain = SealedKey.open(r.body, ad: ad, secret: sk) else {
                    noteDamage(channel: r.kind == 1 ? slackID(cno: r.cno) : "(user record)", bucket: nil,
                               LetheError(.integrity, "a record a role-key import wrote does not open (record delta \(r.seq))"))
                    continue
                }
                if r.kind == 1, var c = try? ChannelRecord.decode(plain) {
                    c.cno = r.cno
                    _ = try store(c)
                } else if r.kind == 2, let u = try? UserRecord.decode(plain) {
                    if try !profileForgotten(slackID: u.id) { _ = try store(u) }
                }
                report.records += 1
            }
            var byBucket: [BucketRef: [(seq: Int64, sealed: [UInt8])]] = [:]
            for k in deltaKeys { byBucket[k.ref, default: []].append((k.seq, k.sealed)) }
            var terms: [FilterRef: Set<BloomFilter.TermHash>] = [:]
            for ref in byBucket.keys.sorted() {
                let deltas = byBucket[ref]!.sorted { $0.seq < $1.seq }
                var merged: [String: Segment.Message] = [:]
                do {
                    if let base = try segment(ref) {
                        merged = Dictionary(base.messages.map { (Importer.identity($0), $0) }, uniquingKeysWith: { first, _ in first })
                    }
                } catch let e as LetheError where e.kind == .integrity {
                    noteDamage(channel: slackID(cno: ref.cno), bucket: ref.bucket, e)
                    continue  // its deltas stay, for a restore of data.db and a later compaction
                }
                var changed: [Segment.Message] = []
                for d in deltas {
                    guard let row = try data.delta(ref, seq: d.seq) else { continue }  // an import killed between its two commits
                    guard let key = try openSealedKey(d.sealed, ad: Archive.deltaKeyAD(archiveID: archiveID, ref, seq: d.seq)),
                          let incoming = try? SealedRecord.openSegment(row.body, ad: Archive.deltaSegmentAD(archiveID: archiveID, ref, seq: d.seq, messages: row.messages),
                                                                       key: key, messages: row.messages, zstd: zstd)
                    else {
                        noteDamage(channel: slackID(cno: ref.cno), bucket: ref.bucket,
                                   LetheError(.integrity, "delta segment \(d.seq) of a role-key import does not open"))
                        report.deltaSegmentsDamaged += 1
                        continue
                    }
                    var byTS: [String: Segment.Message] = [:]
                    for m in incoming.messages { byTS[Importer.identity(m)] = m }
                    let counts = Importer.merge(into: &merged, incoming: byTS)
                    report.messagesAdded += counts.added + counts.itemsAdded  // the compaction counts entries
                    report.messagesUpdated += counts.updated + counts.itemsUpdated
                    report.messagesUnchanged += counts.unchanged + counts.itemsUnchanged
                    changed += counts.changed
                    report.deltaSegments += 1
                }
                if !changed.isEmpty {
                    try write(Segment(messages: Importer.ordered(merged.values)), at: ref)
                    report.buckets += 1
                    var set = terms[FilterRef(cno: ref.cno, epoch: ref.epoch), default: []]
                    for m in changed { IndexTerms.add(MessageFields(m), to: &set) }
                    terms[FilterRef(cno: ref.cno, epoch: ref.epoch)] = set
                } else {
                    noteView(ref, Array(merged.values))  // nothing changed: the view's entry is the base's again, not base + delta
                }
                folded.append(ref)
            }
            for (f, set) in terms.sorted(by: { $0.key < $1.key }) { try addToFilter(set, f) }
            try commitWrite()
        } catch {
            rollbackWrite()
            throw error
        }
        // 2. The delta keys go: what role-key imports wrote is now readable only as the buckets.
        let damagedLeft = report.deltaSegmentsDamaged > 0
        try writeKeystore {
            for ref in folded { try keystore.deleteDeltaKeys(ref) }
            if !damagedLeft { try keystore.deleteMeta(Archive.deltasPendingMeta) }
        }
        // 3. Their ciphertext, now without a key.
        let live = Set(try keystore.deltaKeys().map { "\($0.ref.cno)/\($0.ref.bucket)/\($0.seq)" })
        try data.db.transaction {
            for d in try data.deltaIndex() where !live.contains("\(d.ref.cno)/\(d.ref.bucket)/\(d.seq)") { try data.deleteDelta(d.ref, seq: d.seq) }
            try data.deleteRecordDeltas()
        }
        try data.checkpointTruncate()
        return report
    }
}
