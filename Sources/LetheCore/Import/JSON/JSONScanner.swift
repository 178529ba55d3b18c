/// The low-level, allocation-free pieces shared by `JSONValue.parse` and
/// `JSONArraySplitter`: whitespace, strings (validated, optionally decoded),
/// numbers and literals, over a raw pointer. One implementation of the
/// grammar, so the tree parser and the splitter accept exactly the same texts.
///
/// Strictness (RFC 8259): strings must be valid UTF-8 (no overlongs, no
/// encoded surrogates, nothing above U+10FFFF), escapes are the nine of the
/// RFC, `\uXXXX` surrogates must pair, raw control characters are refused,
/// numbers follow the RFC grammar. A leading UTF-8 byte order mark is skipped
/// (the RFC allows a parser to ignore it).
///
/// `maxStringBytes` bounds the raw length (between the quotes, escapes as
/// written) of every string and of every number literal.
struct JSONScanner {
    let p: UnsafePointer<UInt8>
    let end: Int
    var pos: Int
    let maxDepth: Int
    let maxStringBytes: Int

    /// A validated string: its content is `p[start..<end]` (escapes as written).
    struct StringSpan {
        var start: Int
        var end: Int
        var hasEscapes: Bool
    }

    init(_ base: UnsafePointer<UInt8>, count: Int, limits: ImportLimits) {
        self.p = base
        self.end = count
        self.pos = 0
        self.maxDepth = limits.maxJSONDepth
        self.maxStringBytes = limits.maxStringBytes
    }

    /// Runs `body` with a scanner over `bytes` (contiguous or copied once).
    static func with<R>(
        _ bytes: some Collection<UInt8>, limits: ImportLimits,
        _ body: (inout JSONScanner) throws(JSONError) -> R
    ) throws(JSONError) -> R {
        func run(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<R, JSONError> {
            // An empty buffer may have no base address: scan a one-byte dummy with count 0.
            var dummy: UInt8 = 0
            return withUnsafePointer(to: &dummy) { dummyPointer in
                var scanner = JSONScanner(buffer.baseAddress ?? dummyPointer, count: buffer.count, limits: limits)
                do throws(JSONError) {
                    return .success(try body(&scanner))
                } catch {
                    return .failure(error)
                }
            }
        }
        let result: Result<R, JSONError>
        if let r = bytes.withContiguousStorageIfAvailable(run) {
            result = r
        } else {
            result = Array(bytes).withUnsafeBufferPointer(run)
        }
        return try result.get()
    }

    @inline(__always)
    func error(_ reason: JSONError.Reason, at offset: Int? = nil) -> JSONError {
        JSONError(offset: offset ?? pos, reason: reason)
    }

    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < end, JSONScanner.isWhitespace(p[pos]) { pos += 1 }
    }

    mutating func skipByteOrderMark() {
        if end - pos >= 3, p[pos] == 0xEF, p[pos + 1] == 0xBB, p[pos + 2] == 0xBF { pos += 3 }
    }

    /// The byte at `pos`, or an `unexpectedEnd` error.
    @inline(__always)
    func current() throws(JSONError) -> UInt8 {
        guard pos < end else { throw error(.unexpectedEnd) }
        return p[pos]
    }

    // MARK: - Strings

    /// Validates the string starting at `pos` (which must hold `"`) and moves past its closing quote.
    @inline(__always)
    mutating func scanString() throws(JSONError) -> StringSpan {
        let start = pos + 1
        var i = start
        var escaped = false
        let p = self.p
        let end = self.end
        while true {
            // Hot loop: plain printable ASCII.
            while i < end {
                let b = p[i]
                if b == 0x22 || b == 0x5C || b < 0x20 || b >= 0x80 { break }
                i &+= 1
            }
            guard i < end else { throw error(.unexpectedEnd, at: end) }
            let b = p[i]
            if b == 0x22 { break }
            if b == 0x5C {
                escaped = true
                i = try scanEscape(at: i)
            } else if b < 0x20 {
                throw error(.controlCharacterInString, at: i)
            } else {
                i = try scanUTF8Sequence(at: i)
            }
            if i - start > maxStringBytes { throw error(.stringTooLong(limit: maxStringBytes), at: start - 1) }
        }
        if i - start > maxStringBytes { throw error(.stringTooLong(limit: maxStringBytes), at: start - 1) }
        pos = i + 1
        return StringSpan(start: start, end: i, hasEscapes: escaped)
    }

    /// Validates the escape at `i` (a backslash); returns the index after it.
    private func scanEscape(at i: Int) throws(JSONError) -> Int {
        guard i + 1 < end else { throw error(.unexpectedEnd, at: end) }
        switch p[i + 1] {
        case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:  // " \ / b f n r t
            return i + 2
        case 0x75:  // u
            let unit = try hex4(at: i + 2)
            if unit >= 0xDC00 && unit <= 0xDFFF { throw error(.loneSurrogate, at: i) }
            if unit >= 0xD800 && unit <= 0xDBFF {
                guard i + 7 < end, p[i + 6] == 0x5C, p[i + 7] == 0x75 else { throw error(.loneSurrogate, at: i) }
                let low = try hex4(at: i + 8)
                guard low >= 0xDC00 && low <= 0xDFFF else { throw error(.loneSurrogate, at: i) }
                return i + 12
            }
            return i + 6
        default:
            throw error(.invalidEscape, at: i)
        }
    }

