/// Reads the fields search needs straight from a message's compacted JSON bytes.
///
/// The hot path of indexing and of verifying search hits: it walks the top-level
/// object once, decodes only the values it needs, and skips the rest without
/// building anything. Input was validated at import; still, every read is
/// bounds-checked and malformed input yields empty fields, never a crash.
struct ExtractedMessage {
    var text = ""
    var user: String?
    var botID: String?
    var username: String?
    var subtype: String?
    var threadTS: String?
    var replyCount = 0
    var hasFiles = false
    var hasReactions = false
    /// `files[].id`.
    var fileIDs: [String] = []
    /// Searchable text beyond `text`: attachment text/fallback/title/pretext and file names/titles.
    var extra: [String] = []

    /// The author to show and to match `from:` against.
    var author: String? { user ?? botID ?? username }
}

enum MessageExtract {
    static func extract(_ json: [UInt8]) -> ExtractedMessage {
        json.withUnsafeBufferPointer { buf in
            var w = Walker(p: buf, i: 0)
            var out = ExtractedMessage()
            w.object { key, w in
                switch key {
                case "text": out.text = w.string() ?? ""
                case "user": out.user = w.string()
                case "bot_id": out.botID = w.string()
                case "username": out.username = w.string()
                case "subtype": out.subtype = w.string()
                case "thread_ts": out.threadTS = w.string()
                case "reply_count": out.replyCount = w.integer() ?? 0
                case "files", "file":
                    out.hasFiles = w.peek() == UInt8(ascii: "[") || w.peek() == UInt8(ascii: "{")
                    w.objects { k, w in
                        if k == "name" || k == "title", let s = w.string() {
                            out.extra.append(s)
                        } else if k == "id", let s = w.string() {
                            out.fileIDs.append(s)
                        } else {
                            w.skip()
                        }
                    }
                case "reactions": out.hasReactions = w.nonEmptyArray()
                case "attachments":
                    w.objects { k, w in
                        if k == "text" || k == "fallback" || k == "title" || k == "pretext", let s = w.string() { out.extra.append(s) } else { w.skip() }
                    }
                default: w.skip()
                }
            }
            return out
        }
    }

    /// A forward-only reader over compacted JSON.
    struct Walker {
        let p: UnsafeBufferPointer<UInt8>
        var i: Int

        func peek() -> UInt8? { i < p.count ? p[i] : nil }

        /// Calls `body` for each key of the object at the cursor; `body` must consume the value.
        mutating func object(_ body: (String, inout Walker) -> Void) {
            guard peek() == UInt8(ascii: "{") else { skip(); return }
            i += 1
            while let c = peek(), c != UInt8(ascii: "}") {
                if c == UInt8(ascii: ",") { i += 1; continue }
                guard let key = string(), peek() == UInt8(ascii: ":") else { i = p.count; return }
                i += 1
                let before = i
                body(key, &self)
                if i == before { skip() }
            }
            i += 1
        }

        /// For an array of objects (or one object), calls `body` for every key of every object.
        mutating func objects(_ body: (String, inout Walker) -> Void) {
            if peek() == UInt8(ascii: "{") { object(body); return }
            guard peek() == UInt8(ascii: "[") else { skip(); return }
            i += 1
            while let c = peek(), c != UInt8(ascii: "]") {
                if c == UInt8(ascii: ",") { i += 1; continue }
                if c == UInt8(ascii: "{") { object(body) } else { skip() }
            }
            i += 1
        }

        mutating func nonEmptyArray() -> Bool {
            guard peek() == UInt8(ascii: "[") else { skip(); return false }
            let nonEmpty = i + 1 < p.count && p[i + 1] != UInt8(ascii: "]")
            skip()
            return nonEmpty
        }

        mutating func integer() -> Int? {
            var v = 0
            var any = false
            while let c = peek(), c >= 48, c <= 57 {
                v = v &* 10 &+ Int(c - 48)
                any = true
                i += 1
            }
            if !any { skip() }
            while let c = peek(), c != UInt8(ascii: ","), c != UInt8(ascii: "}"), c != UInt8(ascii: "]") { i += 1 }
            return any ? v : nil
        }

        /// Decodes the string at the cursor; nil (and skips the value) when it is not a string.
        mutating func string() -> String? {
            guard peek() == UInt8(ascii: "\"") else { skip(); return nil }
            i += 1
            let start = i
            var plain = true
            while i < p.count, p[i] != UInt8(ascii: "\"") {
                if p[i] == UInt8(ascii: "\\") { plain = false; i += 2 } else { i += 1 }
            }
            guard i < p.count else { return nil }
            defer { i += 1 }
            let raw = UnsafeBufferPointer(rebasing: p[start..<i])
            if plain { return String(decoding: raw, as: UTF8.self) }
            return Walker.unescape(raw)
        }

        static func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> String {
            var out: [UInt8] = []
            out.reserveCapacity(raw.count)
            var k = 0
            func hex(_ at: Int) -> UInt32? {
                guard at + 4 <= raw.count else { return nil }
                var v: UInt32 = 0
                for j in at..<at + 4 {
                    let c = raw[j]
                    let d: UInt32
                    switch c {
                    case 48...57: d = UInt32(c - 48)
                    case 65...70: d = UInt32(c - 55)
                    case 97...102: d = UInt32(c - 87)
                    default: return nil
                    }
                    v = v << 4 | d
                }
                return v
            }
            while k < raw.count {
                let c = raw[k]
                guard c == UInt8(ascii: "\\"), k + 1 < raw.count else { out.append(c); k += 1; continue }
                let e = raw[k + 1]
                k += 2
                switch e {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "u"):
                    guard var scalar = hex(k) else { continue }
                    k += 4
                    if scalar >= 0xD800, scalar < 0xDC00, k + 6 <= raw.count, raw[k] == UInt8(ascii: "\\"), raw[k + 1] == UInt8(ascii: "u"),
                       let low = hex(k + 2), low >= 0xDC00, low < 0xE000 {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        k += 6
                    }
                    let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(Character(s)).utf8))
                default: out.append(e)  // \" \\ \/
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// Skips one value of any type.
        mutating func skip() {
            guard let c = peek() else { return }
            switch c {
            case UInt8(ascii: "\""):
                i += 1
                while i < p.count, p[i] != UInt8(ascii: "\"") { i += p[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i += 1
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while i < p.count {
                    let b = p[i]
                    if b == UInt8(ascii: "\"") {
                        i += 1
                        while i < p.count, p[i] != UInt8(ascii: "\"") { i += p[i] == UInt8(ascii: "\\") ? 2 : 1 }
                    } else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                        depth += 1
                    } else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                        depth -= 1
                        if depth == 0 { i += 1; return }
                    }
                    i += 1
                }
            default:
                while let b = peek(), b != UInt8(ascii: ","), b != UInt8(ascii: "}"), b != UInt8(ascii: "]") { i += 1 }
            }
        }
    }
}
