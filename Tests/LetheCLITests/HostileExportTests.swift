import Foundation
import LetheCore
import LetheTestSupport
import Testing
import ZIPFoundation

/// Every hostile or broken export of issue #6, imported by the real binary into a fresh
/// archive. Each case either fails the whole import (exit 9, a one-line error naming the
/// export and the file, every archive file byte-identical) or skips what is bad with a
/// warning and a count, imports the rest, and verifies. docs/SECURITY.md lists the same
/// cases with the decision for each.
@Suite(.serialized) struct HostileExportTests {
    enum Outcome {
        /// The import fails with exit 9 and stderr containing this text.
        case fails(String)
        /// The import succeeds: `added` messages, `invalid` skipped as malformed, a warning (or note) containing this text.
        case skips(added: Int, invalid: Int, warning: String)
    }

    static func message(_ ts: String, _ text: String = "hello world") -> String {
        #"{"type":"message","user":"U1","text":"\#(text)","ts":"\#(ts)"}"#
    }

    static let users = #"[{"id":"U1","name":"alice","profile":{"display_name":"Alice"}}]"#
    static let channels = #"[{"id":"C1","name":"general","created":1700000000,"members":["U1"]}]"#
    static let day = "[" + message("1704100000.000100") + "," + message("1704100001.000200", "second") + "]"
    static let base: [(String, Data)] = [("users.json", Data(users.utf8)), ("channels.json", Data(channels.utf8)),
                                         ("general/2024-01-01.json", Data(day.utf8))]

