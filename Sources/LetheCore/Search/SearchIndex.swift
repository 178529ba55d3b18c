/// The search index: one encrypted Bloom filter per (conversation, epoch of 32 buckets).
///
/// A filter holds the folded terms and pseudo-terms (`from:`, `is:thread`, …) of
/// every message in its epoch. It is sealed under the conversation's key, so
/// without a secret it reveals only its size; search decrypts it to prune epochs,
/// then decrypts candidate buckets and verifies every hit on the plaintext, so the
/// filter's false positives cost time, never correctness. Filters grow on import
/// (terms are added) and are rebuilt from what remains when retention shreds part
/// of an epoch, or deleted with the epoch's last bucket: no term of a shredded
/// message survives in the index.
struct IndexFilter {
    static let epochWidth: Int64 = 32
    static let falsePositiveRate = 0.001
    static let minimumCapacity = 256

    var capacity: Int
    var count: Int
    var bloom: BloomFilter

    init(capacity: Int) {
        self.capacity = max(IndexFilter.minimumCapacity, capacity)
        self.count = 0
        self.bloom = BloomFilter(expectedCount: self.capacity, falsePositiveRate: IndexFilter.falsePositiveRate)
    }

    mutating func insert(_ terms: Set<BloomFilter.TermHash>) {
        for t in terms { bloom.insert(t) }
        count += terms.count
    }

    /// `u8 version(1) || u32 capacity || u32 count || BloomFilter.serialized()`.
    func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.u8(1)
        w.u32(UInt32(clamping: capacity))
        w.u32(UInt32(clamping: count))
        w.bytes.append(contentsOf: bloom.serialized())
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> IndexFilter {
        var r = ByteReader(bytes)
        guard try r.u8() == 1 else { throw ByteReader.Malformed() }
        let capacity = Int(try r.u32())
        let count = Int(try r.u32())
        let bloom = try BloomFilter(serialized: Array(bytes[r.offset...]))
        var f = IndexFilter(capacity: 0)
        f.capacity = capacity
        f.count = count
        f.bloom = bloom
        return f
    }

    static func epoch(of bucket: Int64) -> Int64 { floorDiv(bucket, epochWidth) }
    static func buckets(of epoch: Int64) -> ClosedRange<Int64> { (epoch * epochWidth)...(epoch * epochWidth + epochWidth - 1) }
}

extension MessageFields {
    /// The fields search uses, read from a stored message.
    init(_ m: Segment.Message) {
        if m.item != nil {
            self = MessageFields.ofItem(m)
            return
        }
        let e = MessageExtract.extract(m.json)
        var text = e.text
        if !e.extra.isEmpty { text += "\n" + e.extra.joined(separator: "\n") }
        self.init(ts: m.ts, user: e.author, text: text, threadTS: e.threadTS, replyCount: e.replyCount,
                  hasFiles: e.hasFiles, hasReactions: e.hasReactions, subtype: e.subtype)
        fileIDs = e.fileIDs
    }
}

extension MessageFields {
    /// Keys whose strings are not text a person wrote or reads: ids, links, types, tokens.
    static let itemSkippedKeys: Set<String> = ["id", "mimetype", "filetype", "mode", "pretty_type", "external_type", "permalink",
                                                "permalink_public", "url_private", "url_private_download", "editor", "team", "user_team",
                                                "date", "created", "timestamp", "updated", "ts", "user", "type",
                                                "channel", "channels", "groups", "ims", "linked_channel_id"]

    /// An item's fields (format 9): its author (`user`, else `user_id`) and, as its text, every
    /// string of its JSON one per line except ids, links and types (`itemSkippedKeys`, keys ending
    /// in `_id`, `url…`, `thumb…`): the title and content of a canvas, the rows of a list, the
    /// lines of a transcript, whatever their shape.
    static func ofItem(_ m: Segment.Message) -> MessageFields {
        var lines: [String] = []
        var user: String?
        func walk(_ v: JSONValue, key: String?, depth: Int) {
            guard depth < 64, lines.count < 10_000 else { return }
            switch v {
            case .string(let s):
                if let key, MessageFields.itemSkippedKeys.contains(key) || key.hasSuffix("_id") || key.hasPrefix("url") || key.hasPrefix("thumb") { return }
                if !s.isEmpty { lines.append(s) }
            case .array(let a): for e in a { walk(e, key: key, depth: depth + 1) }
            case .object(let members): for (k, e) in members { walk(e, key: k, depth: depth + 1) }
            default: break
            }
        }
        let value = try? JSONValue.parse(m.json)
        if let value {
            walk(value, key: nil, depth: 0)
            user = value["user"]?.stringValue ?? value["user_id"]?.stringValue
        }
        var f = MessageFields(ts: m.ts, user: user, text: lines.joined(separator: "\n"))
        f.itemFile = m.item?.file
        return f
    }
}

