import Foundation
import Testing
@testable import LetheCore

func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
func bytes(hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = hex.startIndex
    while i < hex.endIndex {
        let j = hex.index(i, offsetBy: 2)
        out.append(UInt8(hex[i..<j], radix: 16)!)
        i = j
    }
    return out
}
func unhex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}
func key(_ range: Range<UInt8>) -> SecretKey { Array(range).withUnsafeBytes { SecretKey.copying($0) } }

/// Test vectors computed independently with PyNaCl (libsodium's Python binding); docs/FORMAT.md quotes them.
@Suite struct CryptoVectorTests {
    let archiveID = Array(UInt8(96)..<UInt8(112))

    @Test func associatedDataLayout() {
        let ad = Envelope.associatedData(.bucketKey, archiveID: archiveID, 1, 19844)
        #expect(hex(ad) == "6c657468653104606162636465666768696a6b6c6d6e6f00000000000000010000000000004d84")
    }

    @Test func wrappedBucketKeyVector() {
        let ad = Envelope.associatedData(.bucketKey, archiveID: archiveID, 1, 19844)
        let wrapped = AEAD.wrap(key(0..<32), under: key(32..<64), ad: ad, nonce: Array(64..<88))
        #expect(hex(wrapped) == "01404142434445464748494a4b4c4d4e4f50515253545556573a206faa2263fbd87f77e533e86eec2ae944d5f0c20214542c98db349222d70de875a3c07e7805427b94a646e5442faa")
        let back = AEAD.unwrap(wrapped, under: key(32..<64), ad: ad)
        #expect(back.map { $0.withUnsafeBytes { Array($0) } } == Array(0..<32))
    }

    @Test func argon2idVector() throws {
        var pass = Array("correct horse battery staple".utf8)
        let kek = try KDF.argon2id(passphrase: Secret(wiping: &pass), salt: Array(0..<16), opsLimit: 2, memLimit: 67_108_864)
        #expect(kek.withUnsafeBytes { hex(Array($0)) } == "c05ce4c4dd7e0e45ee6011cc59d068ade47df1b01fc0cf9cd4678bdf68a5b7b0")
        #expect(pass.allSatisfy { $0 == 0 }, "the source buffer is wiped")
    }

    @Test func keyFileKEKVector() {
        let kek = Archive.keyFileKEK(key(0..<32), archiveID: archiveID)
        #expect(kek.withUnsafeBytes { hex(Array($0)) } == "dd2cbe0dd4ea259929ab0fde68ebbcb56e3b9f592d12951f67f99184eef1542f")
    }

    /// Format 4 (docs/FORMAT.md §9): a role key's KEK and the AD of its material, computed with
    /// Python's hashlib.blake2b(key=…, digest_size=32) and by hand (purpose 10, id 1, role code 1).
    @Test func roleKeyVectors() throws {
        let kek = Archive.roleKeyKEK(key(0..<32), archiveID: archiveID)
        #expect(kek.withUnsafeBytes { hex(Array($0)) } == "000555f30751461e978dad2815b0e04dde2c2c3312800bc28a54098931354a28")
        #expect(hex(Archive.roleKeyAD(archiveID: archiveID, id: 1, role: .importer))
                == "6c65746865310a606162636465666768696a6b6c6d6e6f00000000000000010000000000000001")
        #expect(hex(Archive.roleSecretAD(archiveID: archiveID, role: .retention)) == "6c65746865310b606162636465666768696a6b6c6d6e6f0000000000000002")
        // The role key file's line parses back to the same role, id and secret.
        let line = Array("# lethe role key: import.\nlethe-rolekey-v1:import:1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n".utf8)
        let parsed = try #require(try RoleKeyFile.parse(line, path: "vector"))
        #expect(parsed.role == .importer && parsed.id == 1 && parsed.secret.withUnsafeBytes { Array($0) } == Array(0..<32))
        #expect(try RoleKeyFile.parse(Array("lethe-keyfile-v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n".utf8), path: "v") == nil,
                "a full key file is not a role key file")
    }

    /// A delta key sealed to the archive (docs/FORMAT.md §2c), made independently with PyNaCl
    /// (`SealedBox(PublicKey(pk)).encrypt(BLAKE2b(AD) || key)`, prefixed with 0x06): SK_import
    /// `00 … 1f`, key `20 … 3f`, cno 1, bucket 19844, delta seq 1, archive id `60 … 6f`.
    @Test func sealedDeltaKeyVector() throws {
        let sk = key(0..<32)
        #expect(hex(SealedBox.publicKey(of: sk)) == "8f40c5adb68f25624ae5b214ea767a6ec94d829d3d7b5e1ad1ba6f3e2138285f")
        let ad = Archive.deltaKeyAD(archiveID: archiveID, BucketRef(cno: 1, bucket: 19844), seq: 1)
        #expect(hex(ad) == "6c65746865310c606162636465666768696a6b6c6d6e6f00000000000000010000000000004d840000000000000001")
        let sealed = bytes(hex: "065d0973ab2ad9d5b9aaf8b804901e9f093582bcebd751f049049e0cdf68e62479af282fbe64ab797aea17b269d6591974f4319bab7c030c869012ed16b804531554cb874aac52cf6f31fcb2a480d5aace5e72bfc5a601b6396c0f5e25c1b1db64df5722c434b278f405c6747b47cbf7b2")
        #expect(SealedKey.open(sealed, ad: ad, secret: sk) == Array(0x20..<0x40))
        let otherPlace = Archive.deltaKeyAD(archiveID: archiveID, BucketRef(cno: 1, bucket: 19845), seq: 1)
        #expect(SealedKey.open(sealed, ad: otherPlace, secret: sk) == nil, "moved to another bucket, it does not open")
    }

    /// X25519 sealed boxes (libsodium crypto_box_seal): opened by the secret half only.
    @Test func sealedBoxesOpenOnlyWithTheSecretHalf() {
        let sk = SealedBox.secretKey(), other = SealedBox.secretKey()
        let box = SealedBox.seal(Array(0..<32), to: SealedBox.publicKey(of: sk))
        #expect(box.count == 32 + SealedBox.overhead)
        #expect(SealedBox.open(box, secret: sk) == Array(0..<32))
        #expect(SealedBox.open(box, secret: other) == nil)
        var flipped = box
        flipped[40] ^= 1
        #expect(SealedBox.open(flipped, secret: sk) == nil)
    }
}

