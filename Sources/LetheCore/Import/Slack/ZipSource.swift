import Foundation

/// A Slack export zip, read in place (nothing is ever extracted to disk).
///
/// Entry names: `\` becomes `/`; bytes are decoded as UTF-8 when valid, else
/// as CP437 (Slack does not set the UTF-8 flag). `__MACOSX/`, `.DS_Store`,
/// directory and symlink entries are skipped; absolute and `..` names are
/// skipped with a warning; of duplicate names the first wins (warning).
/// Reading counts bytes actually inflated, against the per-entry, total and
/// ratio limits, so a lying header cannot slip a zip bomb past them.
public final class ZipSource: ExportSource, @unchecked Sendable {
    public let displayName: String
    public let listingWarnings: [ImportWarning]
    private let zip: ZipReader
    private let index: ZipIndex
    private let budget: ReadBudget

    /// Made from the index at each call (the importer lists entries only while it opens the
    /// export), so the names are not held twice, as strings, for the whole import.
    public var entries: [String] { index.paths }

    /// Uncompressed size above which the compression ratio is checked.
    static let ratioThreshold = 1 << 20

    public init(_ url: URL, limits: ImportLimits = .init()) throws {
        displayName = url.lastPathComponent
        budget = ReadBudget(limits: limits)
        do {
            zip = try ZipReader(path: url.path)
        } catch {
            throw LetheError(.badInput, "\(url.lastPathComponent): not a readable zip archive (\(error))")
        }
        var index = ZipIndex()
        var seen = Set<String>()
        var warnings: [ImportWarning] = []
        for entry in zip.entries {
            let name = ZipSource.decodeName(entry)
            switch ExportPath.classify(name) {
            case .ignore:
                continue
            case .refuse(let reason):
                warnings.append(ImportWarning(file: ZipSource.printable(name), reason: "\(reason), skipped"))
            case .file(let path):
                if entry.isSymlink {
                    warnings.append(ImportWarning(file: path, reason: "symbolic link entry, skipped"))
                } else if entry.isDirectory {
                    continue
                } else if !seen.insert(path).inserted {
                    warnings.append(ImportWarning(file: path, reason: "duplicate entry name, the first one is used"))
                } else {
                    index.append(path, entry)
                }
            }
        }
        zip.releaseListing()
        index.finish()
        self.index = index
        self.listingWarnings = warnings
    }

    /// UTF-8 when the name bytes are valid UTF-8 (flag or not), else CP437.
    static func decodeName(_ entry: ZipReader.Entry) -> String {
        if let utf8 = String(validating: entry.nameBytes, as: UTF8.self) { return utf8 }
        return CP437.decode(entry.nameBytes)
    }

