/// The hot path of an import: splits a day file (a top-level JSON array of
/// message objects) into its elements without building a tree.
///
/// The whole text is validated with the same strictness and limits as
/// `JSONValue.parse` (the two share `JSONScanner`). Each element comes out
/// compacted (whitespace outside strings removed, every other byte as
/// written, so `\/` and `\uXXXX` stay) with `ts`, `thread_ts`, `user` and
/// `edited.ts` decoded from the object's top level. A problem with one
/// element (not an object, `ts` missing or invalid, a read field of the wrong
/// type) skips that element with a reason; a problem with the text itself
/// (bad JSON, too deep, invalid UTF-8, truncated) fails the whole file.
public struct JSONArraySplitter: Sendable {
    public var limits: ImportLimits

    public init(limits: ImportLimits = .init()) {
        self.limits = limits
    }

    /// What one element of the array became.
    public enum Element: Sendable, Equatable {
        case message(index: Int, RawMessage)
        /// The element was skipped; `reason` names the field, never its content.
        case skipped(index: Int, reason: String)
    }

    /// Calls `body` for each element in order. If this throws, elements already
    /// passed to `body` came from an invalid file and must be discarded.
    public func forEachElement(in bytes: some Collection<UInt8>, _ body: (Element) -> Void) throws(JSONError) {
        try JSONScanner.with(bytes, limits: limits) { (s: inout JSONScanner) throws(JSONError) in
            try s.splitArray(captureFields: true) { index, json, fields in
                body(fields.element(index: index, json: json))
            }
        }
    }

    /// All messages of a day file, and the elements skipped with their reasons.
    public func split(_ bytes: some Collection<UInt8>) throws(JSONError) -> (messages: [RawMessage], skipped: [(index: Int, reason: String)]) {
        var messages: [RawMessage] = []
        var skipped: [(index: Int, reason: String)] = []
        try forEachElement(in: bytes) { element in
            switch element {
            case .message(_, let m): messages.append(m)
            case .skipped(let i, let r): skipped.append((i, r))
            }
        }
        return (messages, skipped)
    }

    /// The compacted bytes of every element of a top-level array, whatever their type
    /// (for metadata files such as `channels.json`).
    public func compactedElements(_ bytes: some Collection<UInt8>) throws(JSONError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        try JSONScanner.with(bytes, limits: limits) { (s: inout JSONScanner) throws(JSONError) in
            try s.splitArray(captureFields: false) { _, json, _ in out.append(json) }
        }
        return out
    }

    /// One JSON text, validated and compacted.
    public static func compact(_ bytes: some Collection<UInt8>, limits: ImportLimits = .init()) throws(JSONError) -> [UInt8] {
        try JSONScanner.with(bytes, limits: limits) { (s: inout JSONScanner) throws(JSONError) -> [UInt8] in
            s.skipByteOrderMark()
            s.skipWhitespace()
            var gaps: [Int] = []
            var stack: [Bool] = []
            var fields = SplitFields()
            let start = s.pos
            try s.scanElement(baseDepth: 0, gaps: &gaps, stack: &stack, fields: &fields, capture: false)
            let json = s.gather(start, s.pos, gaps)
            s.skipWhitespace()
            guard s.pos == s.end else { throw s.error(.trailingData) }
            return json
        }
    }
}

/// The fields read from one element, and the first problem met with them.
struct SplitFields {
    var isObject = false
    var ts: String?
    /// Read to check their type (a message with a non-string one is skipped), not kept.
    var threadTS: String?
    var user: String?
    var editedTS: String?
    var problem: String?

    mutating func report(_ reason: String) {
        if problem == nil { problem = reason }
    }

    func element(index: Int, json: [UInt8]) -> JSONArraySplitter.Element {
        if let problem { return .skipped(index: index, reason: problem) }
        guard isObject else { return .skipped(index: index, reason: "not an object") }
        guard let tsString = ts else { return .skipped(index: index, reason: "missing \"ts\"") }
        guard let stamp = SlackTimestamp(tsString) else {
            return .skipped(index: index, reason: "\"ts\" is not a valid Slack timestamp")
        }
        return .message(index: index, RawMessage(ts: stamp, editedTS: editedTS, json: json))
    }
}

