import Foundation
@_spi(Fuzzing) import LetheCore
import ZIPFoundation

/// The generated part of the seed corpus (`lethe-fuzz write-seeds DIR`): inputs that
/// need the real encoders (zips, sealed envelopes, segments, records) or are easier
/// to keep as code. Policies and queries are plain files in Tests/FuzzCorpus.
public enum SeedCorpus {
    public struct Seed: Sendable {
        public var target: FuzzTarget
        public var name: String
        public var bytes: [UInt8]
    }

    static let channels = #"[{"id":"C0001","name":"general","is_archived":false,"members":["U0001","U0002"]},{"id":"C0002","name":"proj-x","is_archived":"1"}]"#
    static let users = #"[{"id":"U0001","name":"alice","real_name":"Alice","profile":{"display_name":"ali"}},{"id":"U0002","name":"bob","profile":{"real_name":"Bob \u00e9"}}]"#
    static let dms = #"[{"id":"D0001","members":["U0001","U0002"]}]"#
    static let mpims = #"[{"id":"G0003","name":"mpdm-alice--bob-1","members":["U0001","U0002"]}]"#
    static let day1 = """
    [
      {"type":"message","user":"U0001","text":"hello <@U0002> caf\\u00e9 \\ud83d\\ude00","ts":"1704067200.000100"},
      {"type":"message","user":"U0002","text":"reply","ts":"1704067260.000200","thread_ts":"1704067200.000100",
       "edited":{"user":"U0002","ts":"1704067300.000000"},"reactions":[{"name":"tada","count":1,"users":["U0001"]}]},
      {"type":"message","subtype":"bot_message","bot_id":"B1","text":"x","ts":"1704067400.5","user":null},
      {"type":"message","text":"no ts"},
      42
    ]
    """
    static let day2 = #"[{"type":"message","user":"U0002","text":"files","ts":"1704153600.000001","files":[{"id":"F1","name":"a b.pdf"}],"n":-1.5e+3}]"#

