/// The keystore's authenticated state (format 2, docs/FORMAT.md §2a).
///
/// keys.db holds plaintext values that decisions read: the bucket scheme (what a
/// bucket number means in time), the next channel number, the tombstones (what an
/// import must not bring back), the pending purges (what ciphertext is to be
/// deleted) and the audit chain's head. Someone who can write the file but holds
/// no secret could change any of them. The manifest holds each value, or for the
/// row sets a count and an order-independent digest, and is MACed under the
/// integrity key, a subkey of the master key: a change to any of them without the
/// key shows as a mismatch before anything acts on it.
struct Manifest: Equatable, Sendable {
    /// 4 from format 6 on (retention views); 3 in formats 4 and 5 (role keys); 2 in format 3 (forgotten messages, rewrites, the pending forget); 1 in format 2.
    static let encodingVersion: UInt8 = 4

    var formatVersion: Int64
    var scheme: BucketScheme
    var createdAt: Int64
    var nextChannelNumber: Int64
    var tombstones: RowSetDigest
    var pendingPurges: RowSetDigest
    /// The last audit entry: its number (0 when there is none) and its chain hash.
    var auditSeq: Int64
    var auditHead: [UInt8]
    /// Per-message tombstones (`lethe forget`).
    var forgotten = RowSetDigest()
    /// New keys of buckets a forget is rewriting.
    var rewrites = RowSetDigest()
    /// BLAKE2b of the pending forget's record, 32 zero bytes when none is pending.
    var pendingForget = [UInt8](repeating: 0, count: 32)
    /// The role keys (format 4): each row's id, role, dates and wrapped material. Revoking
    /// changes a row, so a revoked key's old row put back from a copy does not match.
    var roleKeys = RowSetDigest()
    /// The retention views (format 6): each row's cno, seq and sealed bytes. A view put back
    /// from an older copy of keys.db, added or removed, does not match.
    var views = RowSetDigest()

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 160)
        w.u8(Self.encodingVersion)
        w.i64(formatVersion)
        w.string(scheme.rawValue)
        w.i64(createdAt)
        w.i64(nextChannelNumber)
        tombstones.write(&w)
        pendingPurges.write(&w)
        w.i64(auditSeq)
        w.data(auditHead)
        forgotten.write(&w)
        rewrites.write(&w)
        w.data(pendingForget)
        roleKeys.write(&w)
        views.write(&w)
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> Manifest {
        var r = ByteReader(bytes)
        let encoding = try r.u8()
        guard (1...encodingVersion).contains(encoding) else { throw ByteReader.Malformed() }
        let version = try r.i64()
        guard let scheme = BucketScheme(rawValue: try r.string()) else { throw ByteReader.Malformed() }
        var m = Manifest(formatVersion: version, scheme: scheme, createdAt: try r.i64(), nextChannelNumber: try r.i64(),
                         tombstones: try RowSetDigest.read(&r), pendingPurges: try RowSetDigest.read(&r),
                         auditSeq: try r.i64(), auditHead: try r.data())
        if encoding >= 2 {
            m.forgotten = try RowSetDigest.read(&r)
            m.rewrites = try RowSetDigest.read(&r)
            m.pendingForget = try r.data()
        }
        if encoding >= 3 { m.roleKeys = try RowSetDigest.read(&r) }
        if encoding >= 4 { m.views = try RowSetDigest.read(&r) }
        guard r.atEnd, m.auditHead.count == 32, m.pendingForget.count == 32 else { throw ByteReader.Malformed() }
        return m
    }
}

/// A count and the XOR of the rows' keyed MACs: adding or removing one row updates it in
/// O(1), and without the key nobody can make a changed set match it.
struct RowSetDigest: Equatable, Sendable {
    var count: Int64 = 0
    var xor = [UInt8](repeating: 0, count: 32)

    mutating func toggle(_ mac: [UInt8]) {
        precondition(mac.count == 32)
        for i in 0..<32 { xor[i] ^= mac[i] }
    }

    mutating func add(_ mac: [UInt8]) {
        toggle(mac)
        count += 1
    }

    mutating func remove(_ mac: [UInt8]) {
        toggle(mac)
        count -= 1
    }

    func write(_ w: inout ByteWriter) {
        w.i64(count)
        w.data(xor)
    }

    static func read(_ r: inout ByteReader) throws -> RowSetDigest {
        let d = RowSetDigest(count: try r.i64(), xor: try r.data())
        guard d.xor.count == 32, d.count >= 0 else { throw ByteReader.Malformed() }
        return d
    }
}

/// The MACs that bind keystore rows and the manifest to the master key (integrity key IK).
struct IntegrityKey {
    let key: SecretKey

    init(masterKey: SecretKey) { key = KDF.subkey(of: masterKey, context: "integrity") }

    /// IK as a role key's material carries it.
    init(key: SecretKey) { self.key = key }

    func manifestMAC(_ encoded: [UInt8], archiveID: [UInt8]) -> [UInt8] {
        KDF.keyedHash(key: key, context: "manifest", archiveID + encoded)
    }

    func tombstoneMAC(tag: [UInt8], bucket: Int64, shreddedAt: Int64, rule: String) -> [UInt8] {
        var w = ByteWriter(capacity: 64 + rule.utf8.count)
        w.data(tag)
        w.i64(bucket)
        w.i64(shreddedAt)
        w.string(rule)
        return KDF.keyedHash(key: key, context: "tombstone", w.bytes)
    }

    func forgottenMAC(ctag: [UInt8], mtag: [UInt8]) -> [UInt8] { KDF.keyedHash(key: key, context: "forgotten", ctag + mtag) }

    func rewriteMAC(_ ref: BucketRef, wrapped: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: 16 + wrapped.count)
        w.i64(ref.cno)
        w.i64(ref.bucket)
        w.data(wrapped)
        return KDF.keyedHash(key: key, context: "rewrite", w.bytes)
    }

    /// A role key row (format 4): `tag(IK, "role key", i64 id || str role || i64 created_at || i64 revoked_at (0: live) || data wrapped)`.
    func roleKeyMAC(id: Int64, role: String, createdAt: Int64, revokedAt: Int64?, wrapped: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: 48 + wrapped.count)
        w.i64(id)
        w.string(role)
        w.i64(createdAt)
        w.i64(revokedAt ?? 0)
        w.data(wrapped)
        return KDF.keyedHash(key: key, context: "role key", w.bytes)
    }

    /// A retention view row (format 6): `tag(IK, "retention view", i64 cno || i64 seq || data sealed)`.
    func viewMAC(cno: Int64, seq: Int64, sealed: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: 24 + sealed.count)
        w.i64(cno)
        w.i64(seq)
        w.data(sealed)
        return KDF.keyedHash(key: key, context: "retention view", w.bytes)
    }

    func pendingPurgeMAC(cno: Int64, bucket: Int64) -> [UInt8] {
        var w = ByteWriter(capacity: 16)
        w.i64(cno)
        w.i64(bucket)
        return KDF.keyedHash(key: key, context: "pending purge", w.bytes)
    }
}