    /// A name safe to print: control characters replaced.
    static func printable(_ name: String) -> String {
        String(String.UnicodeScalarView(name.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }

    public func read(_ path: String, maxBytes: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        // The header may lie: reserve at most 64 MiB up front, grow as bytes really arrive.
        if let entry = index.entry(path) { bytes.reserveCapacity(Int(min(entry.uncompressedSize, UInt64(min(maxBytes, budget.limits.maxFileBytes, 64 << 20))))) }
        try inflate(path, cap: Int64(min(maxBytes, budget.limits.maxFileBytes))) { bytes.append(contentsOf: $0) }
        return bytes
    }

    public func stream(_ path: String, maxBytes: Int64, _ consumer: ([UInt8]) throws -> Void) throws {
        try inflate(path, cap: maxBytes, consumer)
    }

    public func statedSize(_ path: String) -> Int64? { index.entry(path).map { Int64(clamping: $0.uncompressedSize) } }

    /// Inflates an entry, judging the declared sizes before anything is inflated, then the
    /// bytes as they really arrive (size cap, compression ratio, the export's total).
    private func inflate(_ path: String, cap: Int64, _ consumer: ([UInt8]) throws -> Void) throws {
        guard let entry = index.entry(path) else { throw LetheError(.badInput, "\(displayName): \(path): no such entry") }
        let maxRatio = budget.limits.maxCompressionRatio
        let compressed = max(entry.compressedSize, 1)
        let name = displayName
        func tooBig() -> LetheError { LetheError(.badInput, "\(name): \(path): uncompressed size over the limit of \(cap) bytes") }
        func bomb() -> LetheError { LetheError(.badInput, "\(name): \(path): compression ratio over \(maxRatio):1 (zip bomb?)") }
        if entry.uncompressedSize > UInt64(cap) { throw tooBig() }
        if entry.uncompressedSize > UInt64(ZipSource.ratioThreshold), entry.uncompressedSize / compressed > UInt64(maxRatio) { throw bomb() }
        var total: Int64 = 0
        do {
            try zip.read(entry) { chunk in
                total += Int64(chunk.count)
                if total > cap { throw tooBig() }
                if total > Int64(ZipSource.ratioThreshold), UInt64(total) / compressed > UInt64(maxRatio) { throw bomb() }
                try self.budget.charge(chunk.count, entry: path, source: self.displayName)
                try consumer(chunk)
            }
        } catch let error as LetheError {
            throw error
        } catch {
            throw LetheError(.badInput, "\(displayName): \(path): \(error)")
        }
    }
}

/// A zip's kept entries: their paths back to back in one buffer, in the order found, with
/// where each entry's bytes are, and an order by name for lookup (binary search on the
/// UTF-8 bytes). About 110 bytes an entry with its name, where a `[String: Entry]`
/// dictionary and an array of the paths took ~230: at 300,000 day files, ~35 MB held
/// for the whole import.
struct ZipIndex {
    private struct Slot {
        var start: Int
        var count: Int32
        var entry: ZipReader.Entry
    }

    private var names: [UInt8] = []
    private var slots: [Slot] = []
    private var byName: [Int32] = []

    /// Adds an entry (paths must be distinct); its name bytes are not kept.
    mutating func append(_ path: String, _ entry: ZipReader.Entry) {
        var located = entry
        located.nameBytes = []
        let start = names.count
        names.append(contentsOf: path.utf8)
        slots.append(Slot(start: start, count: Int32(names.count - start), entry: located))
    }

    /// Sorts the lookup order; call once, after the last `append`.
    mutating func finish() {
        names.withUnsafeBufferPointer { buffer in
            let slots = self.slots
            byName = Array(0..<Int32(slots.count)).sorted {
                Self.compare(buffer, slots[Int($0)], buffer, slots[Int($1)].start, Int(slots[Int($1)].count)) < 0
            }
        }
        // Drop what growing left spare (up to half of each).
        names = names.withUnsafeBufferPointer { Array($0) }
        slots = slots.withUnsafeBufferPointer { Array($0) }
    }

    /// Every path, in the order found.
    var paths: [String] {
        names.withUnsafeBufferPointer { buffer in
            slots.map { String(decoding: UnsafeBufferPointer(rebasing: buffer[$0.start..<($0.start + Int($0.count))]), as: UTF8.self) }
        }
    }

    /// The entry named `path`. Names are matched by their bytes, as a folder's are by the file
    /// system; a path with accents is tried again composed and decomposed, because a message
    /// may name a file in the other form than the zip's entry (macOS writes decomposed names).
    func entry(_ path: String) -> ZipReader.Entry? {
        if let found = exactly(path) { return found }
        guard path.utf8.contains(where: { $0 >= 0x80 }) else { return nil }
        for form in [path.precomposedStringWithCanonicalMapping, path.decomposedStringWithCanonicalMapping]
        where !form.utf8.elementsEqual(path.utf8) {
            if let found = exactly(form) { return found }
        }
        return nil
    }

    private func exactly(_ path: String) -> ZipReader.Entry? {
        var key = path
        return key.withUTF8 { k in
            names.withUnsafeBufferPointer { buffer in
                var lo = 0, hi = byName.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    let slot = slots[Int(byName[mid])]
                    let c = Self.compare(buffer, slot, k, 0, k.count)
                    if c == 0 { return slot.entry }
                    if c < 0 { lo = mid + 1 } else { hi = mid }
                }
                return nil
            }
        }
    }

    /// The slot's name against `count` bytes of `other` from `start`: <0, 0, >0, by bytes.
    private static func compare(_ names: UnsafeBufferPointer<UInt8>, _ slot: Slot,
                                _ other: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int {
        let a = Int(slot.count)
        let n = min(a, count)
        if n > 0, let p = names.baseAddress, let q = other.baseAddress {
            let c = memcmp(p + slot.start, q + start, n)
            if c != 0 { return Int(c) }
        }
        return a - count
    }
}

/// IBM code page 437, the zip default for names without the UTF-8 flag.
enum CP437 {
    static let high: [Unicode.Scalar] = Array(
        "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{A0}"
            .unicodeScalars)

    static func decode(_ bytes: [UInt8]) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes {
            s.append(b < 0x80 ? Unicode.Scalar(b) : high[Int(b - 0x80)])
        }
        return String(s)
    }
}
