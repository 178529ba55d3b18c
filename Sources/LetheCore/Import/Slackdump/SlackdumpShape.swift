import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// slackdump's own formats (its SQLite database, its chunk archive of `*.json.gz` files, its
/// "dump" of one JSON object per conversation), recognised by their contents, never by names
/// alone: each shape is checked by bytes. docs/EXPORT.md, "slackdump's formats".
enum SlackdumpShape: String {
    case database = "slackdump's SQLite archive"
    case chunks = "a slackdump chunk archive (*.json.gz)"
    case dump = "a slackdump dump (one JSON object per conversation)"

    static let sqliteMagic = Array("SQLite format 3\u{0}".utf8)

    /// The first `count` bytes of a plain file (nil when it cannot be opened as one).
    static func head(ofFile path: String, count: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, count) }
        guard n >= 0 else { return nil }
        return Array(bytes.prefix(n))
    }

    /// The shape of a source that holds no Slack day files, and the entry that shows it (the
    /// format's files are in that entry's folder), or nil when it is none of slackdump's.
    static func detect(_ source: any ExportSource, limits: ImportLimits) -> (shape: SlackdumpShape, marker: String)? {
        // Shallow entries only: the format's files sit at its top (or one folder down, in a zip of it).
        let shallow = source.entries.filter { $0.split(separator: "/").count <= 2 }
        for path in shallow {
            if let head = source.head(path, count: 16), head == sqliteMagic { return (.database, path) }
        }
        for path in shallow where path.hasSuffix(".json.gz") {
            if let head = source.head(path, count: 2), head == [0x1f, 0x8b] { return (.chunks, path) }
        }
        for path in shallow where path.hasSuffix(".json") {
            guard let name = path.split(separator: "/").last, SlackdumpDump.conversationFile(String(name)) != nil,
                  let bytes = try? source.read(path, maxBytes: limits.maxFileBytes),
                  let value = try? JSONValue.parse(bytes, limits: limits), value.objectValue != nil,
                  (value["messages"] ?? value["Messages"])?.arrayValue != nil
            else { continue }
            return (.dump, path)
        }
        return nil
    }

    /// The folder of `marker` inside its source, as a prefix (`""` or `"folder/"`).
    static func folder(of marker: String) -> String {
        marker.split(separator: "/").dropLast().map { $0 + "/" }.joined()
    }

    /// Opens the format found in `source` (a folder or zip) as an export source.
    static func source(in source: any ExportSource, limits: ImportLimits) throws -> SlackdumpSource? {
        guard let (shape, marker) = detect(source, limits: limits) else { return nil }
        let prefix = folder(of: marker)
        switch shape {
        case .dump:
            return SlackdumpSource(displayName: source.displayName, reader: try SlackdumpDump(source: source, prefix: prefix, limits: limits), files: source)
        case .chunks:
            return SlackdumpSource(displayName: source.displayName, reader: try SlackdumpChunks(source: source, prefix: prefix, limits: limits), files: source)
        case .database:
            guard let folder = source as? DirectorySource else {
                throw LetheError(.badInput, "\(source.displayName): holds \(marker), \(shape.rawValue), inside a zip; SQLite reads a database from a file",
                                 hint: "unzip it and import the folder (or the .sqlite file)")
            }
            let reader = try SlackdumpDatabase(path: folder.root.appendingPathComponent(marker).path, displayName: marker, limits: limits)
            return SlackdumpSource(displayName: source.displayName, reader: reader, files: source, prefix: prefix, database: marker)
        }
    }

    /// Opens a database file given by itself; its files are read from `__uploads/` beside it.
    static func source(database url: URL, limits: ImportLimits) throws -> SlackdumpSource {
        let reader = try SlackdumpDatabase(path: url.path, displayName: url.lastPathComponent, limits: limits)
        let uploads = url.deletingLastPathComponent().appendingPathComponent("__uploads")
        var isDirectory: ObjCBool = false
        let files: (any ExportSource)? = FileManager.default.fileExists(atPath: uploads.path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? PrefixedSource(try DirectorySource(uploads, limits: limits), prefix: "__uploads/") : nil
        return SlackdumpSource(displayName: url.lastPathComponent, reader: reader, files: files, prefix: "", database: nil)
    }
}
