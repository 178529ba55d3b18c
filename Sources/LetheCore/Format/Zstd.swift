import CZstd

/// zstd compression with reusable contexts. Not thread-safe: one per thread.
final class Zstd {
    static let level: Int32 = 3
    private let cctx: OpaquePointer
    private let dctx: OpaquePointer

    init() {
        guard let c = ZSTD_createCCtx(), let d = ZSTD_createDCtx() else { fatalError("zstd: out of memory") }
        cctx = c
        dctx = d
    }

    deinit {
        ZSTD_freeCCtx(cctx)
        ZSTD_freeDCtx(dctx)
    }

    func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { o in
            ZSTD_compressCCtx(cctx, o.baseAddress!, bound, input.baseAddress, input.count, Zstd.level)
        }
        precondition(ZSTD_isError(n) == 0, "zstd compress failed")
        out.removeLast(bound - n)
        return out
    }

    func compress(_ input: [UInt8]) -> [UInt8] { input.withUnsafeBytes { compress($0) } }

    /// Compresses with a built-in dictionary (level 3, digested once); the frame header
    /// names the dictionary by its id.
    func compress(_ input: [UInt8], dictionary: ZstdDictionary) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { o in
            input.withUnsafeBytes { i in
                ZSTD_compress_usingCDict(cctx, o.baseAddress!, bound, i.baseAddress, i.count, dictionary.compression)
            }
        }
        precondition(ZSTD_isError(n) == 0, "zstd compress failed")
        out.removeLast(bound - n)
        return out
    }

    /// The most output one input byte can give: a block yields at most 128 KiB and takes at
    /// least 4 bytes (an RLE block: 3-byte header, 1 byte), whatever the frame header says.
    static let maxExpansion: UInt64 = 32_768

    /// The content size a frame declares, when it declares one that is at most `maxSize` and
    /// that its bytes can hold: the output buffer is allocated at this size, and the header is
    /// only a claim, so a claim over `maxExpansion` times the input's size is refused before
    /// allocating (a few bytes cannot make lethe allocate `maxSize`).
    static func plausibleSize(of frame: UnsafeRawBufferPointer, maxSize: Int) -> Int? {
        guard let base = frame.baseAddress else { return nil }
        let declared = ZSTD_getFrameContentSize(base, frame.count)
        guard declared != ZSTD_CONTENTSIZE_UNKNOWN, declared != ZSTD_CONTENTSIZE_ERROR, declared <= UInt64(maxSize),
              declared <= UInt64(frame.count) * maxExpansion
        else { return nil }
        return Int(declared)
    }

    /// Decompresses one frame whose declared size is plausible (`plausibleSize`); nil on any
    /// malformation. With `dictionaries`, a frame must name one of lethe's built-in
    /// dictionaries by id (an unknown id is a malformation); without, it must name none.
    func decompress(_ input: [UInt8], maxSize: Int, dictionaries: Bool = false) -> [UInt8]? {
        input.withUnsafeBytes { src -> [UInt8]? in
            guard let base = src.baseAddress, let size = Zstd.plausibleSize(of: src, maxSize: maxSize) else { return nil }
            let id = ZSTD_getDictID_fromFrame(base, src.count)
            let dictionary: ZstdDictionary?
            if dictionaries {
                guard let known = ZstdDictionary.named(id: id) else { return nil }
                dictionary = known
            } else {
                guard id == 0 else { return nil }
                dictionary = nil
            }
            var out = [UInt8](repeating: 0, count: size)
            let n = out.withUnsafeMutableBytes { o in
                let dst = o.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 1)!
                if let dictionary {
                    return ZSTD_decompress_usingDDict(dctx, dst, size, base, src.count, dictionary.decompression)
                }
                return ZSTD_decompressDCtx(dctx, dst, size, base, src.count)
            }
            guard ZSTD_isError(n) == 0, n == size else { return nil }
            return out
        }
    }

}
