import Foundation

/// The keystore file (`keys.db`): slots, wrapped keys, tombstones, audit chain.
///
/// Pure storage: it reads and writes wrapped bytes and never sees a plain key.
final class Keystore {
    let db: SQLiteDatabase

    init(db: SQLiteDatabase) throws {
        self.db = db
        try db.execute(Schema.keystorePragmas)
        let journal = db.path + "-journal"
        db.afterTransaction = { Keystore.scrubJournal(at: journal) }
    }

    /// Overwrites a finished rollback journal with zeros, flushes it, then removes it.
    /// (After a ROLLBACK the journal holds the pages as they are still: nothing destroyed.)
    ///
    /// The journal holds the pages a transaction changed as they were before it: after a
    /// shred, the wrapped bucket keys it destroyed, which the live channel key still opens.
    /// SQLite's own DELETE mode unlinks the journal and leaves those bytes in freed blocks;
    /// in PERSIST mode it only zeroes the header, and this zeroes the rest in place before
    /// the file goes. Called after every commit, and by a writer at open for a journal
    /// that a killed process left (SQLite has rolled back a hot one by then).
    static func scrubJournal(at path: String) {
        let fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 {
            let zeros = [UInt8](repeating: 0, count: 65536)
            var offset: off_t = 0
            while offset < st.st_size {
                let n = min(Int(st.st_size - offset), zeros.count)
                let written = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress, n, offset) }
                guard written > 0 else { break }
                offset += off_t(written)
            }
            fsync(fd)
        }
        close(fd)
        unlink(path)
    }

    // MARK: - Meta

    func meta(_ key: String) throws -> [UInt8]? {
        let s = try db.statement("SELECT value FROM meta WHERE key = ?").query(.text(key))
        return try s.step() ? s.blob(0) : nil
    }

    func setMeta(_ key: String, _ value: [UInt8]) throws {
        try db.statement("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)").run(.text(key), .blob(value))
    }

    // MARK: - Slots

    struct Slot {
        var id: Int64
        var kind: String
        var salt: [UInt8]
        var opsLimit: UInt64
        var memLimit: UInt64
        var wrapped: [UInt8]
        var createdAt: Int64
    }

    func slots() throws -> [Slot] {
        let s = try db.statement("SELECT id, kind, salt, ops_limit, mem_limit, wrapped, created_at FROM slots ORDER BY id").query()
        var out: [Slot] = []
        while try s.step() {
            out.append(Slot(id: s.int(0), kind: s.text(1), salt: s.blob(2), opsLimit: UInt64(max(0, s.int(3))),
                            memLimit: UInt64(max(0, s.int(4))), wrapped: s.blob(5), createdAt: s.int(6)))
        }
        return out
    }

    func nextSlotID() throws -> Int64 { (try db.scalarInt("SELECT COALESCE(MAX(id), 0) + 1 FROM slots")) ?? 1 }

    func insertSlot(_ slot: Slot) throws {
        try db.statement("INSERT INTO slots(id, kind, salt, ops_limit, mem_limit, wrapped, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .run(.int(slot.id), .text(slot.kind), .blob(slot.salt), .int(Int64(slot.opsLimit)), .int(Int64(slot.memLimit)),
                 .blob(slot.wrapped), .int(slot.createdAt))
    }

    func deleteSlot(_ id: Int64) throws {
        try db.statement("DELETE FROM slots WHERE id = ?").run(.int(id))
    }

    // MARK: - Archive-wide keys

    func archiveKey(_ name: String) throws -> [UInt8]? {
        let s = try db.statement("SELECT wrapped FROM archive_keys WHERE name = ?").query(.text(name))
        return try s.step() ? s.blob(0) : nil
    }

    func setArchiveKey(_ name: String, _ wrapped: [UInt8]) throws {
        try db.statement("INSERT OR REPLACE INTO archive_keys(name, wrapped) VALUES (?, ?)").run(.text(name), .blob(wrapped))
    }

    // MARK: - Channel keys

    func channel(tag: [UInt8]) throws -> (cno: Int64, wrapped: [UInt8])? {
        let s = try db.statement("SELECT cno, wrapped FROM channel_keys WHERE tag = ?").query(.blob(tag))
        return try s.step() ? (s.int(0), s.blob(1)) : nil
    }

    func channelKey(cno: Int64) throws -> (tag: [UInt8], wrapped: [UInt8])? {
        let s = try db.statement("SELECT tag, wrapped FROM channel_keys WHERE cno = ?").query(.int(cno))
        return try s.step() ? (s.blob(0), s.blob(1)) : nil
    }

    func channels() throws -> [(cno: Int64, tag: [UInt8], wrapped: [UInt8])] {
        let s = try db.statement("SELECT cno, tag, wrapped FROM channel_keys ORDER BY cno").query()
        var out: [(Int64, [UInt8], [UInt8])] = []
        while try s.step() { out.append((s.int(0), s.blob(1), s.blob(2))) }
        return out
    }

    /// Channel numbers are never reused, even after a channel key is destroyed.
    func nextChannelNumber() throws -> Int64 {
        let used = try db.scalarInt("SELECT COALESCE(MAX(cno), 0) FROM channel_keys") ?? 0
        let floor = try meta("next_cno").flatMap { Int64(String(decoding: $0, as: UTF8.self)) } ?? 1
        return max(used + 1, floor)
    }

    func insertChannel(cno: Int64, tag: [UInt8], wrapped: [UInt8]) throws {
        try db.statement("INSERT INTO channel_keys(cno, tag, wrapped) VALUES (?, ?, ?)").run(.int(cno), .blob(tag), .blob(wrapped))
        try setMeta("next_cno", Array(String(cno + 1).utf8))
    }

    func deleteChannel(cno: Int64) throws {
        try db.statement("DELETE FROM channel_keys WHERE cno = ?").run(.int(cno))
    }

    // MARK: - Bucket keys

    func bucketKey(_ ref: BucketRef) throws -> [UInt8]? {
        let s = try db.statement("SELECT wrapped FROM bucket_keys WHERE cno = ? AND bucket = ?").query(.int(ref.cno), .int(ref.bucket))
        return try s.step() ? s.blob(0) : nil
    }

    func bucketKeys(cno: Int64) throws -> [(bucket: Int64, wrapped: [UInt8])] {
        let s = try db.statement("SELECT bucket, wrapped FROM bucket_keys WHERE cno = ? ORDER BY bucket").query(.int(cno))
        var out: [(Int64, [UInt8])] = []
        while try s.step() { out.append((s.int(0), s.blob(1))) }
        return out
    }

    func insertBucketKey(_ ref: BucketRef, wrapped: [UInt8]) throws {
        try db.statement("INSERT INTO bucket_keys(cno, bucket, wrapped) VALUES (?, ?, ?)").run(.int(ref.cno), .int(ref.bucket), .blob(wrapped))
    }

    func deleteBucketKey(_ ref: BucketRef) throws {
        try db.statement("DELETE FROM bucket_keys WHERE cno = ? AND bucket = ?").run(.int(ref.cno), .int(ref.bucket))
    }

    func bucketKeyCount() throws -> Int64 { try db.scalarInt("SELECT COUNT(*) FROM bucket_keys") ?? 0 }

    // MARK: - Tombstones
    //
    // On disk a tombstone's bucket is a bucket number, or -1 for "the whole conversation was
    // emptied" (docs/FORMAT.md §6); that encoding lives here and nowhere else.

    static let wholeConversation: Int64 = -1

    /// What retention shredded of the conversation with this tag.
    func tombstones(tag: [UInt8]) throws -> (buckets: Set<Int64>, wholeConversation: Bool) {
        let s = try db.statement("SELECT bucket FROM tombstones WHERE tag = ?").query(.blob(tag))
        var out = Set<Int64>()
        var whole = false
        while try s.step() {
            let b = s.int(0)
            if b == Keystore.wholeConversation { whole = true } else { out.insert(b) }
        }
        return (out, whole)
    }

    /// Inserts a tombstone (nil bucket: the whole conversation); false when it already exists.
    func insertTombstone(tag: [UInt8], bucket: Int64?, shreddedAt: Int64, rule: String) throws -> Bool {
        try db.statement("INSERT OR IGNORE INTO tombstones(tag, bucket, shredded_at, rule) VALUES (?, ?, ?, ?)")
            .run(.blob(tag), .int(bucket ?? Keystore.wholeConversation), .int(shreddedAt), .text(rule))
        return db.changes == 1
    }

    struct Tombstone {
        var tag: [UInt8]
        /// The stored bucket number (-1: the whole conversation), as the MAC covers it.
        var storedBucket: Int64
        var shreddedAt: Int64
        var rule: String
    }

    func tombstones() throws -> [Tombstone] { try tombstoneRows(try db.statement("SELECT tag, bucket, shredded_at, rule FROM tombstones").query()) }

    /// The tombstones of one conversation tag (the primary key's prefix: no scan).
    func tombstoneRows(tag: [UInt8]) throws -> [Tombstone] {
        try tombstoneRows(try db.statement("SELECT tag, bucket, shredded_at, rule FROM tombstones WHERE tag = ?").query(.blob(tag)))
    }

    private func tombstoneRows(_ s: SQLiteStatement) throws -> [Tombstone] {
        var out: [Tombstone] = []
        while try s.step() { out.append(Tombstone(tag: s.blob(0), storedBucket: s.int(1), shreddedAt: s.int(2), rule: s.text(3))) }
        return out
    }

    /// Shredded buckets (whole-conversation tombstones not counted).
    func tombstoneCount() throws -> Int64 { try db.scalarInt("SELECT COUNT(*) FROM tombstones WHERE bucket >= 0") ?? 0 }
}

