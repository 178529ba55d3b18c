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

    /// Decompresses one frame whose declared size is at most `maxSize`; nil on any malformation.
    func decompress(_ input: [UInt8], maxSize: Int) -> [UInt8]? {
        input.withUnsafeBytes { src -> [UInt8]? in
            guard let base = src.baseAddress else { return nil }
            let declared = ZSTD_getFrameContentSize(base, src.count)
            guard declared != ZSTD_CONTENTSIZE_UNKNOWN, declared != ZSTD_CONTENTSIZE_ERROR, declared <= UInt64(maxSize) else { return nil }
            let size = Int(declared)
            var out = [UInt8](repeating: 0, count: size)
            let n = out.withUnsafeMutableBytes { o in
                ZSTD_decompressDCtx(dctx, o.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 1)!, size, base, src.count)
            }
            guard ZSTD_isError(n) == 0, n == size else { return nil }
            return out
        }
    }

}
