/// Where an export's files come from: a zip archive or an unpacked folder.
///
/// Entries are files only, named by relative paths with `/` separators and no
/// `.`/`..`/empty components. Anything unsafe or irrelevant (symlinks,
/// `__MACOSX/`, `.DS_Store`, traversal) is left out when listing, with a
/// warning where a person should hear about it. Reading counts the bytes
/// actually produced against `ImportLimits`.
public protocol ExportSource: AnyObject, Sendable {
    /// The file or folder name, for messages.
    var displayName: String { get }
    /// Every file entry, in the order found.
    var entries: [String] { get }
    /// Warnings produced while listing.
    var listingWarnings: [ImportWarning] { get }
    /// The whole entry, refusing more than `maxBytes` (and the source's overall limits).
    func read(_ path: String, maxBytes: Int) throws -> [UInt8]
    /// The first `count` bytes of an entry, or nil when it cannot be read (for recognising formats).
    func head(_ path: String, count: Int) -> [UInt8]?
    /// The entry's bytes in pieces (an attachment of any size, never held whole), refusing
    /// more than `maxBytes`; the source's overall limits (total, zip ratio) apply as in `read`.
    func stream(_ path: String, maxBytes: Int64, _ consumer: ([UInt8]) throws -> Void) throws
    /// The entry's size as the source states it (a zip's header, a file's stat), for progress.
    func statedSize(_ path: String) -> Int64?
}

/// Path hygiene shared by the sources.
enum ExportPath {
    enum Verdict: Equatable {
        case file(String)
        /// Not a file worth reporting (directory, macOS metadata): skip silently.
        case ignore
        /// Unsafe or unusable: skip with this reason.
        case refuse(String)
    }

    /// Normalises an entry name: `\` → `/`, drops `.` and empty components,
    /// refuses absolute paths, drive letters and `..` components.
    static func classify(_ raw: String) -> Verdict {
        let name = raw.replacingOccurrences(of: "\\", with: "/")
        if name.hasSuffix("/") { return .ignore }
        if name.hasPrefix("/") { return .refuse("absolute path") }
        let parts = name.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        guard let last = parts.last else { return .ignore }
        if let first = parts.first, first.count == 2, first.hasSuffix(":") { return .refuse("absolute path") }
        if parts.contains("..") { return .refuse("path escapes the export (\"..\")") }
        if parts.contains("__MACOSX") || last == ".DS_Store" || last.hasPrefix("._") { return .ignore }
        if name.utf8.contains(0) { return .refuse("NUL in entry name") }
        return .file(parts.joined(separator: "/"))
    }
}

extension ExportSource {
    /// By default the whole entry is read (bounded by the source's limits) and cut.
    public func head(_ path: String, count: Int) -> [UInt8]? {
        (try? read(path, maxBytes: Int.max)).map { Array($0.prefix(count)) }
    }

    /// By default the whole entry is read, then handed over (sources held in memory).
    public func stream(_ path: String, maxBytes: Int64, _ consumer: ([UInt8]) throws -> Void) throws {
        try consumer(read(path, maxBytes: Int(clamping: maxBytes)))
    }

    public func statedSize(_ path: String) -> Int64? { nil }
}