extension Keystore {
    // MARK: - Pending purges
    //
    // Shredding commits the key deletion here first; the ciphertext in data.db is
    // deleted afterwards. A row here says "this bucket's ciphertext still has to go"
    // (bucket -1: the whole channel's metadata too), so an interrupted shred is
    // finished by the next process that opens the archive for writing.

    func pendingPurges() throws -> [Purge] {
        let s = try db.statement("SELECT cno, bucket FROM pending_purge ORDER BY cno, bucket").query()
        var out: [Purge] = []
        while try s.step() {
            out.append(s.int(1) == Keystore.wholeConversation ? .conversation(cno: s.int(0)) : .bucket(BucketRef(cno: s.int(0), bucket: s.int(1))))
        }
        return out
    }

    /// The (cno, bucket) a purge is stored as (bucket -1: the whole conversation), as its MAC covers it.
    static func stored(_ p: Purge) -> (cno: Int64, bucket: Int64) {
        switch p {
        case .bucket(let ref): return (ref.cno, ref.bucket)
        case .conversation(let cno): return (cno, wholeConversation)
        }
    }

    /// Notes ciphertext still to delete; false when the note already exists.
    func addPendingPurge(_ p: Purge) throws -> Bool {
        let (cno, bucket) = Keystore.stored(p)
        try db.statement("INSERT OR IGNORE INTO pending_purge(cno, bucket) VALUES (?, ?)").run(.int(cno), .int(bucket))
        return db.changes == 1
    }

