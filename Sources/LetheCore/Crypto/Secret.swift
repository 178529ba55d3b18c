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

    /// The secret with leading and trailing ASCII whitespace (a trailing newline in a file) removed.
    func trimmed() -> Secret {
        withUnsafeBytes { b -> Secret in
            var lo = 0
            var hi = b.count
            func ws(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
            while lo < hi, ws(b[lo]) { lo += 1 }
            while hi > lo, ws(b[hi - 1]) { hi -= 1 }
            return Secret(capacity: hi - lo) { p in
                if hi > lo { memcpy(p, b.baseAddress! + lo, hi - lo) }
                return hi - lo
            }
        }
    }
}
