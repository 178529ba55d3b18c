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
    public let entries: [String]
    public let listingWarnings: [ImportWarning]
    private let zip: ZipReader
    private let byPath: [String: ZipReader.Entry]
    private let budget: ReadBudget

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
        var entries: [String] = []
        var byPath: [String: ZipReader.Entry] = [:]
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
                } else if byPath[path] != nil {
                    warnings.append(ImportWarning(file: path, reason: "duplicate entry name, the first one is used"))
                } else {
                    // The name is kept once, as `path`; the entry keeps where its bytes are.
                    var located = entry
                    located.nameBytes = []
                    byPath[path] = located
                    entries.append(path)
                }
            }
        }
        zip.releaseListing()
        self.entries = entries
        self.byPath = byPath
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
        if let entry = byPath[path] { bytes.reserveCapacity(Int(min(entry.uncompressedSize, UInt64(min(maxBytes, budget.limits.maxFileBytes, 64 << 20))))) }
        try inflate(path, cap: Int64(min(maxBytes, budget.limits.maxFileBytes))) { bytes.append(contentsOf: $0) }
        return bytes
    }

    public func stream(_ path: String, maxBytes: Int64, _ consumer: ([UInt8]) throws -> Void) throws {
        try inflate(path, cap: maxBytes, consumer)
    }

    public func statedSize(_ path: String) -> Int64? { byPath[path].map { Int64(clamping: $0.uncompressedSize) } }

    /// Inflates an entry, judging the declared sizes before anything is inflated, then the
    /// bytes as they really arrive (size cap, compression ratio, the export's total).
    private func inflate(_ path: String, cap: Int64, _ consumer: ([UInt8]) throws -> Void) throws {
        guard let entry = byPath[path] else { throw LetheError(.badInput, "\(displayName): \(path): no such entry") }
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
