import Testing
@testable import LetheCore

@Suite struct JSONValueTests {
    func parse(_ s: String, limits: ImportLimits = .init()) throws -> JSONValue {
        try JSONValue.parse(Array(s.utf8), limits: limits)
    }

    func parseError(_ bytes: [UInt8], limits: ImportLimits = .init()) -> JSONError? {
        do {
            _ = try JSONValue.parse(bytes, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func scalarsAndContainers() throws {
        #expect(try parse("null") == .null)
        #expect(try parse(" true ") == .bool(true))
        #expect(try parse("false") == .bool(false))
        #expect(try parse("-12.5e+3") == .number("-12.5e+3"))
        #expect(try parse("[]") == .array([]))
        #expect(try parse("{}") == .object([]))
        let v = try parse(#"{"b":[1,{"c":null}],"a":"x"}"#)
        #expect(v["a"] == .string("x"))
        #expect(v.objectValue?.map(\.key) == ["b", "a"])
        #expect(v.encoded() == Array(#"{"b":[1,{"c":null}],"a":"x"}"#.utf8))
    }

    @Test func escapesAndSurrogates() throws {
        #expect(try parse(#""a\/b\"\\\b\f\n\r\t""#) == .string("a/b\"\\\u{8}\u{C}\n\r\t"))
        #expect(try parse(#""\u00e9\u20AC""#) == .string("é€"))
        #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
        #expect(parseError(Array(#""\ud83d""#.utf8))?.reason == .loneSurrogate)
        #expect(parseError(Array(#""\ude00\ud83d""#.utf8))?.reason == .loneSurrogate)
        #expect(parseError(Array(#""\ud83d\u0041""#.utf8))?.reason == .loneSurrogate)
        #expect(parseError(Array(#""\x""#.utf8))?.reason == .invalidEscape)
        #expect(parseError(Array(#""\u12G4""#.utf8))?.reason == .invalidEscape)
        #expect(parseError(Array("\"a\nb\"".utf8))?.reason == .controlCharacterInString)
    }

    @Test func invalidUTF8IsRefused() {
        let cases: [[UInt8]] = [
            [0x22, 0xFF, 0x22],              // never valid
            [0x22, 0xC0, 0xAF, 0x22],        // overlong '/'
            [0x22, 0xE0, 0x80, 0xAF, 0x22],  // overlong
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // encoded surrogate
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
            [0x22, 0xE2, 0x82, 0x22],        // truncated sequence
            [0x22, 0x80, 0x22],              // lone continuation
        ]
        for c in cases {
            #expect(parseError(c)?.reason == .invalidUTF8, "\(c)")
            #expect(parseError(c)?.offset == 1)
        }
        #expect(parseError([0xC3, 0xA9])?.reason == .unexpectedCharacter)  // non-ASCII outside a string
        // Raw valid UTF-8 of every length passes.
        #expect((try? parse("\"é€😀\"")) == .string("é€😀"))
    }

    @Test func depthLimitFailsCleanlyAt10000() {
        let deep = Array(repeating: UInt8(ascii: "["), count: 10_000) + Array(repeating: UInt8(ascii: "]"), count: 10_000)
        #expect(parseError(deep)?.reason == .tooDeep(limit: 512))
        var limits = ImportLimits()
        limits.maxJSONDepth = 3
        #expect(parseError(Array("[[[1]]]".utf8), limits: limits) == nil)
        #expect(parseError(Array("[[[[1]]]]".utf8), limits: limits)?.reason == .tooDeep(limit: 3))
        #expect(parseError(Array(#"{"a":{"b":{"c":{}}}}"#.utf8), limits: limits)?.reason == .tooDeep(limit: 3))
    }

    @Test func stringLimit() {
        var limits = ImportLimits()
        limits.maxStringBytes = 8
        #expect(parseError(Array(#""12345678""#.utf8), limits: limits) == nil)
        #expect(parseError(Array(#""123456789""#.utf8), limits: limits)?.reason == .stringTooLong(limit: 8))
        #expect(parseError(Array(#"{"123456789":1}"#.utf8), limits: limits)?.reason == .stringTooLong(limit: 8))
        #expect(parseError(Array("1234567890".utf8), limits: limits)?.reason == .stringTooLong(limit: 8))
        let huge = [UInt8(ascii: "\"")] + Array(repeating: UInt8(ascii: "a"), count: 1 << 20) + [UInt8(ascii: "\"")]
        #expect(parseError(huge, limits: limits)?.offset == 0)
    }

    @Test func trailingGarbageAndTruncation() {
        #expect(parseError(Array("[1] x".utf8))?.reason == .trailingData)
        #expect(parseError(Array("[1]]".utf8))?.reason == .trailingData)
        #expect(parseError(Array("{} {}".utf8))?.reason == .trailingData)
        #expect(parseError(Array("[1,".utf8))?.reason == .unexpectedEnd)
        #expect(parseError(Array(#"{"a""#.utf8))?.reason == .unexpectedEnd)
        #expect(parseError(Array(#""abc"#.utf8))?.reason == .unexpectedEnd)
        #expect(parseError([])?.reason == .unexpectedEnd)
        #expect(parseError(Array("[1,]".utf8))?.reason == .unexpectedCharacter)
        #expect(parseError(Array(#"{"a":1,}"#.utf8))?.reason == .expected("string key"))
        #expect(parseError(Array(#"{"a" 1}"#.utf8))?.reason == .expected("':'"))
        #expect(parseError(Array("[1 2]".utf8))?.reason == .expected("',' or ']'"))
        #expect(parseError(Array("nul".utf8))?.reason == .invalidLiteral)
        #expect(parseError(Array("trux".utf8))?.reason == .invalidLiteral)
        #expect(parseError([0xEF, 0xBB, 0xBF] + Array("[]".utf8)) == nil)  // BOM ignored
    }

    @Test func numbers() {
        for ok in ["0", "-0", "1", "-1", "10", "1.5", "0.001", "1e5", "1E+5", "1e-5", "-0.0e0", "123456789012345678901234567890"] {
            #expect(parseError(Array(ok.utf8)) == nil, "\(ok)")
        }
        for bad in ["01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "1.e3", "--1", "NaN", "Infinity", "-01"] {
            #expect(parseError(Array(bad.utf8)) != nil, "\(bad)")
        }
    }

    @Test func valueEquality() throws {
        #expect(try parse("1") == parse("1.0"))
        #expect(try parse("1") == parse("1e0"))
        #expect(try parse("100") == parse("1e2"))
        #expect(try parse("0.5") == parse("5e-1"))
        #expect(try parse("-0") == parse("0"))
        #expect(try parse("1") != parse("-1"))
        #expect(try parse("1.01") != parse("1.1"))
        #expect(try parse(#"{"a":1,"b":[true,null]}"#) == parse(#"{"b":[true,null],"a":1.0}"#))
        #expect(try parse(#"{"a":1}"#) != parse(#"{"a":1,"b":2}"#))
        #expect(try parse("[1,2]") != parse("[2,1]"))
        #expect(try parse(#""\u00e9\/""#) == parse("\"é/\""))
        // Scalars, not canonical equivalence: precomposed é differs from e + combining accent.
        #expect(try parse(#""\u00e9""#) != parse(#""e\u0301""#))
        #expect(try parse("true") != parse("1"))
    }

    @Test func encoderEscapesAndRoundTrips() throws {
        let v = JSONValue.object([("k\"\\", .string("a\u{1}\n\t€/")), ("n", .number("1.50"))])
        #expect(String(decoding: v.encoded(), as: UTF8.self) == #"{"k\"\\":"a\u0001\n\t€/","n":1.50}"#)
        #expect(try JSONValue.parse(v.encoded()) == v)
    }
}
