import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// slackdump's own formats (its SQLite database, its chunk archive of `*.json.gz`
/// files, its "dump" of one JSON object per conversation), recognised by their
/// contents so that `lethe import` can refuse them in one clear line instead of
/// importing nothing. Names alone never decide: each shape is checked by bytes.
enum SlackdumpShape: String {
    case database = "a SQLite database (slackdump's archive format)"
    case chunks = "a slackdump chunk archive (*.json.gz files)"
    case dump = "a slackdump dump (one JSON object per conversation)"

    static let sqliteMagic = Array("SQLite format 3\u{0}".utf8)

    /// The one-line refusal for `name`.
    func refusal(_ name: String) -> LetheError {
        LetheError(.badInput, "\(name): \(rawValue), not a Slack export; Lethe reads Slack-format exports: convert it first (`slackdump convert -f export -o export.zip \(name)`), then import export.zip")
    }

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

    /// The shape of a source that holds no Slack day files, or nil when it is none of slackdump's.
    static func detect(_ source: any ExportSource, limits: ImportLimits) -> SlackdumpShape? {
        // Shallow entries only: the format's files sit at its top (or one folder down, in a zip of it).
        let shallow = source.entries.filter { $0.split(separator: "/").count <= 2 }
        for path in shallow {
            if let head = source.head(path, count: 16), head == sqliteMagic { return .database }
        }
        for path in shallow where path.hasSuffix(".json.gz") {
            if let head = source.head(path, count: 2), head == [0x1f, 0x8b] { return .chunks }
        }
        for path in shallow where path.hasSuffix(".json") {
            guard let bytes = try? source.read(path, maxBytes: limits.maxFileBytes),
                  let value = try? JSONValue.parse(bytes, limits: limits), value.objectValue != nil,
                  value["messages"]?.arrayValue != nil
            else { continue }
            return .dump
        }
        return nil
    }
}