extension JSONScanner {
    /// The field a key just read names (for the value that follows it).
    enum Field: UInt8 {
        case none, ts, threadTS, user, edited, editedTS

        var name: String {
            switch self {
            case .none: return ""
            case .ts: return "ts"
            case .threadTS: return "thread_ts"
            case .user: return "user"
            case .edited: return "edited"
            case .editedTS: return "edited.ts"
            }
        }
    }

    /// Scans `[ elem, … ]` to the end of input, calling `body` with each element's index,
    /// compacted bytes and (if `captureFields`) its message fields.
    mutating func splitArray(captureFields: Bool, _ body: (Int, [UInt8], SplitFields) -> Void) throws(JSONError) {
        skipByteOrderMark()
        skipWhitespace()
        guard pos < end, p[pos] == 0x5B else { throw error(pos < end ? .notAnArray : .unexpectedEnd) }
        guard maxDepth >= 1 else { throw error(.tooDeep(limit: maxDepth)) }
        pos += 1
        skipWhitespace()
        var gaps: [Int] = []
        var stack: [Bool] = []
        stack.reserveCapacity(16)
        if try current() == 0x5D {
            pos += 1
        } else {
            var index = 0
            while true {
                let start = pos
                gaps.removeAll(keepingCapacity: true)
                var fields = SplitFields()
                try scanElement(baseDepth: 1, gaps: &gaps, stack: &stack, fields: &fields, capture: captureFields)
                body(index, gather(start, pos, gaps), fields)
                skipWhitespace()
                let c = try current()
                pos += 1
                if c == 0x2C {
                    skipWhitespace()
                    index += 1
                    continue
                }
                guard c == 0x5D else { throw error(.expected("',' or ']'"), at: pos - 1) }
                break
            }
        }
        skipWhitespace()
        guard pos == end else { throw error(.trailingData) }
    }

