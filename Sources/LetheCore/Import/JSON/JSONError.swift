/// Why a JSON text was refused, and where.
///
/// Carries a byte offset into the input and a fixed reason: never any byte of
/// the input itself, so it is safe to print for any file.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable, CustomStringConvertible {
        case unexpectedEnd
        case unexpectedCharacter
        /// A specific token was required here, e.g. `':'` or `',' or ']'`.
        case expected(String)
        case invalidUTF8
        case invalidEscape
        /// A `\uD800`–`\uDFFF` escape not part of a valid surrogate pair.
        case loneSurrogate
        case controlCharacterInString
        case invalidNumber
        case invalidLiteral
        case tooDeep(limit: Int)
        case stringTooLong(limit: Int)
        case trailingData
        /// The splitter's input is not a top-level array.
        case notAnArray

        public var description: String {
            switch self {
            case .unexpectedEnd: return "unexpected end of input"
            case .unexpectedCharacter: return "unexpected character"
            case .expected(let what): return "expected \(what)"
            case .invalidUTF8: return "invalid UTF-8"
            case .invalidEscape: return "invalid escape sequence"
            case .loneSurrogate: return "unpaired surrogate escape"
            case .controlCharacterInString: return "unescaped control character in string"
            case .invalidNumber: return "invalid number"
            case .invalidLiteral: return "invalid literal"
            case .tooDeep(let limit): return "nesting deeper than \(limit)"
            case .stringTooLong(let limit): return "string or number longer than \(limit) bytes"
            case .trailingData: return "data after the JSON value"
            case .notAnArray: return "top-level value is not an array"
            }
        }
    }

    /// Byte offset in the input where the problem was found.
    public var offset: Int
    public var reason: Reason

    public init(offset: Int, reason: Reason) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "byte \(offset): \(reason)" }
}