    @inline(__always)
    private static func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case 0x30...0x39: return UInt32(b - 0x30)
        case 0x41...0x46: return UInt32(b - 0x41 + 10)
        case 0x61...0x66: return UInt32(b - 0x61 + 10)
        default: return nil
        }
    }

    private func hex4(at i: Int) throws(JSONError) -> UInt32 {
        guard i + 4 <= end else { throw error(.unexpectedEnd, at: end) }
        var v: UInt32 = 0
        for k in 0..<4 {
            guard let h = JSONScanner.hexValue(p[i + k]) else { throw error(.invalidEscape, at: i - 2) }
            v = v << 4 | h
        }
        return v
    }

    /// Validates one multi-byte UTF-8 sequence starting at `i`; returns the index after it.
    @inline(__always)
    private func scanUTF8Sequence(at i: Int) throws(JSONError) -> Int {
        let b0 = p[i]
        @inline(__always) func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            i + k < end && p[i + k] >= lo && p[i + k] <= hi
        }
        switch b0 {
        case 0xC2...0xDF:
            if cont(1) { return i + 2 }
        case 0xE0:
            if cont(1, 0xA0, 0xBF) && cont(2) { return i + 3 }
        case 0xE1...0xEC, 0xEE...0xEF:
            if cont(1) && cont(2) { return i + 3 }
        case 0xED:
            if cont(1, 0x80, 0x9F) && cont(2) { return i + 3 }
        case 0xF0:
            if cont(1, 0x90, 0xBF) && cont(2) && cont(3) { return i + 4 }
        case 0xF1...0xF3:
            if cont(1) && cont(2) && cont(3) { return i + 4 }
        case 0xF4:
            if cont(1, 0x80, 0x8F) && cont(2) && cont(3) { return i + 4 }
        default:
            break
        }
        throw error(.invalidUTF8, at: i)
    }

    /// Decodes a validated string span.
    func decode(_ s: StringSpan) -> String {
        let raw = UnsafeBufferPointer(start: p + s.start, count: s.end - s.start)
        guard s.hasEscapes else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            let b = raw[i]
            guard b == 0x5C else {
                out.append(b)
                i += 1
                continue
            }
            let e = raw[i + 1]
            i += 2
            switch e {
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = JSONScanner.hex4Unchecked(raw, i)
                i += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    let low = JSONScanner.hex4Unchecked(raw, i + 2)
                    i += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                JSONScanner.appendUTF8(scalar, to: &out)
            default: out.append(e)  // " \ /
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether a validated key span decodes to exactly `key` (ASCII).
    @inline(__always)
    func span(_ s: StringSpan, equals key: StaticString) -> Bool {
        if s.hasEscapes { return decode(s).utf8.elementsEqual(UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)) }
        let n = key.utf8CodeUnitCount
        guard s.end - s.start == n else { return false }
        let k = key.utf8Start
        for j in 0..<n where p[s.start + j] != k[j] { return false }
        return true
    }

    private static func hex4Unchecked(_ raw: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 4 | (hexValue(raw[i + k]) ?? 0) }
        return v
    }

    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (scalar >> 6)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (scalar >> 12)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (scalar >> 18)))
            out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    // MARK: - Numbers and literals

    /// Validates the number at `pos` against the RFC 8259 grammar and moves past it.
    @inline(__always)
    mutating func scanNumber() throws(JSONError) {
        let start = pos
        var i = pos
        @inline(__always) func isDigit(_ k: Int) -> Bool { k < end && p[k] >= 0x30 && p[k] <= 0x39 }
        if i < end && p[i] == 0x2D { i += 1 }  // -
        guard i < end else { throw error(.invalidNumber, at: start) }
        if p[i] == 0x30 {
            i += 1
        } else if isDigit(i) {
            while isDigit(i) { i += 1 }
        } else {
            throw error(.invalidNumber, at: start)
        }
        if i < end && p[i] == 0x2E {  // .
            i += 1
            guard isDigit(i) else { throw error(.invalidNumber, at: start) }
            while isDigit(i) { i += 1 }
        }
        if i < end && (p[i] == 0x65 || p[i] == 0x45) {  // e E
            i += 1
            if i < end && (p[i] == 0x2B || p[i] == 0x2D) { i += 1 }
            guard isDigit(i) else { throw error(.invalidNumber, at: start) }
            while isDigit(i) { i += 1 }
        }
        if i - start > maxStringBytes { throw error(.stringTooLong(limit: maxStringBytes), at: start) }
        pos = i
    }

    /// Validates `true`, `false` or `null` at `pos`, moves past it and returns its first byte.
    @inline(__always)
    mutating func scanLiteral() throws(JSONError) -> UInt8 {
        let b = p[pos]
        let word: StaticString
        switch b {
        case 0x74: word = "true"
        case 0x66: word = "false"
        default: word = "null"
        }
        let n = word.utf8CodeUnitCount
        guard end - pos >= n else { throw error(.invalidLiteral) }
        let w = word.utf8Start
        for j in 0..<n where p[pos + j] != w[j] { throw error(.invalidLiteral) }
        pos += n
        return b
    }
}