    /// Writes a zip with entry names used verbatim (hostile ones included).
    static func zip(_ url: URL, _ files: [(String, Data)], symlinks: [String] = []) throws {
        let archive = try ZIPFoundation.Archive(url: url, accessMode: .create)
        for (path, data) in files {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        for path in symlinks {
            let target = Data("/etc/passwd".utf8)
            try archive.addEntry(with: path, type: .symlink, uncompressedSize: Int64(target.count)) { position, size in
                target.subdata(in: Int(position)..<Int(position) + size)
            }
        }
    }

    static func withDay(_ json: String) -> [(String, Data)] {
        Array(base.prefix(2)) + [("general/2024-01-01.json", Data(json.utf8))]
    }

    /// name → (files of the zip, symlink entries, extra import arguments, outcome).
    static var cases: [(String, [(String, Data)], [String], [String], Outcome)] {
        let wrongTypes = "[" + [
            #"{"type":"message","user":"U1","text":"ts is a number","ts":1704100000.0001}"#,
            #"{"type":"message","user":["U1"],"text":"user is an array","ts":"1704100002.000300"}"#,
            #"{"type":"message","user":"U1","text":"thread_ts is a number","ts":"1704100003.000400","thread_ts":5}"#,
            #"{"type":"message","user":"U1","text":"edited is a string","ts":"1704100006.000700","edited":"yes"}"#,
            #"{"type":"message","user":"U1","text":"ts is not a Slack ts","ts":"not-a-ts"}"#,
            #""a string""#, "42", "null",
            // Fields search only reads: a wrong type counts as absent, the message is kept verbatim.
            #"{"type":"message","user":"U1","text":{"a":1},"ts":"1704100001.000200"}"#,
            #"{"type":"message","user":"U1","text":"reactions is a string","ts":"1704100004.000500","reactions":"x"}"#,
            #"{"type":"message","user":"U1","text":"files is a number","ts":"1704100005.000600","files":3}"#,
            #"{"type":"message","user":"U1","text":"reply_count is a string","ts":"1704100007.000800","reply_count":"many"}"#,
            #"{"type":"message","user":"U1","text":"subtype is a number","ts":"1704100008.000900","subtype":7}"#,
            message("1704100009.001000", "fine"),
        ].joined(separator: ",") + "]"
        return [
            ("dotdot", base + [("../evil/2024-01-01.json", Data(day.utf8))], [], [], .skips(added: 2, invalid: 0, warning: #"../evil/2024-01-01.json: path escapes the export (".."), skipped"#)),
            ("absolute", base + [("/tmp/lethe-evil.json", Data(day.utf8))], [], [], .skips(added: 2, invalid: 0, warning: "/tmp/lethe-evil.json: absolute path, skipped")),
            ("symlink", base, ["general/2024-01-02.json"], [], .skips(added: 2, invalid: 0, warning: "general/2024-01-02.json: symbolic link entry, skipped")),
            ("duplicate-entry", base + [("general/2024-01-01.json", Data(("[" + message("1704100002.000300", "second copy") + "]").utf8))], [], [],
             .skips(added: 2, invalid: 0, warning: "general/2024-01-01.json: duplicate entry name, the first one is used")),
            ("bomb", base + [("general/2024-01-03.json", Data(("[" + String(repeating: " ", count: 8 << 20) + "]").utf8))], [], [],
             .fails("bomb.zip: general/2024-01-03.json: compression ratio over 200:1 (zip bomb?)")),
            ("bomb-size", base + [("general/2024-01-03.json", Data(("[" + String(repeating: " ", count: 8 << 20) + "]").utf8))], [],
             ["--max-ratio", "100000", "--max-file-size", "4M"], .fails("uncompressed size over the limit of 4194304 bytes")),
            ("bomb-total", base + [("general/2024-01-03.json", Data(("[" + String(repeating: " ", count: 8 << 20) + "]").utf8))], [],
             ["--max-ratio", "100000", "--max-total-size", "2M"], .fails("total limit")),
            ("not-json", withDay("this is not json"), [], [], .fails("not-json.zip: general/2024-01-01.json: byte 0:")),
            ("invalid-utf8", Array(base.prefix(2)) + [("general/2024-01-01.json", Data(#"[{"type":"message","user":"U1","ts":"1704100000.000100","text":"caf"#.utf8) + Data([0xE9, 0x20, 0xFF]) + Data(#""}]"#.utf8))], [], [],
             .fails("invalid-utf8.zip: general/2024-01-01.json: byte ")),
            ("deep", withDay(#"[{"type":"message","user":"U1","ts":"1704100000.000100","text":"x","blocks":"# + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}]"),
             [], [], .fails("nesting deeper than 512")),
            ("long-string", withDay(#"[{"type":"message","user":"U1","ts":"1704100000.000100","text":""# + String(repeating: "a", count: 100 << 20) + #""}]"#),
             [], ["--max-ratio", "1000000"], .fails("general/2024-01-01.json: byte ")),
            ("wrong-types", withDay(wrongTypes), [], [], .skips(added: 6, invalid: 8, warning: #"general/2024-01-01.json: element 0: "ts" is not a string"#)),
            ("no-ts", withDay("[" + #"{"type":"message","user":"U1","text":"no ts"}"# + "," + message("1704100001.000200") + "]"), [], [],
             .skips(added: 1, invalid: 1, warning: #"general/2024-01-01.json: element 0: missing "ts""#)),
            ("duplicate-ts", withDay("[" + message("1704100000.000100", "first copy") + "," + message("1704100000.000100", "last copy") + "]"), [], [],
             .skips(added: 1, invalid: 0, warning: "duplicate ts 1704100000.000100 in general: the last copy is kept")),
            ("not-a-date", base + [("general/notadate.json", Data(day.utf8)), ("general/2024-13-45.json", Data(day.utf8))], [], [],
             .skips(added: 2, invalid: 0, warning: "general/2024-13-45.json: name is not a valid day (YYYY-MM-DD.json), skipped")),
            ("no-users", Array(base.dropFirst()), [], [], .skips(added: 2, invalid: 0, warning: "users.json: not in the export")),
            ("no-channels", [base[0], base[2]], [], [], .skips(added: 2, invalid: 0, warning: "general/: no channels.json: imported as the public channel #general")),
            ("unlisted-folder", base + [("secret-room/2024-01-01.json", Data(("[" + message("1704100010.000100", "orphan") + "]").utf8))], [], [],
             .skips(added: 2, invalid: 0, warning: "secret-room/: folder not listed in any metadata file; its 1 day file(s) are skipped")),
            ("users-not-an-array", [("users.json", Data(#"{"not":"an array"}"#.utf8))] + Array(base.dropFirst()), [], [],
             .fails("users-not-an-array.zip: users.json: byte 0: top-level value is not an array")),
        ]
    }

    @Test func everyHostileExportEndsInAClearErrorOrACountedSkip() throws {
        let root = Harness.tempDir("hostile-table")
        for (name, files, symlinks, args, outcome) in Self.cases {
            let zipURL = root.appendingPathComponent("\(name).zip")
            try Self.zip(zipURL, files, symlinks: symlinks)
            let a = try Harness.makeArchive("hostile-\(name)")
            let before = Harness.snapshot(a.dir)
            let r = try Harness.run(["import", "--json", zipURL.path] + args, env: a.env)
            #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrace"), "\(name): no crash: \(r.stderr)")
            switch outcome {
            case .fails(let text):
                #expect(r.status == 9, "\(name): exit \(r.status): \(r.stderr)")
                let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
                #expect(first.hasPrefix("lethe: error: \(name).zip: "), "\(name): one line naming the export: \(r.stderr)")
                #expect(first.contains(text), "\(name): \(r.stderr)")
                #expect(Harness.snapshot(a.dir) == before, "\(name): every archive file as it was")
            case .skips(let added, let invalid, let warning):
                #expect(r.status == 0, "\(name): \(r.stderr)")
                let report = try r.decode(ImportReport.self)
                #expect(report.messagesAdded == added, "\(name): \(r.stdout)")
                #expect(report.messagesSkippedInvalid == invalid, "\(name): \(r.stdout)")
                #expect((report.warnings + report.notes).contains { $0.contains(warning) }, "\(name): \(report.warnings) \(report.notes)")
                #expect(try Harness.run(["verify"], env: a.env).status == 0, "\(name): verify")
                if invalid > 0 {
                    let strict = try Harness.makeArchive("hostile-strict-\(name)")
                    let s = try Harness.run(["import", "--strict", zipURL.path] + args, env: strict.env)
                    #expect(s.status == 9, "\(name): --strict fails: \(s.stderr)")
                }
            }
        }
        // Nothing was written outside the archive by the escaping entries.
        #expect(!FileManager.default.fileExists(atPath: "/tmp/lethe-evil.json"))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("evil").path))
    }

    /// Found by the export-reader fuzz target: a zip whose deflate data runs past the end of the
    /// file made the zip library spin forever. Now one line, at once, and the archive untouched.
    @Test func deflateDataRunningPastTheFileFailsAtOnce() throws {
        let root = Harness.tempDir("hostile-deflate")
        let input = try Data(contentsOf: Repository.fuzzCorpus.appendingPathComponent("export-reader/regress-zip-deflate-runs-past-eof"))
        let zipURL = root.appendingPathComponent("past-eof.zip")
        try input.dropFirst().write(to: zipURL)  // the first byte picks the fuzz target's mode (zip)
        let a = try Harness.makeArchive("hostile-deflate")
        let before = Harness.snapshot(a.dir)
        let started = Date()
        let r = try Harness.run(["import", zipURL.path], env: a.env)
        #expect(Date().timeIntervalSince(started) < 10, "no hang")
        #expect(r.status == 9, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("lethe: error: past-eof.zip: general/2024-01-01.json: deflate data ends before its stream does"), "\(r.stderr)")
        #expect(Harness.snapshot(a.dir) == before)
    }

    /// Folders are read by the same bounded reader: a 100 MB string fails on the string limit.
    @Test func hugeStringInAFolderExportFails() throws {
        let root = Harness.tempDir("hostile-folder")
        let export = root.appendingPathComponent("big-export")
        for (path, data) in Self.base.prefix(2) {
            try FileManager.default.createDirectory(at: export, withIntermediateDirectories: true)
            try data.write(to: export.appendingPathComponent(path))
        }
        try FileManager.default.createDirectory(at: export.appendingPathComponent("general"), withIntermediateDirectories: true)
        var big = Data(#"[{"type":"message","user":"U1","ts":"1704100000.000100","text":""#.utf8)
        big.append(Data(repeating: UInt8(ascii: "a"), count: 100 << 20))
        big.append(Data(#""}]"#.utf8))
        try big.write(to: export.appendingPathComponent("general/2024-01-01.json"))
        let a = try Harness.makeArchive("hostile-folder")
        let before = Harness.snapshot(a.dir)
        let r = try Harness.run(["import", export.path], env: a.env)
        #expect(r.status == 9, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("lethe: error: big-export: general/2024-01-01.json: byte "), "\(r.stderr)")
        #expect(r.stderr.contains("string or number longer than 16777216 bytes"), "\(r.stderr)")
        #expect(Harness.snapshot(a.dir) == before)
    }
}