    public static func seeds() throws -> [Seed] {
        var out: [Seed] = []
        func add(_ target: FuzzTarget, _ name: String, _ bytes: [UInt8]) { out.append(Seed(target: target, name: name, bytes: bytes)) }
        let utf8 = { (s: String) in Array(s.utf8) }

        // Export reader, mode 0: zips.
        let files: [(String, String)] = [
            ("channels.json", channels), ("users.json", users), ("dms.json", dms), ("mpims.json", mpims),
            ("general/2024-01-01.json", day1), ("general/2024-01-02.json", day2), ("D0001/2024-01-01.json", day2),
        ]
        add(.exportReader, "zip-deflated", [0] + (try zip(files, compress: true)))
        add(.exportReader, "zip-stored", [0] + (try zip(files, compress: false)))
        add(.exportReader, "zip-nested-root", [0] + (try zip([("export/channels.json", channels), ("export/general/2024-01-01.json", day2),
                                                              ("__MACOSX/export/._channels.json", "x"), ("../evil.json", "[]")], compress: true)))
        add(.exportReader, "zip-users-only", [0] + (try zip([("org_users.json", users), ("D0001/2024-01-01.json", day1)], compress: true)))

        // Mode 1: an export in memory (files split at 0x1E; day files start with their path).
        let sep = "\u{1E}"
        add(.exportReader, "memory-export", [1] + utf8([channels, users, "", dms, mpims,
                                                        "general/2024-01-01.json\n" + day1, "general/2024-01-02.json\n" + day2,
                                                        "D0001/2024-01-01.json\n" + day2, "G0003/2024-01-01.json\n[]"].joined(separator: sep)))
        add(.exportReader, "memory-minimal", [1] + utf8([channels, "", "", "", "", "general/2024-01-01.json\n" + day2].joined(separator: sep)))
        // A slackdump dump (no day files: one object per conversation, replies nested, a thread file).
        let dumped = #"{"channel_id":"C0001","name":"general","messages":[{"type":"message","user":"U0001","text":"p","ts":"1704067200.000100","thread_ts":"1704067200.000100","slackdump_thread_replies":[{"type":"message","user":"U0002","text":"r","ts":"1704067260.000200","thread_ts":"1704067200.000100"}]},7]}"#
        add(.exportReader, "memory-slackdump-dump", [1] + utf8([channels, users, "", "", "", "C0001.json\n" + dumped,
                                                                "C0001-1704067200.000100.json\n" + #"{"messages":[{"ts":"1704067300.000300","text":"t"}]}"#,
                                                                "D0001.json\n" + #"{"ChannelID":"D0001","Messages":[{"ts":"x"}]}"#, "C0001/F1-a.txt\nabc"].joined(separator: sep)))

        // Mode 2: single JSON texts.
        let texts = [
            day1, users,
            #"{"a":[1,-0,0.5,1e10,-2.5E-3,true,false,null,{"":""}],"b":"\"\\\/\b\f\n\r\t\u0041\ud834\udd1e"}"#,
            "\u{FEFF}[ \"\u{00E9}\u{6771}\u{4EAC}\" , [[[[[]]]]] ]",
            #"[{"ts":"1.2","edited":{"ts":"3"},"user":"U1","thread_ts":null},{"ts":"1.3","ts":"1.4"}]"#,
            "12345678901234567890.123e-400",
        ]
        for (k, text) in texts.enumerated() { add(.exportReader, "json-\(k)", [2] + utf8(text)) }

        // Record decoder.
        let key = FuzzingCodecs.fixedKey(0x42)
        let kek = FuzzingCodecs.fixedKey(0x24)
        let one = Segment(messages: [
            .init(ts: SlackTimestamp("1704067200.000100")!, fileDay: 19723, editedTS: nil, json: utf8(#"{"type":"message","text":"hi","ts":"1704067200.000100"}"#)),
        ])
        let two = Segment(messages: one.messages + [
            .init(ts: SlackTimestamp("1704067260.5")!, fileDay: 19723, editedTS: "1704067300.000000", json: utf8(#"{"text":"\u00e9","ts":"1704067260.5"}"#)),
        ])
        let onePlain = FuzzingCodecs.encodeSegmentPayload(one)
        let twoPlain = FuzzingCodecs.encodeSegmentPayload(two)
        add(.recordDecoder, "envelope-segment", [0] + FuzzingCodecs.seal(FuzzingCodecs.compress(onePlain), header: 0x02,
                                                                         ad: FuzzingCodecs.segmentAD(messages: 1), key: key))
        add(.recordDecoder, "envelope-user", [0] + FuzzingCodecs.seal(FuzzingCodecs.compress(utf8("u")), header: 0x03,
                                                                      ad: FuzzingCodecs.userRecordAD, key: key))
        add(.recordDecoder, "envelope-wrapped-key", [0] + FuzzingCodecs.wrap(key, under: kek, ad: FuzzingCodecs.bucketKeyAD))
        add(.recordDecoder, "sealed-segment-1", [1, 0x02, 1] + FuzzingCodecs.compress(onePlain))
        add(.recordDecoder, "sealed-segment-2", [1, 0x02, 2] + FuzzingCodecs.compress(twoPlain))
        add(.recordDecoder, "zstd-segment-2", [2, 2] + FuzzingCodecs.compress(twoPlain))
        add(.recordDecoder, "sealed-dictionary-segment-2", [1, 0x07, 2] + FuzzingCodecs.compressWithDictionary(twoPlain))
        add(.recordDecoder, "zstd-dictionary-segment-2", [2, 2] + FuzzingCodecs.compressWithDictionary(twoPlain))
        add(.recordDecoder, "segment-0", [3] + FuzzingCodecs.encodeSegmentPayload(Segment(messages: [])))
        add(.recordDecoder, "segment-2", [3] + twoPlain)
        add(.recordDecoder, "channel-record", [4] + FuzzingCodecs.encodeChannelRecord(Conversation(
            kind: .publicChannel, id: "C0001", name: "general", folder: "general", isArchived: true, rawJSON: utf8(#"{"id":"C0001"}"#))))
        add(.recordDecoder, "channel-record-dm", [4] + FuzzingCodecs.encodeChannelRecord(Conversation(
            kind: .dm, id: "D0001", name: nil, folder: "D0001", isArchived: false, rawJSON: [])))
        add(.recordDecoder, "user-record", [5] + FuzzingCodecs.encodeUserRecord(User(
            id: "U0001", name: "alice", displayName: "Alice", rawJSON: utf8(#"{"id":"U0001"}"#))))
        add(.recordDecoder, "index-filter", [6] + FuzzingCodecs.emptyIndexFilter(capacity: 1))
        return out
    }

    /// A zip made by ZIPFoundation, in memory.
    static func zip(_ files: [(String, String)], compress: Bool) throws -> [UInt8] {
        let archive = try Archive(data: Data(), accessMode: .create)
        for (path, text) in files {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count),
                                 compressionMethod: compress ? .deflate : .none) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return [UInt8](archive.data ?? Data())
    }
}
