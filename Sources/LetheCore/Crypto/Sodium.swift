import CSodium

/// libsodium, initialised once. Every entry point into Crypto calls `Sodium.ready()`.
enum Sodium {
    private static let status: Int32 = sodium_init()

    static func ready() {
        precondition(status >= 0, "libsodium failed to initialise")
    }

    /// Fills `count` bytes from the OS CSPRNG.
    static func randomBytes(_ count: Int) -> [UInt8] {
        ready()
        var out = [UInt8](repeating: 0, count: count)
        if count > 0 { out.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) } }
        return out
    }

    /// Constant-time comparison.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in sodium_memcmp(pa.baseAddress!, pb.baseAddress!, a.count) == 0 } }
    }

    /// Overwrites a buffer with zeros in a way the compiler cannot elide.
    static func wipe(_ bytes: inout [UInt8]) {
        let n = bytes.count
        if n > 0 { bytes.withUnsafeMutableBytes { sodium_memzero($0.baseAddress!, n) } }
    }
}
