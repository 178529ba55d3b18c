/// The bulk file (`data.db`): sealed channel metadata, users and bucket segments.
///
/// Pure storage of ciphertext; the only plaintext columns are row numbers,
/// bucket numbers and message counts (listed in docs/SECURITY.md).
final class DataStore {
    let db: SQLiteDatabase
    private var knownTables = Set<String>()

    init(db: SQLiteDatabase) throws {
        self.db = db
        try db.execute(Schema.dataPragmas)
    }

    func meta(_ key: String) throws -> [UInt8]? {
        let s = try db.statement("SELECT value FROM meta WHERE key = ?").query(.text(key))
        return try s.step() ? s.blob(0) : nil
    }

    func setMeta(_ key: String, _ value: [UInt8]) throws {
        try db.statement("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)").run(.text(key), .blob(value))
    }

    // MARK: - Channels

    func channelRecord(cno: Int64) throws -> [UInt8]? {
        let s = try db.statement("SELECT record FROM channels WHERE cno = ?").query(.int(cno))
        return try s.step() ? s.blob(0) : nil
    }

    func putChannelRecord(cno: Int64, record: [UInt8]) throws {
        try db.statement("INSERT OR REPLACE INTO channels(cno, record) VALUES (?, ?)").run(.int(cno), .blob(record))
    }

    func deleteChannel(cno: Int64) throws {
        try db.statement("DELETE FROM channels WHERE cno = ?").run(.int(cno))
        if hasV7 {
            try db.statement("DELETE FROM attachments WHERE cno = ?").run(.int(cno))
            try db.statement("DELETE FROM attachment_chunks WHERE cno = ?").run(.int(cno))
        }
        if hasV4 {
            try db.statement("DELETE FROM deltas WHERE cno = ?").run(.int(cno))
            try db.statement("DELETE FROM digests WHERE cno = ?").run(.int(cno))
        }
    }

    // MARK: - Users

    func user(tag: [UInt8]) throws -> (uno: Int64, record: [UInt8])? {
        let s = try db.statement("SELECT uno, record FROM users WHERE tag = ?").query(.blob(tag))
        return try s.step() ? (s.int(0), s.blob(1)) : nil
    }

    func users() throws -> [(uno: Int64, record: [UInt8])] {
        let s = try db.statement("SELECT uno, record FROM users ORDER BY uno").query()
        var out: [(Int64, [UInt8])] = []
        while try s.step() { out.append((s.int(0), s.blob(1))) }
        return out
    }

    func nextUserNumber() throws -> Int64 { try db.scalarInt("SELECT COALESCE(MAX(uno), 0) + 1 FROM users") ?? 1 }

    func putUser(uno: Int64, tag: [UInt8], record: [UInt8]) throws {
        try db.statement("INSERT OR REPLACE INTO users(uno, tag, record) VALUES (?, ?, ?)").run(.int(uno), .blob(tag), .blob(record))
    }

    // MARK: - Segments

    struct SegmentRow {
        var ref: BucketRef
        var messages: Int64
        var body: [UInt8]

        var cno: Int64 { ref.cno }
        var bucket: Int64 { ref.bucket }
    }

    func segment(_ ref: BucketRef) throws -> SegmentRow? {
        let s = try db.statement("SELECT messages, body FROM segments WHERE cno = ? AND bucket = ?").query(.int(ref.cno), .int(ref.bucket))
        return try s.step() ? SegmentRow(ref: ref, messages: s.int(0), body: s.blob(1)) : nil
    }

    func putSegment(_ row: SegmentRow) throws {
        try db.statement("INSERT OR REPLACE INTO segments(cno, bucket, messages, body) VALUES (?, ?, ?, ?)")
            .run(.int(row.cno), .int(row.bucket), .int(row.messages), .blob(row.body))
    }

