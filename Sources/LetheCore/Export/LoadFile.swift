import Foundation

/// The load file beside a production (`loadfile.csv`): one row per produced file, so a
/// reviewer can check with `sha256sum` that nothing was lost or changed in transit.
///
/// RFC 4180 CSV, UTF-8, CRLF: a header, then `file,conversation_id,conversation,begin,end,events,sha256`
/// in the order the files were written. `file` is relative to the production folder;
/// `begin`/`end` are the first and last event's time (ISO 8601 UTC, whole seconds);
/// `sha256` is hex.
public struct LoadFile: Sendable {
    public static let fileName = "loadfile.csv"
    public static let header = ["file", "conversation_id", "conversation", "begin", "end", "events", "sha256"]

    public struct Row: Codable, Sendable, Equatable {
        public var file: String
        public var conversationID: String
        public var conversation: String
        public var begin: String
        public var end: String
        public var events: Int
        public var sha256: String
    }

    public private(set) var rows: [Row] = []

    public init() {}

    mutating func append(_ row: Row) { rows.append(row) }

    /// The file's bytes.
    public var encoded: [UInt8] {
        var lines = [LoadFile.header.joined(separator: ",")]
        for r in rows {
            lines.append([r.file, r.conversationID, r.conversation, r.begin, r.end, String(r.events), r.sha256].map(LoadFile.field).joined(separator: ","))
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// A field quoted when it holds a comma, a quote or a line break (quotes doubled).
    static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

}
