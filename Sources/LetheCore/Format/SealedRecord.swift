/// Opening a sealed record, pure bytes: authenticate the envelope, check its
/// encoding byte, decompress within a bound, decode. `Archive` names the record
/// in the errors it throws; the fuzz targets call these directly.
enum SealedRecord {
    /// Why a record did not open, in the order the checks run.
    enum Failure: Error, Equatable {
        /// The envelope does not authenticate: wrong key, moved, truncated or tampered.
        case notAuthentic
        /// Authentic, but its encoding byte is not the one expected or its zstd frame is bad.
        case badEncoding
        /// Authentic and decompressed, but the payload does not decode.
        case malformed
    }

    /// Largest decompressed metadata record (channel or user).
    static let maxRecordBytes = 64 << 20

    /// A bucket's segment, which must hold exactly `messages` messages (bound into `ad`).
    static func openSegment(_ body: [UInt8], ad: [UInt8], key: SecretKey, messages: Int64, zstd: Zstd) throws(Failure) -> Segment {
        guard let (header, compressed) = AEAD.open(body, ad: ad, key: key) else { throw .notAuthentic }
        switch header {
        case Envelope.Encoding.zstdSegment.rawValue:
            return try decodeSegment(compressed: compressed, messages: messages, zstd: zstd)
        case Envelope.Encoding.zstdDictionarySegment.rawValue:
            return try decodeSegment(compressed: compressed, messages: messages, zstd: zstd, dictionary: true)
        default:
            throw .badEncoding
        }
    }

    /// The zstd frame inside a segment envelope, decompressed and decoded. With `dictionary`,
    /// the frame must name one of the built-in dictionaries; without, none.
    static func decodeSegment(compressed: [UInt8], messages: Int64, zstd: Zstd, dictionary: Bool = false) throws(Failure) -> Segment {
        guard var plain = zstd.decompress(compressed, maxSize: Segment.maxBytes, dictionaries: dictionary) else { throw .badEncoding }
        defer { Sodium.wipe(&plain) }
        guard let segment = try? Segment.decode(plain), segment.messages.count == messages else { throw .malformed }
        return segment
    }

    /// The decompressed plaintext of a metadata record (`zstdJSON` encoding).
    static func openRecord(_ body: [UInt8], ad: [UInt8], key: SecretKey, zstd: Zstd) throws(Failure) -> [UInt8] {
        guard let (header, compressed) = AEAD.open(body, ad: ad, key: key) else { throw .notAuthentic }
        guard header == Envelope.Encoding.zstdJSON.rawValue,
              let plain = zstd.decompress(compressed, maxSize: maxRecordBytes)
        else { throw .badEncoding }
        return plain
    }
}
