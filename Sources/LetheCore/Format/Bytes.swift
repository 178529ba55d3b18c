extension Array where Element == UInt8 {
    /// Lowercase hex, two digits a byte (ids, digests and hashes as lethe prints and stores them).
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}

/// Little-endian, length-prefixed byte encoding used inside sealed payloads.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func u32(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 24))
    }

    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }

    mutating func i64(_ v: Int64) {
        let u = UInt64(bitPattern: v)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: u >> UInt64(shift))) }
    }

    /// u32 length, then the bytes.
    mutating func data(_ d: [UInt8]) {
        u32(UInt32(d.count))
        bytes.append(contentsOf: d)
    }

    /// u8 length, then the bytes (short ASCII fields such as ts). Longer input is a bug.
    mutating func short(_ d: [UInt8]) {
        precondition(d.count < 256)
        u8(UInt8(d.count))
        bytes.append(contentsOf: d)
    }

    mutating func string(_ s: String) { data(Array(s.utf8)) }

    /// LEB128: 7 bits a byte, low bits first, the high bit set on every byte but the last.
    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A signed integer as a zigzag LEB128 varint (small magnitudes, either sign, in few bytes).
    mutating func zigzag(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    /// u8 presence flag, then a string.
    mutating func optionalString(_ s: String?) {
        if let s {
            u8(1)
            string(s)
        } else {
            u8(0)
        }
    }
}

/// Reads what `ByteWriter` wrote; every read is bounds-checked and throws on malformation.
struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    struct Malformed: Error {}

    var atEnd: Bool { offset == bytes.count }

    mutating func u8() throws -> UInt8 {
        guard offset < bytes.count else { throw Malformed() }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u32() throws -> UInt32 {
        guard bytes.count - offset >= 4 else { throw Malformed() }
        defer { offset += 4 }
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    mutating func i32() throws -> Int32 { Int32(bitPattern: try u32()) }

    mutating func i64() throws -> Int64 {
        let b = try take(8)
        var u: UInt64 = 0
        for (i, byte) in b.enumerated() { u |= UInt64(byte) << UInt64(8 * i) }
        return Int64(bitPattern: u)
    }

    mutating func take(_ n: Int) throws -> [UInt8] {
        guard n >= 0, bytes.count - offset >= n else { throw Malformed() }
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    mutating func data() throws -> [UInt8] { try take(Int(try u32())) }

    /// At most 10 bytes; a tenth byte above 1, or an over-long encoding's overflow, is malformed.
    mutating func varint() throws -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<10 {
            let b = try u8()
            if i == 9 && b > 1 { throw Malformed() }
            v |= UInt64(b & 0x7f) << UInt64(7 * i)
            if b & 0x80 == 0 { return v }
        }
        throw Malformed()
    }

    mutating func zigzag() throws -> Int64 {
        let u = try varint()
        return Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1)
    }

    /// A count that cannot exceed the bytes left (each element takes at least `minBytes`).
    mutating func count(minBytes: Int = 1) throws -> Int {
        let n = try varint()
        guard n <= UInt64(bytes.count - offset) / UInt64(max(minBytes, 1)) else { throw Malformed() }
        return Int(n)
    }
    mutating func short() throws -> [UInt8] { try take(Int(try u8())) }

    mutating func string() throws -> String {
        let d = try data()
        guard let s = String(validating: d, as: UTF8.self) else { throw Malformed() }
        return s
    }

    mutating func optionalString() throws -> String? {
        switch try u8() {
        case 0: return nil
        case 1: return try string()
        default: throw Malformed()
        }
    }
}