    /// Deletes a bucket's ciphertext: its segment, its delta segments and its digests (format 4),
    /// its attachments (format 7).
    func deleteSegment(_ ref: BucketRef) throws {
        try db.statement("DELETE FROM segments WHERE cno = ? AND bucket = ?").run(.int(ref.cno), .int(ref.bucket))
        if hasV7 { try deleteAttachments(ref) }
        if hasV4 {
            try db.statement("DELETE FROM deltas WHERE cno = ? AND bucket = ?").run(.int(ref.cno), .int(ref.bucket))
            try db.statement("DELETE FROM digests WHERE cno = ? AND bucket = ?").run(.int(ref.cno), .int(ref.bucket))
        }
    }

    /// Whether data.db has format 4's tables (false until the data step of the upgrade ran).
    var hasV4: Bool { hasTable("deltas") }
    /// Whether data.db has format 7's tables (attachments).
    var hasV7: Bool { hasTable("attachments") }

    /// Whether a table exists; a table found is remembered (tables are never dropped), so the
    /// common case asks sqlite_master once per run, not once per bucket.
    private func hasTable(_ name: String) -> Bool {
        if knownTables.contains(name) { return true }
        let found = ((try? db.scalarInt("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", .text(name))) ?? 0) == 1
        if found { knownTables.insert(name) }
        return found
    }

    // MARK: - Format 4: deltas of role-key imports, digests

    struct DeltaRow {
        var ref: BucketRef
        var seq: Int64
        var messages: Int64
        var body: [UInt8]
    }

    func putDelta(_ row: DeltaRow) throws {
        try db.statement("INSERT OR REPLACE INTO deltas(cno, bucket, seq, messages, body) VALUES (?, ?, ?, ?, ?)")
            .run(.int(row.ref.cno), .int(row.ref.bucket), .int(row.seq), .int(row.messages), .blob(row.body))
    }

    func delta(_ ref: BucketRef, seq: Int64) throws -> DeltaRow? {
        let s = try db.statement("SELECT messages, body FROM deltas WHERE cno = ? AND bucket = ? AND seq = ?").query(.int(ref.cno), .int(ref.bucket), .int(seq))
        return try s.step() ? DeltaRow(ref: ref, seq: seq, messages: s.int(0), body: s.blob(1)) : nil
    }

    func deltaIndex() throws -> [(ref: BucketRef, seq: Int64)] {
        guard hasV4 else { return [] }
        let s = try db.statement("SELECT cno, bucket, seq FROM deltas ORDER BY cno, bucket, seq").query()
        var out: [(BucketRef, Int64)] = []
        while try s.step() { out.append((BucketRef(cno: s.int(0), bucket: s.int(1)), s.int(2))) }
        return out
    }

    func deleteDelta(_ ref: BucketRef, seq: Int64) throws {
        try db.statement("DELETE FROM deltas WHERE cno = ? AND bucket = ? AND seq = ?").run(.int(ref.cno), .int(ref.bucket), .int(seq))
    }

    func hasDigest(_ ref: BucketRef, _ digest: [UInt8]) throws -> Bool {
        try db.scalarInt("SELECT COUNT(*) FROM digests WHERE cno = ? AND bucket = ? AND digest = ?", .int(ref.cno), .int(ref.bucket), .blob(digest)) == 1
    }

    func insertDigest(_ ref: BucketRef, _ digest: [UInt8]) throws {
        try db.statement("INSERT OR IGNORE INTO digests(cno, bucket, digest) VALUES (?, ?, ?)").run(.int(ref.cno), .int(ref.bucket), .blob(digest))
    }

    func deleteDigests(_ ref: BucketRef) throws {
        try db.statement("DELETE FROM digests WHERE cno = ? AND bucket = ?").run(.int(ref.cno), .int(ref.bucket))
    }

    func hasRecordDigest(_ digest: [UInt8]) throws -> Bool {
        try db.scalarInt("SELECT COUNT(*) FROM record_digests WHERE digest = ?", .blob(digest)) == 1
    }

    func insertRecordDigest(_ digest: [UInt8]) throws {
        try db.statement("INSERT OR IGNORE INTO record_digests(digest) VALUES (?)").run(.blob(digest))
    }

    func nextRecordDeltaSeq() throws -> Int64 { try db.scalarInt("SELECT COALESCE(MAX(seq), 0) + 1 FROM record_deltas") ?? 1 }