    func clearPendingPurges() throws {
        try db.execute("DELETE FROM pending_purge")
    }
}

extension Keystore {
    // MARK: - Audit rows

    /// The newest audit entry's number and hash; (0, zeros) when there is none.
    func lastAudit() throws -> (seq: Int64, hash: [UInt8]) {
        let s = try db.statement("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").query()
        return try s.step() ? (s.int(0), s.blob(1)) : (0, [UInt8](repeating: 0, count: 32))
    }

    func auditCount() throws -> Int64 { try db.scalarInt("SELECT COUNT(*) FROM audit") ?? 0 }

    func insertAudit(seq: Int64, entry: String, hash: [UInt8]) throws {
        try db.statement("INSERT INTO audit(seq, entry, hash) VALUES (?, ?, ?)").run(.int(seq), .text(entry), .blob(hash))
    }

    func auditRows() throws -> [(seq: Int64, entry: String, hash: [UInt8])] {
        let s = try db.statement("SELECT seq, entry, hash FROM audit ORDER BY seq").query()
        var out: [(Int64, String, [UInt8])] = []
        while try s.step() { out.append((s.int(0), s.text(1), s.blob(2))) }
        return out
    }

    func deleteAllAudit() throws { try db.execute("DELETE FROM audit") }

    func updateChannelKey(cno: Int64, wrapped: [UInt8]) throws {
        try db.statement("UPDATE channel_keys SET wrapped = ? WHERE cno = ?").run(.blob(wrapped), .int(cno))
    }
}