@Suite struct CryptoTamperTests {
    let archiveID = Sodium.randomBytes(16)

    /// Format 2 (docs/FORMAT.md §9): computed with Python's hashlib (keyed BLAKE2b-256 is libsodium's generichash).
    @Test func formatTwoIntegrityVectors() {
        let mk = key(0..<32)
        let ik = IntegrityKey(masterKey: mk)
        #expect(ik.key.withUnsafeBytes { hex(Array($0)) } == "c0cc11bf315dd7725104ae41c92e5dcb13afc8a0b3a39d74287dc3fa030af104")
        let tag = Array(UInt8(0x80)..<0xa0)
        #expect(hex(ik.tombstoneMAC(tag: tag, bucket: 19844, shreddedAt: 1764547200, rule: "public-2y"))
                == "15b145a34845524d229efb1cf4524c1650251e701a2884c568c4cd9fde41c742")
        #expect(hex(ik.pendingPurgeMAC(cno: 1, bucket: 19844)) == "4e52d78f579f3d6ad3a43aead73c8421acc423d46325e3288e30caa85a595abe")
        let ad = Envelope.channelKeyAD(archiveID: Array(0x60..<0x70), cno: 1, tag: tag, formatVersion: 2)
        #expect(hex(ad) == "6c657468653103606162636465666768696a6b6c6d6e6f0000000000000001808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
        #expect(Envelope.channelKeyAD(archiveID: Array(0x60..<0x70), cno: 1, tag: tag, formatVersion: 1).count == 31, "format 1: no tag")
    }

    @Test func manifestRoundTripsAndRejectsMalformed() throws {
        var d = RowSetDigest()
        d.add([UInt8](repeating: 7, count: 32))
        let m = Manifest(formatVersion: 2, scheme: .week, createdAt: 1_700_000_000, nextChannelNumber: 12, tombstones: d,
                         pendingPurges: RowSetDigest(), auditSeq: 3, auditHead: [UInt8](repeating: 9, count: 32))
        #expect(try Manifest.decode(m.encoded()) == m)
        var bad = m.encoded()
        bad.removeLast()
        #expect(throws: (any Error).self) { try Manifest.decode(bad) }
        var twice = d
        twice.remove([UInt8](repeating: 7, count: 32))
        #expect(twice == RowSetDigest(), "adding then removing a row's MAC leaves the empty digest")
    }

    @Test func everyFlippedBitIsRejected() {
        let k = SecretKey.random()
        let ad = Envelope.associatedData(.segment, archiveID: archiveID, 3, 100, 2)
        let sealed = AEAD.seal(Array("two messages".utf8), header: 2, ad: ad, key: k)
        #expect(AEAD.open(sealed, ad: ad, key: k)?.plaintext == Array("two messages".utf8))
        for i in 0..<sealed.count {
            for bit in 0..<8 {
                var t = sealed
                t[i] ^= UInt8(1 << bit)
                #expect(AEAD.open(t, ad: ad, key: k) == nil, "flip at byte \(i) bit \(bit) must not authenticate")
            }
        }
        #expect(AEAD.open(Array(sealed.dropLast()), ad: ad, key: k) == nil, "truncated")
        #expect(AEAD.open(Array(sealed.prefix(10)), ad: ad, key: k) == nil, "shorter than the overhead")
    }

    @Test func movedOrWrongKeyIsRejected() {
        let k = SecretKey.random()
        let ad = Envelope.associatedData(.segment, archiveID: archiveID, 3, 100, 2)
        let sealed = AEAD.seal(Array("x".utf8), header: 2, ad: ad, key: k)
        #expect(AEAD.open(sealed, ad: Envelope.associatedData(.segment, archiveID: archiveID, 3, 101, 2), key: k) == nil, "other bucket")
        #expect(AEAD.open(sealed, ad: Envelope.associatedData(.segment, archiveID: archiveID, 4, 100, 2), key: k) == nil, "other channel")
        #expect(AEAD.open(sealed, ad: Envelope.associatedData(.segment, archiveID: archiveID, 3, 100, 3), key: k) == nil, "other count")
        #expect(AEAD.open(sealed, ad: Envelope.associatedData(.segment, archiveID: Sodium.randomBytes(16), 3, 100, 2), key: k) == nil, "other archive")
        #expect(AEAD.open(sealed, ad: ad, key: SecretKey.random()) == nil, "other key")
        let wrapped = AEAD.wrap(k, under: k, ad: ad)
        #expect(AEAD.unwrap(wrapped, under: SecretKey.random(), ad: ad) == nil)
    }

    @Test func keyFilesRoundTripAndRejectGarbage() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-kf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("k")
        let made = try KeyFile.create(at: url)
        let loaded = try KeyFile.load(url)
        #expect(made.withUnsafeBytes { Array($0) } == loaded.withUnsafeBytes { Array($0) })
        let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        #expect(throws: LetheError.self) { try KeyFile.create(at: url) }
        let bad = dir.appendingPathComponent("bad")
        try Data("lethe-keyfile-v1:tooshort\n".utf8).write(to: bad)
        #expect(throws: LetheError.self) { try KeyFile.load(bad) }
    }
}