/// What a message puts in its epoch's filter, as term hashes: exactly the terms of
/// `Tokenizer.indexTerms(of:)`, computed faster.
///
/// Text with Slack markup (`<…>`, `&amp;`) is rendered first, as the tokenizer's
/// path does, because rendering can join words (`<@U1|ann>42` → `@ann42`). Then the
/// text is cut at ASCII separators (not letters or digits) that are followed by an
/// ASCII byte: such a byte is a grapheme of its own and a separator, and no Unicode
/// normalisation or case mapping reaches across it, so each piece folds and
/// tokenizes on its own exactly as in the whole. Pure-ASCII pieces (most of chat)
/// fold by lowercasing and their terms are the runs of letters and digits, hashed
/// straight from the bytes; only pieces holding non-ASCII go through
/// `TextFolding` and `Tokenizer`.
enum IndexTerms {
    /// The terms of non-ASCII pieces already folded, by the piece's bytes: folding (NFKD, case
    /// mapping, NFC) is the costliest step of indexing, and a chat's words repeat. Exact: a
    /// piece's terms depend on its bytes alone. One per thread; bounded (emptied when full).
    final class PieceCache {
        private var terms: [[UInt8]: [BloomFilter.TermHash]] = [:]
        private let limit: Int

        init(limit: Int = 32_768) { self.limit = limit }

        func terms(of piece: UnsafeBufferPointer<UInt8>) -> [BloomFilter.TermHash] {
            let key = Array(piece)
            if let known = terms[key] { return known }
            let made = Tokenizer.terms(TextFolding.fold(String(decoding: piece, as: UTF8.self))).map(BloomFilter.termHash)
            if terms.count >= limit { terms.removeAll(keepingCapacity: true) }
            terms[key] = made
            return made
        }
    }

    static func add(_ m: MessageFields, to set: inout Set<BloomFilter.TermHash>, cache: PieceCache? = nil) {
        var text = m.text
        let hasMarkup = text.utf8.contains { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") }
        if hasMarkup { text = m.searchableText }
        addText(text, to: &set, cache: cache)
        if !m.attachedText.isEmpty { addText(m.attachedText, to: &set, cache: cache) }
        for p in Tokenizer.pseudoTerms(of: m) { set.insert(BloomFilter.termHash(p)) }
    }

    /// The terms of plain text (no markup is rendered).
    static func addText(_ s: String, to set: inout Set<BloomFilter.TermHash>, cache: PieceCache? = nil) {
        var text = s
        text.withUTF8 { buf in
            var pieceStart = 0
            var pieceASCII = true
            var i = 0
            let n = buf.count
            while i < n {
                let b = buf[i]
                if b >= 0x80 {
                    pieceASCII = false
                } else if !isAlnum(b) && (i + 1 == n || buf[i + 1] < 0x80) {
                    addPiece(UnsafeBufferPointer(rebasing: buf[pieceStart..<i]), ascii: pieceASCII, to: &set, cache: cache)
                    pieceStart = i + 1
                    pieceASCII = true
                }
                i += 1
            }
            addPiece(UnsafeBufferPointer(rebasing: buf[pieceStart..<n]), ascii: pieceASCII, to: &set, cache: cache)
        }
    }

    @inline(__always)
    static func isAlnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) }

    private static func addPiece(_ piece: UnsafeBufferPointer<UInt8>, ascii: Bool, to set: inout Set<BloomFilter.TermHash>, cache: PieceCache?) {
        guard !piece.isEmpty else { return }
        if !ascii, let cache {
            set.formUnion(cache.terms(of: piece))
            return
        }
        if !ascii {
            for t in Tokenizer.terms(TextFolding.fold(String(decoding: piece, as: UTF8.self))) { set.insert(BloomFilter.termHash(t)) }
            return
        }
        var word: [UInt8] = []
        word.reserveCapacity(32)
        func flush() {
            guard !word.isEmpty else { return }
            let h = word.withUnsafeBufferPointer { BloomFilter.termHash(utf8: $0) }
            set.insert(h)
            word.removeAll(keepingCapacity: true)
        }
        for b in piece {
            if isAlnum(b) { word.append(b >= 0x41 && b <= 0x5A ? b + 0x20 : b) } else { flush() }
        }
        flush()
    }
}

