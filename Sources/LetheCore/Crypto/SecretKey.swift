import CSodium
import Foundation

/// A 32-byte key held in libsodium guarded memory.
///
/// Keys live in slabs allocated with `sodium_malloc` (guard pages, `mlock`, canary),
/// so a key never sits in the Swift heap. A slot is wiped with `sodium_memzero`
/// when its `SecretKey` is released. Key bytes leave guarded memory only inside
/// `withUnsafeBytes` and only to libsodium calls.
public final class SecretKey: @unchecked Sendable {
    public static let byteCount = 32
    private let slot: KeySlab.Slot

    private init(slot: KeySlab.Slot) { self.slot = slot }

    deinit { KeySlab.shared.release(slot) }

    /// A fresh random key.
    public static func random() -> SecretKey {
        Sodium.ready()
        let slot = KeySlab.shared.allocate()
        randombytes_buf(slot.pointer, byteCount)
        return SecretKey(slot: slot)
    }

    /// A key filled by `body`, which must write exactly 32 bytes.
    static func filled(_ body: (UnsafeMutableRawPointer) throws -> Void) rethrows -> SecretKey {
        Sodium.ready()
        let slot = KeySlab.shared.allocate()
        let key = SecretKey(slot: slot)  // wipes on throw too
        try body(slot.pointer)
        return key
    }

    /// Copies key bytes from a buffer (which the caller then wipes).
    static func copying(_ bytes: UnsafeRawBufferPointer) -> SecretKey {
        precondition(bytes.count == byteCount)
        return filled { memcpy($0, bytes.baseAddress!, byteCount) }
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: slot.pointer, count: SecretKey.byteCount))
    }

    var pointer: UnsafePointer<UInt8> { UnsafePointer(slot.pointer.assumingMemoryBound(to: UInt8.self)) }
}

/// Slabs of guarded memory cut into 32-byte key slots.
///
/// One `sodium_malloc` per key would cost four pages and an `mlock` each; an
/// archive unwraps thousands of bucket keys, so keys share 64 KiB slabs instead.
final class KeySlab: @unchecked Sendable {
    static let shared = KeySlab()

    struct Slot {
        let pointer: UnsafeMutableRawPointer
    }

    private let slabBytes = 64 * 1024
    private var free: [UnsafeMutableRawPointer] = []
    private let lock = NSLock()

    func allocate() -> Slot {
        lock.lock()
        defer { lock.unlock() }
        if free.isEmpty {
            Sodium.ready()
            guard let base = sodium_malloc(slabBytes) else { fatalError("sodium_malloc failed: out of locked memory") }
            sodium_memzero(base, slabBytes)
            let n = slabBytes / SecretKey.byteCount
            for i in stride(from: n - 1, through: 0, by: -1) { free.append(base + i * SecretKey.byteCount) }
        }
        return Slot(pointer: free.removeLast())
    }

    func release(_ slot: Slot) {
        sodium_memzero(slot.pointer, SecretKey.byteCount)
        lock.lock()
        free.append(slot.pointer)
        lock.unlock()
    }
}