@Suite struct FormatTests {
    @Test func segmentRoundTripsAndRejectsMalformed() throws {
        let seg = Segment(messages: [
            .init(ts: SlackTimestamp("1712173142.143619")!, fileDay: 19_816, editedTS: "1712173200.000000", json: Array(#"{"ts":"1712173142.143619","text":"hé"}"#.utf8)),
            .init(ts: SlackTimestamp("1712173143.000001")!, fileDay: -5, editedTS: nil, json: []),
        ])
        let bytes = seg.encoded()
        #expect(try Segment.decode(bytes) == seg)
        for cut in [0, 3, 5, bytes.count - 1] {
            #expect(throws: (any Error).self) { try Segment.decode(Array(bytes.prefix(cut))) }
        }
        #expect(throws: (any Error).self) { try Segment.decode(bytes + [0]) }
    }

    @Test(arguments: BucketScheme.allCases)
    func bucketsTileTheTimeline(scheme: BucketScheme) {
        var previousEnd: Int64?
        let first = scheme.bucket(containing: -40 * 86400)
        for b in first..<(first + 800) {
            let (start, end) = scheme.range(of: b)
            #expect(start < end)
            if let previousEnd { #expect(previousEnd == start) }
            #expect(scheme.bucket(containing: start) == b)
            #expect(scheme.bucket(containing: end - 1) == b)
            previousEnd = end
        }
    }

    @Test func bucketLabels() {
        let t: Int64 = 1_712_173_142  // 2024-04-03T19:39:02Z, a Wednesday
        #expect(BucketScheme.day.label(of: BucketScheme.day.bucket(containing: t)) == "2024-04-03")
        #expect(BucketScheme.week.label(of: BucketScheme.week.bucket(containing: t)) == "2024-04-01/w")
        #expect(BucketScheme.month.label(of: BucketScheme.month.bucket(containing: t)) == "2024-04")
    }
}
