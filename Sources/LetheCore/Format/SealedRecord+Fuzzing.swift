import Foundation

/// The record codecs, opened to the fuzz targets (`@_spi(Fuzzing) import LetheCore`).
///
/// Every member calls the code the archive itself runs (`SealedRecord`, `Segment`,
/// the metadata records, `IndexFilter`, `AEAD`); lethe never calls these. Keys are
/// fixed test keys and envelopes are placed in an archive whose id is all zeros.
@_spi(Fuzzing) public enum FuzzingCodecs {
    static let archiveID = [UInt8](repeating: 0, count: 16)

    /// A key whose 32 bytes are all `byte` (a test key, never a real archive's).
    public static func fixedKey(_ byte: UInt8) -> SecretKey {
        SecretKey.filled { memset($0, Int32(byte), SecretKey.byteCount) }
    }

    /// The associated data of the segment envelope of channel 1, bucket 1, holding `messages` messages.
    public static func segmentAD(messages: Int64) -> [UInt8] {
        Envelope.associatedData(.segment, archiveID: archiveID, 1, 1, messages)
    }

    /// The associated data of user record 1.
    public static let userRecordAD = Envelope.associatedData(.user, archiveID: archiveID, 1)

    /// The associated data of the wrapped key of channel 1, bucket 1.
    public static let bucketKeyAD = Envelope.associatedData(.bucketKey, archiveID: archiveID, 1, 1)

    /// Seals `plaintext` under `key` with a fixed nonce (deterministic seeds).
    public static func seal(_ plaintext: [UInt8], header: UInt8, ad: [UInt8], key: SecretKey) -> [UInt8] {
        AEAD.seal(plaintext, header: header, ad: ad, key: key, nonce: [UInt8](repeating: 7, count: AEAD.nonceBytes))
    }

    /// Wraps a key under another one, as the keystore does.
    public static func wrap(_ key: SecretKey, under kek: SecretKey, ad: [UInt8]) -> [UInt8] {
        AEAD.wrap(key, under: kek, ad: ad, nonce: [UInt8](repeating: 7, count: AEAD.nonceBytes))
    }

    /// Unwraps a key; nil when it does not authenticate.
    public static func unwrap(_ wrapped: [UInt8], under kek: SecretKey, ad: [UInt8]) -> SecretKey? {
        AEAD.unwrap(wrapped, under: kek, ad: ad)
    }

    /// `Archive.openSegment` without the archive: authenticate, decompress, decode.
    public static func openSegment(_ body: [UInt8], ad: [UInt8], key: SecretKey, messages: Int64) throws -> Segment {
        try SealedRecord.openSegment(body, ad: ad, key: key, messages: messages, zstd: Zstd())
    }

    /// The zstd frame of a segment, decompressed within the segment limit and decoded.
    public static func decodeSegment(compressed: [UInt8], messages: Int64, dictionary: Bool = false) throws -> Segment {
        try SealedRecord.decodeSegment(compressed: compressed, messages: messages, zstd: Zstd(), dictionary: dictionary)
    }

    /// `Archive.openRecord` without the archive: the plaintext of a metadata record.
    public static func openRecord(_ body: [UInt8], ad: [UInt8], key: SecretKey) throws -> [UInt8] {
        try SealedRecord.openRecord(body, ad: ad, key: key, zstd: Zstd())
    }

    /// One zstd frame at lethe's level.
    public static func compress(_ bytes: [UInt8]) -> [UInt8] { Zstd().compress(bytes) }

    /// One zstd frame with the built-in dictionary (a format-4 segment's, header 0x05).
    public static func compressWithDictionary(_ bytes: [UInt8]) -> [UInt8] { Zstd().compress(bytes, dictionary: .current) }

    public static func decodeSegmentPayload(_ bytes: [UInt8]) throws -> Segment { try Segment.decode(bytes) }
    public static func encodeSegmentPayload(_ segment: Segment) -> [UInt8] { segment.encoded() }

    public static func decodeChannelRecord(_ bytes: [UInt8]) throws -> Conversation { try ChannelRecord.decode(bytes) }
    public static func encodeChannelRecord(_ c: Conversation) -> [UInt8] { ChannelRecord.encode(c) }

    public static func decodeUserRecord(_ bytes: [UInt8]) throws -> User { try UserRecord.decode(bytes) }
    public static func encodeUserRecord(_ u: User) -> [UInt8] { UserRecord.encode(u) }

    /// A search filter decoded and encoded again.
    public static func reencodeIndexFilter(_ bytes: [UInt8]) throws -> [UInt8] { try IndexFilter.decode(bytes).encoded() }
    /// An empty search filter for `capacity` terms, encoded.
    public static func emptyIndexFilter(capacity: Int) -> [UInt8] { IndexFilter(capacity: capacity).encoded() }
}