    func putRecordDelta(seq: Int64, kind: Int64, cno: Int64, body: [UInt8]) throws {
        try db.statement("INSERT INTO record_deltas(seq, kind, cno, body) VALUES (?, ?, ?, ?)").run(.int(seq), .int(kind), .int(cno), .blob(body))
    }

    func recordDeltas() throws -> [(seq: Int64, kind: Int64, cno: Int64, body: [UInt8])] {
        guard hasV4 else { return [] }
        let s = try db.statement("SELECT seq, kind, cno, body FROM record_deltas ORDER BY seq").query()
        var out: [(Int64, Int64, Int64, [UInt8])] = []
        while try s.step() { out.append((s.int(0), s.int(1), s.int(2), s.blob(3))) }
        return out
    }

    func deleteRecordDeltas() throws { try db.execute("DELETE FROM record_deltas") }

    /// Every segment (or one conversation's) without bodies, in (cno, bucket) order.
    func segmentIndex(cno: Int64? = nil) throws -> [(ref: BucketRef, messages: Int64)] {
        let s: SQLiteStatement
        if let cno {
            s = try db.statement("SELECT cno, bucket, messages FROM segments WHERE cno = ? ORDER BY bucket").query(.int(cno))
        } else {
            s = try db.statement("SELECT cno, bucket, messages FROM segments ORDER BY cno, bucket").query()
        }
        var out: [(BucketRef, Int64)] = []
        while try s.step() { out.append((BucketRef(cno: s.int(0), bucket: s.int(1)), s.int(2))) }
        return out
    }

    /// Calls `body` with each segment row of a conversation (bodies included), in bucket order.
    func forEachSegment(cno: Int64, _ body: (SegmentRow) throws -> Void) throws {
        // A dedicated statement: the caller may use the cached ones inside `body`.
        let s = try SQLiteDatabase.Uncached(db, "SELECT bucket, messages, body FROM segments WHERE cno = ? ORDER BY bucket")
        try s.statement.bind([.int(cno)])
        while try s.statement.step() {
            try body(SegmentRow(ref: BucketRef(cno: cno, bucket: s.statement.int(0)), messages: s.statement.int(1), body: s.statement.blob(2)))
        }
    }

    func userCount() throws -> Int64 { try db.scalarInt("SELECT COUNT(*) FROM users") ?? 0 }

    /// Checkpoints the WAL into the main file and truncates it to zero bytes.
    func checkpointTruncate() throws {
        db.resetAll()
        try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }
}

extension DataStore {
    // MARK: - Search filters

    func filter(_ f: FilterRef) throws -> [UInt8]? {
        let s = try db.statement("SELECT body FROM filters WHERE epoch = ? AND cno = ?").query(.int(f.epoch), .int(f.cno))
        return try s.step() ? s.blob(0) : nil
    }

    func putFilter(_ f: FilterRef, body: [UInt8]) throws {
        try db.statement("INSERT OR REPLACE INTO filters(epoch, cno, body) VALUES (?, ?, ?)").run(.int(f.epoch), .int(f.cno), .blob(body))
    }

    func deleteFilter(_ f: FilterRef) throws {
        try db.statement("DELETE FROM filters WHERE epoch = ? AND cno = ?").run(.int(f.epoch), .int(f.cno))
    }

    func deleteFilters(cno: Int64) throws {
        try db.statement("DELETE FROM filters WHERE cno = ?").run(.int(cno))
    }

    /// The buckets of one conversation within `[lo, hi]`, in order.
    func buckets(cno: Int64, from lo: Int64, to hi: Int64) throws -> [BucketRef] {
        let s = try db.statement("SELECT bucket FROM segments WHERE cno = ? AND bucket BETWEEN ? AND ? ORDER BY bucket").query(.int(cno), .int(lo), .int(hi))
        var out: [BucketRef] = []
        while try s.step() { out.append(BucketRef(cno: cno, bucket: s.int(0))) }
        return out
    }
}

extension DataStore {
    /// Epochs that have at least one filter within `[lo, hi]`, newest first.
    func filterEpochs(from lo: Int64, to hi: Int64) throws -> [Int64] {
        let s = try db.statement("SELECT DISTINCT epoch FROM filters WHERE epoch BETWEEN ? AND ? ORDER BY epoch DESC").query(.int(lo), .int(hi))
        var out: [Int64] = []
        while try s.step() { out.append(s.int(0)) }
        return out
    }

