import Foundation
import LetheCore

/// The fields of one archived message a page shows, read from its JSON as the export had it.
struct MessageView {
    var ts: SlackTimestamp
    var userID: String?
    /// A name the message itself carries (bots, `user_profile`), used when the directory has none.
    var fallbackName: String?
    var text: String
    var threadTS: String?
    var replyCount: Int
    /// The newest reply's ts, when the parent records it (bounds the search for replies).
    var latestReply: String?
    var replyTS: [String]
    var edited: String?
    var subtype: String?
    var reactions: [(name: String, count: Int, users: [String])]
    var files: [(name: String, mimetype: String?, size: Int?)]

    init(_ m: Segment.Message) {
        ts = m.ts
        edited = m.editedTS
        let v = (try? JSONValue.parse(m.json)) ?? .object([])
        userID = v["user"]?.stringValue
        fallbackName = v["user_profile"]?["display_name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            ?? v["user_profile"]?["real_name"]?.stringValue
            ?? v["bot_profile"]?["name"]?.stringValue ?? v["username"]?.stringValue
        text = v["text"]?.stringValue ?? ""
        threadTS = v["thread_ts"]?.stringValue
        replyCount = v["reply_count"].flatMap(Self.int) ?? 0
        latestReply = v["latest_reply"]?.stringValue
        replyTS = v["replies"]?.arrayValue?.compactMap { $0["ts"]?.stringValue } ?? []
        if edited == nil { edited = v["edited"]?["ts"]?.stringValue }
        subtype = v["subtype"]?.stringValue
        reactions = (v["reactions"]?.arrayValue ?? []).compactMap { r in
            guard let name = r["name"]?.stringValue else { return nil }
            let users = r["users"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return (name, r["count"].flatMap(Self.int) ?? users.count, users)
        }
        files = (v["files"]?.arrayValue ?? []).map { f in
            (f["name"]?.stringValue ?? f["title"]?.stringValue ?? "file", f["mimetype"]?.stringValue, f["size"].flatMap(Self.int))
        }
    }

    /// A parent of replies: its own ts is its thread's.
    var isThreadParent: Bool { threadTS == ts.string && (replyCount > 0 || !replyTS.isEmpty || latestReply != nil) }
    /// A reply: in a thread whose parent is another message.
    var isReply: Bool { threadTS != nil && threadTS != ts.string }

    private static func int(_ v: JSONValue) -> Int? {
        if case .number(let s) = v { return Int(s) ?? Double(s).map { Int($0) } }
        return nil
    }
}