extension Keystore {
    // MARK: - Forgotten messages and rewrites (format 3)

    /// The keyed tags of the forgotten messages of the conversation with this tag.
    func forgotten(ctag: [UInt8]) throws -> Set<[UInt8]> {
        let s = try db.statement("SELECT mtag FROM forgotten WHERE ctag = ?").query(.blob(ctag))
        var out = Set<[UInt8]>()
        while try s.step() { out.insert(s.blob(0)) }
        return out
    }

    func allForgotten() throws -> [(ctag: [UInt8], mtag: [UInt8])] {
        let s = try db.statement("SELECT ctag, mtag FROM forgotten").query()
        var out: [([UInt8], [UInt8])] = []
        while try s.step() { out.append((s.blob(0), s.blob(1))) }
        return out
    }

    /// False when that message was already forgotten.
    func insertForgotten(ctag: [UInt8], mtag: [UInt8]) throws -> Bool {
        try db.statement("INSERT OR IGNORE INTO forgotten(ctag, mtag) VALUES (?, ?)").run(.blob(ctag), .blob(mtag))
        return db.changes == 1
    }

    func rewriteKeys() throws -> [(ref: BucketRef, wrapped: [UInt8])] {
        let s = try db.statement("SELECT cno, bucket, wrapped FROM rewrite_keys ORDER BY cno, bucket").query()
        var out: [(BucketRef, [UInt8])] = []
        while try s.step() { out.append((BucketRef(cno: s.int(0), bucket: s.int(1)), s.blob(2))) }
        return out
    }

    func insertRewriteKey(_ ref: BucketRef, wrapped: [UInt8]) throws {
        try db.statement("INSERT INTO rewrite_keys(cno, bucket, wrapped) VALUES (?, ?, ?)").run(.int(ref.cno), .int(ref.bucket), .blob(wrapped))
    }

    func deleteRewriteKeys() throws { try db.execute("DELETE FROM rewrite_keys") }

    func deleteMeta(_ key: String) throws {
        try db.statement("DELETE FROM meta WHERE key = ?").run(.text(key))
    }

    // MARK: - Role keys (format 4)

    struct RoleKeyRow {
        var id: Int64
        var role: String
        var createdAt: Int64
        var revokedAt: Int64?
        /// The role's material under the role key's KEK; empty once revoked.
        var wrapped: [UInt8]
    }

    func roleKeys() throws -> [RoleKeyRow] {
        let s = try db.statement("SELECT id, role, created_at, revoked_at, wrapped FROM role_keys ORDER BY id").query()
        var out: [RoleKeyRow] = []
        while try s.step() {
            out.append(RoleKeyRow(id: s.int(0), role: s.text(1), createdAt: s.int(2), revokedAt: s.isNull(3) ? nil : s.int(3), wrapped: s.blob(4)))
        }
        return out
    }

    func roleKey(id: Int64) throws -> RoleKeyRow? { try roleKeys().first { $0.id == id } }

    func nextRoleKeyID() throws -> Int64 { (try db.scalarInt("SELECT COALESCE(MAX(id), 0) + 1 FROM role_keys")) ?? 1 }

    func insertRoleKey(_ row: RoleKeyRow) throws {
        try db.statement("INSERT INTO role_keys(id, role, created_at, revoked_at, wrapped) VALUES (?, ?, ?, NULL, ?)")
            .run(.int(row.id), .text(row.role), .int(row.createdAt), .blob(row.wrapped))
    }

    /// Destroys a role key's material (secure_delete overwrites the old bytes) and records when.
    func revokeRoleKey(id: Int64, at time: Int64) throws {
        try db.statement("UPDATE role_keys SET revoked_at = ?, wrapped = x'' WHERE id = ?").run(.int(time), .int(id))
    }

    // MARK: - Delta keys (format 4): keys of role-key imports' delta segments, sealed to the archive

