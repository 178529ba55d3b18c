import CSodium
import Foundation

/// A user secret (passphrase or key-file contents) in guarded memory.
///
/// Secrets are read straight into `sodium_malloc` memory and wiped on release.
/// They come from `LETHE_PASSPHRASE`, `--passphrase-file`, `--key-file` or a
/// no-echo prompt, never from a command-line argument.
public final class Secret: @unchecked Sendable {
    private let pointer: UnsafeMutableRawPointer
    public let count: Int

    init(capacity: Int, fill: (UnsafeMutableRawPointer) -> Int) {
        Sodium.ready()
        let cap = max(capacity, 1)
        guard let p = sodium_malloc(cap) else { fatalError("sodium_malloc failed") }
        pointer = p
        count = fill(p)
    }

    deinit {
        sodium_memzero(pointer, max(count, 1))
        sodium_free(pointer)
    }

    /// Copies bytes and wipes the source buffer.
    public convenience init(wiping bytes: inout [UInt8]) {
        let n = bytes.count
        self.init(capacity: n) { p in
            bytes.withUnsafeBytes { if n > 0 { memcpy(p, $0.baseAddress!, n) } }
            return n
        }
        Sodium.wipe(&bytes)
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
