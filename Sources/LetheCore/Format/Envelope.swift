/// Byte-level conventions shared by every sealed value in an archive.
///
/// Every ciphertext is an envelope `header(1) || nonce(24) || ciphertext || tag(16)`
/// sealed with XChaCha20-Poly1305. Its associated data is
/// `"lethe1" || purpose(1) || archive_id(16) || field(8, big-endian)* || header(1)`:
/// the purpose and the fields bind the envelope to exactly one place
/// (which channel, which bucket, which slot), so it cannot be moved.
/// docs/FORMAT.md has the tables and test vectors.
public enum Envelope {
    /// How the plaintext inside an envelope is encoded (the header byte).
    public enum Encoding: UInt8, Sendable {
        /// A 32-byte key, wrapped.
        case rawKey = 0x01
        /// A zstd frame holding a bucket segment (see `Segment`).
        case zstdSegment = 0x02
        /// A zstd frame holding one metadata record (channel or user).
        case zstdJSON = 0x03
        /// A search filter (`IndexFilter`), not compressed: its bits are random-looking.
        case filter = 0x04
        /// A role key's material: `u8 1 || u8 role || u8 n || n × 32-byte keys` (format 4).
        case roleMaterial = 0x05
        /// Not an AEAD envelope: `0x06 || crypto_box_seal(PK_import, BLAKE2b(AD) || payload)` (format 4, `SealedKey`).
        case sealedToArchive = 0x06
        /// A zstd frame holding a bucket segment, compressed with one of lethe's built-in
        /// dictionaries, which the frame's header names by id (format 5; `ZstdDictionary`).
        case zstdDictionarySegment = 0x07
        /// A zstd frame holding a bucket's `AttachmentIndex` (format 7).
        case attachmentIndex = 0x08
        /// One chunk of an attached file, as it is (format 7; already-compressed files).
        case rawChunk = 0x09
        /// One chunk of an attached file, a zstd frame (format 7).
        case zstdChunk = 0x0A
    }

    /// What an envelope is for; part of its associated data.
    public enum Purpose: UInt8, Sendable {
        case slot = 1         // master key wrapped by a slot KEK; field: slot id
        case directoryKey = 2 // directory key wrapped by the master key
        case channelKey = 3   // channel key wrapped by the master key; field: channel number
        case bucketKey = 4    // bucket key wrapped by its channel key; fields: channel number, bucket
        case segment = 5      // a bucket's messages under its bucket key; fields: channel, bucket, message count
        case channelMeta = 6  // channel metadata under its channel key; field: channel number
        case user = 7         // a user record under the directory key; field: user number
        case filter = 8       // a search filter under its channel key; fields: channel number, epoch
        case auditDetail = 9  // the sealed detail of an audit entry under the audit detail key; field: entry number
        case roleKey = 10     // a role key's material under that role key's KEK; fields: role key id, role code (format 4)
        case roleSecret = 11  // a role keypair's X25519 secret half under the master key; field: role code (format 4)
        case deltaKey = 12    // a delta segment's key, sealed to PK_import; fields: channel number, bucket, delta seq (format 4)
        case recordDelta = 13 // a record a role-key import wrote, sealed to PK_import; fields: kind (1 channel, 2 user), channel number, seq
        case deltaSegment = 14 // a role-key import's messages of one bucket under its delta key; fields: channel, bucket, seq, message count
        case retentionView = 15 // a conversation's retention view, sealed to PK_retention; fields: channel number, view seq (format 6)
        case attachmentIndex = 16 // a bucket's attachment index under its bucket key; fields: channel number, bucket, blob count (format 7)
        case attachmentChunk = 17 // chunk n of a bucket's blob under the blob's key; fields: channel number, bucket, blob, n, 1 if last else 0 (format 7)
    }

    static let magic: [UInt8] = Array("lethe1".utf8)


    /// The associated data of a wrapped channel key. Format 2 binds the channel's keyed tag
    /// too, so swapping the tags of two keystore rows (which needs no secret) makes both
    /// fail to unwrap instead of relabelling one conversation as another.
    static func channelKeyAD(archiveID: [UInt8], cno: Int64, tag: [UInt8], formatVersion: Int64) -> [UInt8] {
        let ad = associatedData(.channelKey, archiveID: archiveID, cno)
        return formatVersion >= 2 ? ad + tag : ad
    }

    /// The associated data for an envelope of `purpose` at the place named by `fields`.
    static func associatedData(_ purpose: Purpose, archiveID: [UInt8], _ fields: Int64...) -> [UInt8] {
        var ad = magic
        ad.reserveCapacity(magic.count + 1 + archiveID.count + 8 * fields.count)
        ad.append(purpose.rawValue)
        ad.append(contentsOf: archiveID)
        for f in fields {
            let v = UInt64(bitPattern: f)
            for shift in stride(from: 56, through: 0, by: -8) { ad.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
        }
        return ad
    }
}
