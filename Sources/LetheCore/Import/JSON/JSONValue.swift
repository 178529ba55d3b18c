/// A JSON value as a tree, for small documents (metadata files, tests).
///
/// Objects keep their members in the order written (duplicates included);
/// numbers keep their exact literal. `==` is JSON-value equality: member
/// order is ignored, numbers compare by decimal value (`1 == 1.0 == 1e0`),
/// strings compare by Unicode scalars after unescaping (no normalisation).
/// Message days go through `JSONArraySplitter` instead, which builds no tree.
public enum JSONValue: Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    /// The number literal exactly as written.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// Parses one JSON text (RFC 8259, strict) within `limits`.
    /// Iterative: nesting depth costs heap, never stack.
    public static func parse(_ bytes: some Collection<UInt8>, limits: ImportLimits = .init()) throws(JSONError) -> JSONValue {
        try JSONScanner.with(bytes, limits: limits) { (s: inout JSONScanner) throws(JSONError) -> JSONValue in
            s.skipByteOrderMark()
            s.skipWhitespace()
            let value = try s.parseValue()
            s.skipWhitespace()
            guard s.pos == s.end else { throw s.error(.trailingData) }
            return value
        }
    }

    // MARK: - Access

    /// The first member named `key`, if this is an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key.utf8.elementsEqual(key.utf8) }?.value
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [(key: String, value: JSONValue)]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var description: String { String(decoding: encoded(), as: UTF8.self) }
}

// MARK: - Equality

extension JSONValue: Equatable {
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return JSONNumber.equal(x, y)
        case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0 == $1 }
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            // Order-insensitive: compare after a stable sort by key bytes.
            let byKey: ((key: String, value: JSONValue), (key: String, value: JSONValue)) -> Bool = {
                $0.key.utf8.lexicographicallyPrecedes($1.key.utf8)
            }
            let xs = x.enumerated().sorted { byKey($0.element, $1.element) || (!byKey($1.element, $0.element) && $0.offset < $1.offset) }
            let ys = y.enumerated().sorted { byKey($0.element, $1.element) || (!byKey($1.element, $0.element) && $0.offset < $1.offset) }
            return zip(xs, ys).allSatisfy { $0.element.key.utf8.elementsEqual($1.element.key.utf8) && $0.element.value == $1.element.value }
        default: return false
        }
    }
}

/// Exact decimal comparison of JSON number literals.
enum JSONNumber {
    /// (negative, significant digits without leading/trailing zeros, exponent) with value
    /// `digits × 10^exponent`; zero is `(false, [], 0)`. Nil if the exponent overflows.
    static func canonical(_ literal: String) -> (negative: Bool, digits: [UInt8], exponent: Int)? {
        var bytes = Array(literal.utf8)[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes = bytes.dropFirst()
        }
        var digits: [UInt8] = []
        var fractionDigits = 0
        var inFraction = false
        var exponent = 0
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: ".") {
                inFraction = true
            } else if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                var expNegative = false
                var j = i + 1
                if j < bytes.endIndex, bytes[j] == UInt8(ascii: "+") || bytes[j] == UInt8(ascii: "-") {
                    expNegative = bytes[j] == UInt8(ascii: "-")
                    j += 1
                }
                var e = 0
                while j < bytes.endIndex {
                    guard bytes[j] >= 0x30, bytes[j] <= 0x39 else { return nil }
                    let (m, o1) = e.multipliedReportingOverflow(by: 10)
                    let (s, o2) = m.addingReportingOverflow(Int(bytes[j] - 0x30))
                    if o1 || o2 || s > Int(Int32.max) { return nil }
                    e = s
                    j += 1
                }
                exponent = expNegative ? -e : e
                break
            } else if b >= 0x30 && b <= 0x39 {
                digits.append(b)
                if inFraction { fractionDigits += 1 }
            } else {
                return nil
            }
            i += 1
        }
        exponent -= fractionDigits
        while digits.last == UInt8(ascii: "0") {
            digits.removeLast()
            exponent += 1
        }
        let leading = digits.prefix { $0 == UInt8(ascii: "0") }.count
        digits.removeFirst(leading)
        if digits.isEmpty { return (false, [], 0) }
        return (negative, digits, exponent)
    }

    static func equal(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        guard let x = canonical(a), let y = canonical(b) else { return false }
        return x.negative == y.negative && x.digits == y.digits && x.exponent == y.exponent
    }
}

// MARK: - Parsing

extension JSONScanner {
    /// One open container of the iterative parser (a class, so it grows in place).
    private final class Frame {
        let isObject: Bool
        var items: [JSONValue] = []
        var members: [(key: String, value: JSONValue)] = []
        var key: String = ""
        init(isObject: Bool) { self.isObject = isObject }
    }

    /// Reads `"key"` `:` and the whitespace around it.
    private mutating func parseKey() throws(JSONError) -> String {
        guard try current() == 0x22 else { throw error(.expected("string key")) }
        let key = decode(try scanString())
        skipWhitespace()
        guard try current() == 0x3A else { throw error(.expected("':'")) }
        pos += 1
        skipWhitespace()
        return key
    }

    /// Parses the value at `pos` (whitespace already skipped).
    mutating func parseValue() throws(JSONError) -> JSONValue {
        var stack: [Frame] = []
        var value: JSONValue
        outer: while true {
            let b = try current()
            switch b {
            case 0x7B, 0x5B:  // { [
                guard stack.count + 1 <= maxDepth else { throw error(.tooDeep(limit: maxDepth)) }
                let isObject = b == 0x7B
                pos += 1
                skipWhitespace()
                if try current() == (isObject ? 0x7D : 0x5D) {
                    pos += 1
                    value = isObject ? .object([]) : .array([])
                } else {
                    let frame = Frame(isObject: isObject)
                    if isObject { frame.key = try parseKey() }
                    stack.append(frame)
                    continue outer
                }
            case 0x22:
                value = .string(decode(try scanString()))
            case 0x2D, 0x30...0x39:
                let start = pos
                try scanNumber()
                value = .number(String(decoding: UnsafeBufferPointer(start: p + start, count: pos - start), as: UTF8.self))
            case 0x74, 0x66, 0x6E:
                switch try scanLiteral() {
                case 0x74: value = .bool(true)
                case 0x66: value = .bool(false)
                default: value = .null
                }
            default:
                throw error(.unexpectedCharacter)
            }
            // A value is complete: attach it to its container, closing containers as they end.
            while let top = stack.last {
                skipWhitespace()
                let c = try current()
                if top.isObject {
                    top.members.append((key: top.key, value: value))
                    if c == 0x2C {
                        pos += 1
                        skipWhitespace()
                        top.key = try parseKey()
                        continue outer
                    }
                    guard c == 0x7D else { throw error(.expected("',' or '}'")) }
                    pos += 1
                    value = .object(top.members)
                } else {
                    top.items.append(value)
                    if c == 0x2C {
                        pos += 1
                        skipWhitespace()
                        continue outer
                    }
                    guard c == 0x5D else { throw error(.expected("',' or ']'")) }
                    pos += 1
                    value = .array(top.items)
                }
                stack.removeLast()
            }
            return value
        }
    }
}