    func deltaKeys() throws -> [(ref: BucketRef, seq: Int64, sealed: [UInt8])] {
        let s = try db.statement("SELECT cno, bucket, seq, sealed FROM delta_keys ORDER BY cno, bucket, seq").query()
        var out: [(BucketRef, Int64, [UInt8])] = []
        while try s.step() { out.append((BucketRef(cno: s.int(0), bucket: s.int(1)), s.int(2), s.blob(3))) }
        return out
    }

    func deltaKeyCount() throws -> Int64 {
        guard try hasTable("delta_keys") else { return 0 }
        return try db.scalarInt("SELECT COUNT(*) FROM delta_keys") ?? 0
    }

    func nextDeltaSeq() throws -> Int64 { (try db.scalarInt("SELECT COALESCE(MAX(seq), 0) + 1 FROM delta_keys")) ?? 1 }

    func insertDeltaKey(_ ref: BucketRef, seq: Int64, sealed: [UInt8]) throws {
        try db.statement("INSERT INTO delta_keys(cno, bucket, seq, sealed) VALUES (?, ?, ?, ?)").run(.int(ref.cno), .int(ref.bucket), .int(seq), .blob(sealed))
    }

    /// Destroys every delta key of a bucket (a shred, or a compaction that folded them in).
    func deleteDeltaKeys(_ ref: BucketRef) throws {
        try db.statement("DELETE FROM delta_keys WHERE cno = ? AND bucket = ?").run(.int(ref.cno), .int(ref.bucket))
    }

    func hasDeltaKeys(_ ref: BucketRef) throws -> Bool {
        guard try hasTable("delta_keys") else { return false }
        return try db.scalarInt("SELECT COUNT(*) FROM delta_keys WHERE cno = ? AND bucket = ?", .int(ref.cno), .int(ref.bucket)) ?? 0 > 0
    }

    func deltaKeyBuckets(cno: Int64) throws -> Set<Int64> {
        guard try hasTable("delta_keys") else { return [] }
        let s = try db.statement("SELECT DISTINCT bucket FROM delta_keys WHERE cno = ?").query(.int(cno))
        var out = Set<Int64>()
        while try s.step() { out.insert(s.int(0)) }
        return out
    }

    func deleteDeltaKeys(cno: Int64) throws {
        try db.statement("DELETE FROM delta_keys WHERE cno = ?").run(.int(cno))
    }
    // MARK: - Retention views (format 6)

    func hasViews() throws -> Bool { try hasTable("retention_views") }

    /// Whether keys.db has this table (a later format's tables are missing until its upgrade ran).
    private func hasTable(_ name: String) throws -> Bool {
        try db.scalarInt("SELECT COUNT(*) FROM sqlite_master WHERE name = ?", .text(name)) == 1
    }

    /// Every view, in (cno, seq) order.
    func views() throws -> [(cno: Int64, seq: Int64, sealed: [UInt8])] {
        let s = try db.statement("SELECT cno, seq, sealed FROM retention_views ORDER BY cno, seq").query()
        var out: [(Int64, Int64, [UInt8])] = []
        while try s.step() { out.append((s.int(0), s.int(1), s.blob(2))) }
        return out
    }

    func views(cno: Int64) throws -> [(seq: Int64, sealed: [UInt8])] {
        let s = try db.statement("SELECT seq, sealed FROM retention_views WHERE cno = ? ORDER BY seq").query(.int(cno))
        var out: [(Int64, [UInt8])] = []
        while try s.step() { out.append((s.int(0), s.blob(1))) }
        return out
    }

    /// The next delta view's number (archive-wide, as delta segments' seq).
    func nextViewSeq() throws -> Int64 { (try db.scalarInt("SELECT COALESCE(MAX(seq), 0) + 1 FROM retention_views")) ?? 1 }

    func putView(cno: Int64, seq: Int64, sealed: [UInt8]) throws {
        try db.statement("INSERT OR REPLACE INTO retention_views(cno, seq, sealed) VALUES (?, ?, ?)").run(.int(cno), .int(seq), .blob(sealed))
    }

    func deleteView(cno: Int64, seq: Int64) throws {
        try db.statement("DELETE FROM retention_views WHERE cno = ? AND seq = ?").run(.int(cno), .int(seq))
    }
}