extension IndexTerms {
    /// The filter's test on one message, exactly and cheaply: false when `m` certainly lacks
    /// a term of some group of `SearchQuery.requiredIndexTerms`, so it cannot match.
    ///
    /// Only ASCII text is decided here (after rendering markup, as indexing does): there a
    /// term is a lowercase run of letters and digits, so "t is a term" is "t occurs, case
    /// aside, with no letter or digit on either side", found without building any term.
    /// Non-ASCII text returns true and is left to the matcher.
    ///
    /// `phrases` (the query's required patterns of several terms, `SearchQuery.requiredPhrases`) are
    /// checked there too, as runs of consecutive terms: in ASCII text that is exact, so a phrase
    /// query's candidates that hold its words apart never reach the matcher's folding and tokenizing.
    static func mayMatch(_ m: MessageFields, groups: [[String]], phrases: [SearchQuery.TermPattern] = []) -> Bool {
        guard !groups.isEmpty else { return true }
        func isPseudo(_ term: String) -> Bool { term.utf8.contains(UInt8(ascii: ":")) }
        var pseudo: Set<String>?
        func hasPseudo(_ term: String) -> Bool {
            if pseudo == nil { pseudo = Set(Tokenizer.pseudoTerms(of: m)) }
            return pseudo!.contains(term)
        }
        // Groups of pseudo-terms only (from:, is:thread, has:…) first: they need no text, and
        // a query naming an author rejects most messages here, before any markup is rendered.
        for group in groups where group.allSatisfy(isPseudo) {
            guard group.contains(where: hasPseudo) else { return false }
        }
        guard groups.contains(where: { !$0.allSatisfy(isPseudo) }) else { return true }
        var text = m.text
        let hasMarkup = text.utf8.contains { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") }
        if hasMarkup { text = m.searchableText }
        if !m.attachedText.isEmpty { text += "\n" + m.attachedText }
        return text.withUTF8 { buf -> Bool in
            guard buf.allSatisfy({ $0 < 0x80 }) else { return true }
            for group in groups where !group.allSatisfy(isPseudo) {
                guard group.contains(where: { isPseudo($0) ? hasPseudo($0) : containsWord(buf, $0) }) else { return false }
            }
            for p in phrases where !containsPhrase(buf, p) { return false }
            return true
        }
    }

    /// Whether `pattern`'s terms occur as consecutive runs of letters and digits of ASCII `text`,
    /// case aside (the last one as a prefix of its run when `pattern.isPrefix`): exactly
    /// `pattern.occurs(in:)` on the text's folded terms, because an ASCII text's terms are its
    /// lowercased runs of letters and digits. A term that is not lowercase ASCII letters and
    /// digits is no term of ASCII text.
    static func containsPhrase(_ text: UnsafeBufferPointer<UInt8>, _ pattern: SearchQuery.TermPattern) -> Bool {
        let words = pattern.terms.map { Array($0.utf8) }
        guard let first = words.first, words.allSatisfy({ !$0.isEmpty && $0.allSatisfy(isAlnum) }) else { return false }
        let n = text.count
        let lastWord = words.count - 1
        /// The end of `w` matched at `i` (a run's start), or nil.
        func match(_ w: [UInt8], at i: Int, prefix: Bool) -> Int? {
            guard i + w.count <= n else { return nil }
            for k in 0..<w.count {
                let b = text[i + k]
                if (b >= 0x41 && b <= 0x5A ? b + 0x20 : b) != w[k] { return nil }
            }
            var end = i + w.count
            if prefix {
                while end < n && isAlnum(text[end]) { end += 1 }
            } else if end < n && isAlnum(text[end]) {
                return nil
            }
            return end
        }
        var i = 0
        while i < n {
            // i is the start of a run of letters and digits.
            guard isAlnum(text[i]) else { i += 1; continue }
            var at = i
            var ok = true
            for (j, w) in words.enumerated() {
                if j > 0 {
                    while at < n && !isAlnum(text[at]) { at += 1 }
                }
                guard let end = match(j == 0 ? first : w, at: at, prefix: j == lastWord && pattern.isPrefix) else { ok = false; break }
                at = end
            }
            if ok { return true }
            while i < n && isAlnum(text[i]) { i += 1 }
        }
        return false
    }

    /// Whether `word` (lowercase ASCII letters and digits) is a whole run of letters and digits in `text`, case aside.
    static func containsWord(_ text: UnsafeBufferPointer<UInt8>, _ word: String) -> Bool {
        let w = Array(word.utf8)
        guard !w.isEmpty, w.count <= text.count, w.allSatisfy(isAlnum) else { return false }
        let last = text.count - w.count
        var i = 0
        while i <= last {
            if i > 0 && isAlnum(text[i - 1]) {
                i += 1
                continue
            }
            var k = 0
            while k < w.count {
                let b = text[i + k]
                if (b >= 0x41 && b <= 0x5A ? b + 0x20 : b) != w[k] { break }
                k += 1
            }
            if k == w.count && (i + k == text.count || !isAlnum(text[i + k])) { return true }
            i += 1
        }
        return false
    }
}
