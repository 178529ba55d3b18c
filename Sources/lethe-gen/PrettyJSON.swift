/// A streaming writer that reproduces Slack's export style byte for byte: Python-like
/// pretty printing with a 4-space indent, `/` escaped as `\/`, and either raw UTF-8
/// or (older exports) every non-ASCII scalar as `\uXXXX`, astral ones as surrogate pairs.
struct PrettyJSON {
    var buf: [UInt8] = []
    var asciiOnly = false
    /// Slack writes `/` as `\/`; the truth file does not.
    var escapeSlash = true
    private(set) var depth = 0
    private var first = true

    init(capacity: Int = 1 << 16, depth: Int = 0) {
        buf.reserveCapacity(capacity)
        self.depth = depth
    }

    mutating func reset() {
        buf.removeAll(keepingCapacity: true)
        depth = 0
        first = true
    }

    /// Drops the written bytes but keeps the nesting state (for flushing to a file).
    mutating func drain() -> [UInt8] {
        let out = buf
        buf.removeAll(keepingCapacity: true)
        return out
    }

    @inline(__always)
    private mutating func newline() {
        buf.append(0x0A)
        for _ in 0..<(depth * 4) { buf.append(0x20) }
    }

    /// Separator before an element of the current container.
    @inline(__always)
    mutating func item() {
        if !first { buf.append(UInt8(ascii: ",")) }
        newline()
        first = false
    }

    mutating func openObject() { buf.append(UInt8(ascii: "{")); depth += 1; first = true }
    mutating func openArray() { buf.append(UInt8(ascii: "[")); depth += 1; first = true }

    mutating func closeObject() { close(UInt8(ascii: "}")) }
    mutating func closeArray() { close(UInt8(ascii: "]")) }

    private mutating func close(_ c: UInt8) {
        depth -= 1
        if !first { newline() }
        buf.append(c)
        first = false
    }

    /// `"name": ` after the separator.
    @inline(__always)
    mutating func key(_ name: StaticString) {
        item()
        buf.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { buf.append(contentsOf: $0) }
        buf.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":"), 0x20])
    }

    /// A key that is not known at compile time.
    mutating func key(_ name: String) {
        item()
        string(name)
        raw(": ")
    }

    // MARK: values (written right after key(), or after item() inside an array)

    mutating func raw(_ bytes: [UInt8]) { buf.append(contentsOf: bytes) }
    mutating func raw(_ s: StaticString) { s.withUTF8Buffer { buf.append(contentsOf: $0) } }

    mutating func bool(_ v: Bool) { raw(v ? "true" : "false") }
    mutating func null() { raw("null") }

    mutating func int(_ v: Int64) {
        if v < 0 { buf.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { p in
            var n = 0
            repeat {
                p[n] = UInt8(ascii: "0") + UInt8(m % 10)
                m /= 10
                n += 1
            } while m > 0
            while n > 0 { n -= 1; buf.append(p[n]) }
        }
    }

    mutating func int(_ v: Int) { int(Int64(v)) }

    /// A Slack ts string "<seconds>.<6 digits>" from epoch microseconds.
    mutating func ts(_ micros: Int64) {
        buf.append(UInt8(ascii: "\""))
        appendTs(micros)
        buf.append(UInt8(ascii: "\""))
    }

    mutating func appendTs(_ micros: Int64) {
        int(micros / 1_000_000)
        buf.append(UInt8(ascii: "."))
        let frac = micros % 1_000_000
        var div: Int64 = 100_000
        while div > 0 {
            buf.append(UInt8(ascii: "0") + UInt8(frac / div % 10))
            div /= 10
        }
    }

    mutating func string(_ s: StaticString) {
        s.withUTF8Buffer { string($0) }
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { string($0) }
    }

    mutating func string(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { string($0) }
    }

    mutating func string(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBufferPointer { string($0) }
    }

    /// Quoted, escaped string from UTF-8 bytes (assumed valid UTF-8).
    mutating func string(_ p: UnsafeBufferPointer<UInt8>) {
        buf.append(UInt8(ascii: "\""))
        var i = 0
        var runStart = 0
        let n = p.count
        while i < n {
            let b = p[i]
            let plain = b >= 0x20 && b != 0x22 && b != 0x5C && (b != 0x2F || !escapeSlash) && (b < 0x80 || !asciiOnly)
            if plain { i += 1; continue }
            if runStart < i { buf.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<i])) }
            switch b {
            case 0x22: buf.append(0x5C); buf.append(0x22); i += 1
            case 0x5C: buf.append(0x5C); buf.append(0x5C); i += 1
            case 0x2F: buf.append(0x5C); buf.append(0x2F); i += 1
            case 0x0A: buf.append(0x5C); buf.append(UInt8(ascii: "n")); i += 1
            case 0x0D: buf.append(0x5C); buf.append(UInt8(ascii: "r")); i += 1
            case 0x09: buf.append(0x5C); buf.append(UInt8(ascii: "t")); i += 1
            case 0x08: buf.append(0x5C); buf.append(UInt8(ascii: "b")); i += 1
            case 0x0C: buf.append(0x5C); buf.append(UInt8(ascii: "f")); i += 1
            case ..<0x20: escapeUnit(UInt16(b)); i += 1
            default:
                // non-ASCII in ASCII-only mode: decode one scalar
                var scalar: UInt32
                var len: Int
                if b >= 0xF0 { scalar = UInt32(b & 0x07); len = 4 } else if b >= 0xE0 { scalar = UInt32(b & 0x0F); len = 3 } else { scalar = UInt32(b & 0x1F); len = 2 }
                len = min(len, n - i)
                for k in 1..<max(len, 1) { scalar = (scalar << 6) | UInt32(p[i + k] & 0x3F) }
                i += max(len, 1)
                if scalar >= 0x10000 {
                    let v = scalar - 0x10000
                    escapeUnit(UInt16(0xD800 + (v >> 10)))
                    escapeUnit(UInt16(0xDC00 + (v & 0x3FF)))
                } else {
                    escapeUnit(UInt16(scalar))
                }
            }
            runStart = i
        }
        if runStart < n { buf.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<n])) }
        buf.append(UInt8(ascii: "\""))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func escapeUnit(_ u: UInt16) {
        buf.append(0x5C); buf.append(UInt8(ascii: "u"))
        buf.append(Self.hex[Int(u >> 12) & 0xF])
        buf.append(Self.hex[Int(u >> 8) & 0xF])
        buf.append(Self.hex[Int(u >> 4) & 0xF])
        buf.append(Self.hex[Int(u) & 0xF])
    }

    // MARK: conveniences

    mutating func field(_ k: StaticString, _ v: StaticString) { key(k); string(v) }
    mutating func field(_ k: StaticString, _ v: String) { key(k); string(v) }
    mutating func field(_ k: StaticString, _ v: [UInt8]) { key(k); string(v) }
    mutating func field(_ k: StaticString, _ v: Bool) { key(k); bool(v) }
    mutating func field(_ k: StaticString, _ v: Int64) { key(k); int(v) }
    mutating func field(_ k: StaticString, _ v: Int) { key(k); int(Int64(v)) }
    mutating func fieldTs(_ k: StaticString, _ micros: Int64) { key(k); ts(micros) }
}