    /// Every filter of one epoch: (channel number, sealed body).
    func filters(epoch: Int64) throws -> [(cno: Int64, body: [UInt8])] {
        let s = try db.statement("SELECT cno, body FROM filters WHERE epoch = ?").query(.int(epoch))
        var out: [(Int64, [UInt8])] = []
        while try s.step() { out.append((s.int(0), s.blob(1))) }
        return out
    }
}

extension DataStore {
    // MARK: - Format 7: attachments

    func attachmentIndex(_ ref: BucketRef) throws -> (blobs: Int64, body: [UInt8])? {
        guard hasV7 else { return nil }
        let s = try db.statement("SELECT blobs, body FROM attachments WHERE cno = ? AND bucket = ?").query(.int(ref.cno), .int(ref.bucket))
        return try s.step() ? (s.int(0), s.blob(1)) : nil
    }

    func putAttachmentIndex(_ ref: BucketRef, blobs: Int64, body: [UInt8]) throws {
        try db.statement("INSERT OR REPLACE INTO attachments(cno, bucket, blobs, body) VALUES (?, ?, ?, ?)")
            .run(.int(ref.cno), .int(ref.bucket), .int(blobs), .blob(body))
    }

    /// Deletes a bucket's attachment index and every chunk of its blobs.
    func deleteAttachments(_ ref: BucketRef) throws {
        try db.statement("DELETE FROM attachments WHERE cno = ? AND bucket = ?").run(.int(ref.cno), .int(ref.bucket))
        try db.statement("DELETE FROM attachment_chunks WHERE cno = ? AND bucket = ?").run(.int(ref.cno), .int(ref.bucket))
    }

    func putChunk(_ ref: BucketRef, blob: Int64, n: Int64, body: [UInt8]) throws {
        try db.statement("INSERT OR REPLACE INTO attachment_chunks(cno, bucket, blob, n, body) VALUES (?, ?, ?, ?, ?)")
            .run(.int(ref.cno), .int(ref.bucket), .int(blob), .int(n), .blob(body))
    }

    func chunk(_ ref: BucketRef, blob: Int64, n: Int64) throws -> [UInt8]? {
        let s = try db.statement("SELECT body FROM attachment_chunks WHERE cno = ? AND bucket = ? AND blob = ? AND n = ?")
            .query(.int(ref.cno), .int(ref.bucket), .int(blob), .int(n))
        return try s.step() ? s.blob(0) : nil
    }

    func deleteChunks(_ ref: BucketRef, blob: Int64) throws {
        try db.statement("DELETE FROM attachment_chunks WHERE cno = ? AND bucket = ? AND blob = ?").run(.int(ref.cno), .int(ref.bucket), .int(blob))
    }

    /// The blob numbers that have chunks in a bucket (to sweep chunks no index names).
    func chunkBlobs(_ ref: BucketRef) throws -> Set<Int64> {
        let s = try db.statement("SELECT DISTINCT blob FROM attachment_chunks WHERE cno = ? AND bucket = ?").query(.int(ref.cno), .int(ref.bucket))
        var out = Set<Int64>()
        while try s.step() { out.insert(s.int(0)) }
        return out
    }

    /// Every bucket with an attachment index, in (cno, bucket) order.
    func attachmentBuckets() throws -> [BucketRef] {
        guard hasV7 else { return [] }
        let s = try db.statement("SELECT cno, bucket FROM attachments ORDER BY cno, bucket").query()
        var out: [BucketRef] = []
        while try s.step() { out.append(BucketRef(cno: s.int(0), bucket: s.int(1))) }
        return out
    }

    /// Bytes of ciphertext in every attachment chunk (`lethe stats`).
    func chunkBytes() throws -> Int64 {
        guard hasV7 else { return 0 }
        return try db.scalarInt("SELECT COALESCE(SUM(LENGTH(body)), 0) FROM attachment_chunks") ?? 0
    }
}
