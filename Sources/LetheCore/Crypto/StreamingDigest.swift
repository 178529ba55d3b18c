import CSodium

/// Unkeyed BLAKE2b-256 over bytes that arrive in pieces (an attachment's chunks): the same
/// digest as `KDF.digest` of their concatenation, without holding them together.
/// (libsodium's state is 64-byte aligned and opaque to Swift: it lives in its own allocation.)
final class StreamingDigest {
    private let state: UnsafeMutableRawPointer

    init() {
        Sodium.ready()
        state = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
        _ = crypto_generichash_init(OpaquePointer(state), nil, 0, 32)
    }

    deinit {
        sodium_memzero(state, crypto_generichash_statebytes())
        state.deallocate()
    }

    func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { b in
            _ = crypto_generichash_update(OpaquePointer(state), b.baseAddress, UInt64(b.count))
        }
    }

    func finish() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = out.withUnsafeMutableBufferPointer { crypto_generichash_final(OpaquePointer(state), $0.baseAddress!, 32) }
        return out
    }
}
