/// Reads one DiscordChatExporter channel file as a stream: each element of its top-level
/// `messages` array is handed on as its own bytes (at most `limits.maxLineBytes` each) the
/// moment it is complete, and everything else of the file (guild, channel, dateRange,
/// exportedAt, messageCount…, with `"messages":[]`) is kept to be parsed at the end. So a
/// channel file of any size is read in bounded memory: the largest message, not the file.
///
/// This only finds boundaries (strings, escapes, nesting); every piece it hands on is then
/// parsed by the strict `JSONValue.parse`, so the file is held to the same grammar as a
/// whole-file parse: an empty element (`[1,,2]`, `[1,]`) or a piece that does not parse is
/// refused. A `messages` key written with escapes is not seen here, and its array then comes
/// back whole inside the rest (still parsed, just not streamed).
struct DiscordChannelStream {
    private let maxPiece: Int
    /// The file less its messages' elements.
    private(set) var rest: [UInt8] = []
    private var element: [UInt8] = []
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// At depth 1: the next string is a member's key.
    private var expectKey = false
    private var key: [UInt8] = []
    private var readingKey = false
    private var lastKey: [UInt8] = []
    /// Inside the messages array (its depth is 2; elements start there).
    private var inMessages = false
    private var sawComma = false
    private(set) var count = 0

    enum Failure: Error {
        case tooLong(index: Int)
        case emptyElement(index: Int)
    }

    init(maxPiece: Int) {
        self.maxPiece = maxPiece
    }

    private static let messagesKey = Array("messages".utf8)

    /// The next bytes of the file; `onMessage` gets each element completed in them.
    mutating func feed(_ bytes: [UInt8], _ onMessage: ([UInt8]) throws -> Void) throws {
        for b in bytes { try step(b, onMessage) }
        if rest.count > maxPiece { throw Failure.tooLong(index: -1) }
    }

    /// Call at the end of the file: the last element must have been closed by the array's `]`.
    mutating func finish(_ onMessage: ([UInt8]) throws -> Void) throws {
        if inMessages, !element.isEmpty { try endElement(closing: true, onMessage) }
    }

    private mutating func step(_ b: UInt8, _ onMessage: ([UInt8]) throws -> Void) throws {
        if inMessages && !(depth == 2 && !inString && (b == 0x2C || b == 0x5D)) {
            // Inside an element (or the whitespace before one).
            if inString {
                if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { inString = false }
            } else if b == 0x22 {
                inString = true
            } else if b == 0x7B || b == 0x5B {
                depth += 1
            } else if b == 0x7D || b == 0x5D {
                depth -= 1
            }
            if !element.isEmpty || !JSONScanner.isWhitespace(b) {
                element.append(b)
                if element.count > maxPiece { throw Failure.tooLong(index: count) }
            }
            return
        }
        if inMessages {
            // A `,` or the closing `]` of the messages array.
            try endElement(closing: b == 0x5D, onMessage)
            if b == 0x5D {
                inMessages = false
                depth = 1
                rest.append(b)
            }
            return
        }
        rest.append(b)
        if inString {
            if escaped {
                escaped = false
                readingKey = false  // an escaped key is never `messages` here
            } else if b == 0x5C {
                escaped = true
            } else if b == 0x22 {
                inString = false
                if readingKey { lastKey = key }
                readingKey = false
            } else if readingKey {
                key.append(b)
                if key.count > 16 { readingKey = false }
            }
            return
        }
        switch b {
        case 0x22:
            inString = true
            if depth == 1 && expectKey {
                readingKey = true
                key.removeAll(keepingCapacity: true)
                lastKey = []
            }
            expectKey = false
        case 0x7B, 0x5B:
            depth += 1
            if depth == 1 { expectKey = b == 0x7B }
            if depth == 2, b == 0x5B, lastKey == Self.messagesKey {
                inMessages = true
                sawComma = false
                lastKey = []
            }
        case 0x7D, 0x5D:
            depth -= 1
        case 0x2C:
            if depth == 1 { expectKey = true }
        default:
            break
        }
    }

    private mutating func endElement(closing: Bool, _ onMessage: ([UInt8]) throws -> Void) throws {
        if element.isEmpty {
            // `[]` is an empty array; `[,` `[1,,` and `[1,]` are not JSON.
            if sawComma || !closing { throw Failure.emptyElement(index: count) }
        } else {
            try onMessage(element)
            count += 1
            element.removeAll(keepingCapacity: true)
        }
        sawComma = !closing
        depth = 2
    }
}