    /// The bytes `start..<end` without the whitespace runs listed in `gaps` (pairs of offsets).
    func gather(_ start: Int, _ stop: Int, _ gaps: [Int]) -> [UInt8] {
        if gaps.isEmpty { return Array(UnsafeBufferPointer(start: p + start, count: stop - start)) }
        var removed = 0
        var k = 0
        while k < gaps.count {
            removed += gaps[k + 1] - gaps[k]
            k += 2
        }
        let count = stop - start - removed
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let dst = buffer.baseAddress else {
                initialized = 0
                return
            }
            var from = start
            var written = 0
            var g = 0
            while g <= gaps.count {
                let to = g < gaps.count ? gaps[g] : stop
                (dst + written).update(from: p + from, count: to - from)
                written += to - from
                if g < gaps.count { from = gaps[g + 1] }
                g += 2
            }
            initialized = written
        }
    }

    /// Skips whitespace inside an element, recording the run for compaction.
    @inline(__always)
    private mutating func skipWhitespace(recording gaps: inout [Int]) {
        guard pos < end, JSONScanner.isWhitespace(p[pos]) else { return }
        let from = pos
        repeat { pos += 1 } while pos < end && JSONScanner.isWhitespace(p[pos])
        gaps.append(from)
        gaps.append(pos)
    }

    /// Reads `"key"` `:` inside an element and says which captured field it names.
    @inline(__always)
    private mutating func scanKey(
        gaps: inout [Int], depth: Int, inEdited: Bool, capture: Bool
    ) throws(JSONError) -> Field {
        guard try current() == 0x22 else { throw error(.expected("string key")) }
        let key = try scanString()
        var field = Field.none
        if capture {
            if depth == 1 {
                if span(key, equals: "ts") {
                    field = .ts
                } else if span(key, equals: "thread_ts") {
                    field = .threadTS
                } else if span(key, equals: "user") {
                    field = .user
                } else if span(key, equals: "edited") {
                    field = .edited
                }
            } else if depth == 2 && inEdited && span(key, equals: "ts") {
                field = .editedTS
            }
        }
        skipWhitespace(recording: &gaps)
        guard try current() == 0x3A else { throw error(.expected("':'")) }
        pos += 1
        skipWhitespace(recording: &gaps)
        return field
    }

    /// Validates the value at `pos` (one array element), iteratively, recording
    /// whitespace gaps and, if `capture`, the message fields of a top-level object.
    mutating func scanElement(
        baseDepth: Int, gaps: inout [Int], stack: inout [Bool], fields: inout SplitFields, capture: Bool
    ) throws(JSONError) {
        stack.removeAll(keepingCapacity: true)
        fields.isObject = pos < end && p[pos] == 0x7B
        var field = Field.none
        var inEdited = false  // the object at depth 2 is the value of `edited`
        var seen: UInt8 = 0  // bit per captured field, to catch duplicates
        outer: while true {
            let b = try current()
            if field != .none {
                let bit: UInt8 = 1 << field.rawValue
                if seen & bit != 0 { fields.report("duplicate \"\(field.name)\"") }
                seen |= bit
                if b == 0x22 && field != .edited {
                    let value = decode(try scanString())
                    switch field {
                    case .ts: fields.ts = value
                    case .threadTS: fields.threadTS = value
                    case .user: fields.user = value
                    case .editedTS: fields.editedTS = value
                    case .edited, .none: break
                    }
                    field = .none
                    // fall through to "value complete" below
                    if let done = try closeContainers(gaps: &gaps, stack: &stack, inEdited: &inEdited, capture: capture, field: &field) {
                        if done { break outer }
                        continue outer
                    }
                } else if b == 0x7B && field == .edited {
                    inEdited = true
                } else if b == 0x6E && field != .ts {
                    // null: same as absent (type drift in older exports)
                } else {
                    fields.report("\"\(field.name)\" is not \(field == .edited ? "an object" : "a string")")
                }
                field = .none
            }
            switch b {
            case 0x7B, 0x5B:  // { [
                guard baseDepth + stack.count + 1 <= maxDepth else { throw error(.tooDeep(limit: maxDepth)) }
                let isObject = b == 0x7B
                pos += 1
                skipWhitespace(recording: &gaps)
                if try current() == (isObject ? 0x7D : 0x5D) {
                    pos += 1
                    if stack.count == 1 { inEdited = false }
                } else {
                    stack.append(isObject)
                    if isObject {
                        field = try scanKey(gaps: &gaps, depth: stack.count, inEdited: inEdited, capture: capture)
                    }
                    continue outer
                }
            case 0x22:
                _ = try scanString()
            case 0x2D, 0x30...0x39:
                try scanNumber()
            case 0x74, 0x66, 0x6E:
                _ = try scanLiteral()
            default:
                throw error(.unexpectedCharacter)
            }
            if let done = try closeContainers(gaps: &gaps, stack: &stack, inEdited: &inEdited, capture: capture, field: &field) {
                if done { break outer }
                continue outer
            }
        }
    }

    /// After a complete value: consumes `,` (reading the next key in an object) or
    /// closing brackets. Returns true when the element is complete, false when another
    /// value follows (`field` set for it).
    @inline(__always)
    private mutating func closeContainers(
        gaps: inout [Int], stack: inout [Bool], inEdited: inout Bool, capture: Bool, field: inout Field
    ) throws(JSONError) -> Bool? {
        while let isObject = stack.last {
            skipWhitespace(recording: &gaps)
            let c = try current()
            if c == 0x2C {
                pos += 1
                skipWhitespace(recording: &gaps)
                if isObject { field = try scanKey(gaps: &gaps, depth: stack.count, inEdited: inEdited, capture: capture) }
                return false
            }
            guard c == (isObject ? 0x7D : 0x5D) else {
                throw error(.expected(isObject ? "',' or '}'" : "',' or ']'"))
            }
            pos += 1
            stack.removeLast()
            if stack.count == 1 { inEdited = false }
        }
        return true
    }
}
