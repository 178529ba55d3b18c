@_spi(Fuzzing) import LetheCore

/// The record decoder, with fixed test keys (random bytes never pass an AEAD tag,
/// so the layers behind it are fed directly too). The first byte picks what the rest is:
/// - 0: an envelope, opened as a segment, a metadata record and a wrapped key;
/// - 1: `header` `count` `zstd frame`: sealed under the test key, then opened as a
///   segment of `count` messages, the way the archive opens one;
/// - 2: a zstd frame, decompressed within the segment limit and decoded, without and
///   with the built-in dictionary;
/// - 3: a segment payload (decompressed);
/// - 4: a channel record; 5: a user record; 6: a search filter (all decompressed).
/// What decodes must encode back to the same value.
enum FuzzRecordDecoder {
    static let key = FuzzingCodecs.fixedKey(0x42)
    static let kek = FuzzingCodecs.fixedKey(0x24)

    static func run(_ input: [UInt8]) {
        guard let mode = input.first else { return }
        let rest = Array(input.dropFirst())
        switch mode % 7 {
        case 0:
            _ = try? FuzzingCodecs.openSegment(rest, ad: FuzzingCodecs.segmentAD(messages: 1), key: key, messages: 1)
            _ = try? FuzzingCodecs.openRecord(rest, ad: FuzzingCodecs.userRecordAD, key: key)
            _ = FuzzingCodecs.unwrap(rest, under: kek, ad: FuzzingCodecs.bucketKeyAD)
        case 1:
            guard rest.count >= 2 else { return }
            let count = Int64(rest[1])
            let ad = FuzzingCodecs.segmentAD(messages: count)
            let body = FuzzingCodecs.seal(Array(rest[2...]), header: rest[0], ad: ad, key: key)
            if let segment = try? FuzzingCodecs.openSegment(body, ad: ad, key: key, messages: count) {
                require(segment.messages.count == count, "a segment opened with the wrong message count")
                checkSegment(segment)
            }
            _ = try? FuzzingCodecs.openRecord(body, ad: ad, key: key)
        case 2:
            for dictionary in [false, true] {
                if let segment = try? FuzzingCodecs.decodeSegment(compressed: rest, messages: Int64(rest.first ?? 0), dictionary: dictionary) {
                    checkSegment(segment)
                }
            }
        case 3:
            if let segment = try? FuzzingCodecs.decodeSegmentPayload(rest) {
                require(FuzzingCodecs.encodeSegmentPayload(segment) == rest, "a segment does not encode back to its bytes")
            }
        case 4:
            if let c = try? FuzzingCodecs.decodeChannelRecord(rest) {
                require((try? FuzzingCodecs.decodeChannelRecord(FuzzingCodecs.encodeChannelRecord(c))) == c,
                        "a channel record does not round-trip")
            }
        case 5:
            if let u = try? FuzzingCodecs.decodeUserRecord(rest) {
                require((try? FuzzingCodecs.decodeUserRecord(FuzzingCodecs.encodeUserRecord(u))) == u,
                        "a user record does not round-trip")
            }
        default:
            if let again = try? FuzzingCodecs.reencodeIndexFilter(rest) {
                require((try? FuzzingCodecs.reencodeIndexFilter(again)) == again, "a search filter does not round-trip")
            }
        }
    }

    /// A decoded segment encodes, compresses, seals and opens back to itself.
    static func checkSegment(_ segment: Segment) {
        let count = Int64(segment.messages.count)
        let ad = FuzzingCodecs.segmentAD(messages: count)
        let plain = FuzzingCodecs.encodeSegmentPayload(segment)
        let body = FuzzingCodecs.seal(FuzzingCodecs.compress(plain), header: 0x02, ad: ad, key: key)
        require((try? FuzzingCodecs.openSegment(body, ad: ad, key: key, messages: count)) == segment,
                "a segment does not survive sealing and opening")
        let withDictionary = FuzzingCodecs.seal(FuzzingCodecs.compressWithDictionary(plain), header: 0x07, ad: ad, key: key)
        require((try? FuzzingCodecs.openSegment(withDictionary, ad: ad, key: key, messages: count)) == segment,
                "a segment compressed with the dictionary does not survive sealing and opening")
    }
}
