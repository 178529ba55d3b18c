import Foundation
import Testing
import ZIPFoundation
@testable import LetheCore

/// Builds small exports in a temporary folder, as folders or zips.
struct ExportBuilder {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-reader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func cleanup() { try? FileManager.default.removeItem(at: dir) }

    /// Writes `files` (path → content) under `dir/name` and returns that folder.
    func folder(_ name: String, _ files: [(String, [UInt8])]) throws -> URL {
        let root = dir.appendingPathComponent(name)
        for (path, content) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content).write(to: url)
        }
        return root
    }

    /// Zips `files` (entry name → content, names used verbatim) into `dir/name`.
    func zip(_ name: String, _ files: [(String, [UInt8])], symlinks: [String] = []) throws -> URL {
        let url = dir.appendingPathComponent(name)
        let archive = try Archive(url: url, accessMode: .create)
        for (path, content) in files {
            let data = Data(content)
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
        return url
    }
}

func b(_ s: String) -> [UInt8] { Array(s.utf8) }

let channelsJSON = b("""
    [ {"id":"C1","name":"general","created":"1452837318","is_archived":false,"members":["U1"]},
      {"id":"C2","name":"random","created":1555493778,"is_archived":true} ]
    """)
let usersJSON = b("""
    [ {"id":"U1","name":"ann","real_name":"Ann Real","profile":{"display_name":"annie","real_name":"Ann Real"},"bot_id":null},
      {"id":"U2","name":"bob","real_name":"Bob","profile":{"display_name":""}},
      {"name":"no-id"} ]
    """)
let dayOne = b("""
    [
      {"type":"message","user":"U1","text":"hi \\/ there","ts":"1714550400.000100"},
      {"type":"message","user":"U1","text":"no ts here"},
      {"type":"message","user":"U2","text":"reply","ts":"1714550500.000200","thread_ts":"1714550400.000100","edited":{"user":"U2","ts":"1714550600.000000"}}
    ]
    """)
let dayTwo = b(#"[{"type":"message","user":"U2","text":"x","ts":"1714636800.000001"}]"#)

func standardFiles(prefix: String = "") -> [(String, [UInt8])] {
    [
        (prefix + "channels.json", channelsJSON),
        (prefix + "users.json", usersJSON),
        (prefix + "general/2024-05-02.json", dayTwo),
        (prefix + "general/2024-05-01.json", dayOne),
        (prefix + "general/canvas_in_the_conversation.json", b(#"{"canvas":true}"#)),
        (prefix + "general/2024-02-30.json", b("[]")),
        (prefix + "random/2024-05-01.json", b("[]")),
        (prefix + "orphan/2024-05-01.json", b("[]")),
        ("__MACOSX/" + prefix + "general/._2024-05-01.json", b("junk")),
        (prefix + ".DS_Store", b("junk")),
    ]
}

@Suite struct SlackExportTests {
    func checkStandard(_ export: SlackExport) throws {
        #expect(export.conversations.map(\.id) == ["C1", "C2"])
        #expect(export.conversations.map(\.folder) == ["general", "random"])
        #expect(export.conversations.map(\.kind) == [.publicChannel, .publicChannel])
        #expect(export.conversations.map(\.isArchived) == [false, true])
        #expect(String(decoding: export.conversations[0].rawJSON, as: UTF8.self)
            == #"{"id":"C1","name":"general","created":"1452837318","is_archived":false,"members":["U1"]}"#)
        #expect(export.users.map(\.id) == ["U1", "U2"])
        #expect(export.users.map(\.displayName) == ["annie", "Bob"])
        #expect(export.users.map(\.name) == ["ann", "bob"])

        let general = export.conversations[0]
        let days = export.dayFiles(of: general)
        #expect(days.map(\.path) == ["general/2024-05-01.json", "general/2024-05-02.json"])
        let (messages, skipped) = try export.readMessages(days[0])
        #expect(messages.map(\.ts.string) == ["1714550400.000100", "1714550500.000200"])
        #expect((try? JSONValue.parse(messages[1].json))?["thread_ts"]?.stringValue == "1714550400.000100")
        #expect(messages[1].editedTS == "1714550600.000000")
        #expect(String(decoding: messages[0].json, as: UTF8.self)
            == #"{"type":"message","user":"U1","text":"hi \/ there","ts":"1714550400.000100"}"#)
        #expect(skipped.map(\.description) == [#"general/2024-05-01.json: element 1: missing "ts""#])

        let warnings = export.warnings.map(\.description)
        #expect(warnings.contains { $0.hasPrefix("orphan/: folder not listed") })
        #expect(warnings.contains { $0.hasPrefix("groups.json:") })
        #expect(!warnings.contains { $0.contains("canvas") || $0.contains("MACOSX") || $0.contains("DS_Store") })
        #expect(!warnings.contains { $0.contains("hi") || $0.contains("no ts here") })
    }

    @Test func zipWithRootAtTop() throws {
        let builder = try ExportBuilder()
        defer { builder.cleanup() }
        let url = try builder.zip("export.zip", standardFiles() + [("../evil.json", b("[]")), ("/abs.json", b("[]"))],
                                  symlinks: ["general/2024-05-03.json"])
        let export = try SlackExport.open(url)
        #expect(export.rootPrefix == "")
        try checkStandard(export)
        let warnings = export.warnings.map(\.description)
        #expect(warnings.contains("../evil.json: path escapes the export (\"..\"), skipped"))
        #expect(warnings.contains("/abs.json: absolute path, skipped"))
        #expect(warnings.contains("general/2024-05-03.json: symbolic link entry, skipped"))
    }

    @Test func zipWithExtraFolderAndBackslashes() throws {
        let builder = try ExportBuilder()
        defer { builder.cleanup() }
        var files = standardFiles(prefix: "My Export\\")
        files.append(("My Export\\general\\2024-05-01.json", b("[]")))  // duplicate name after normalising
        files.append(("other/deeper/channels.json", b("[]")))  // deeper: not the root
        let url = try builder.zip("export.zip", files)
        let export = try SlackExport.open(url)
        #expect(export.rootPrefix == "My Export/")
        try checkStandard(export)
        #expect(export.warnings.map(\.description).contains("My Export/general/2024-05-01.json: duplicate entry name, the first one is used"))
    }

    @Test func zipIndexFindsEveryPathByItsBytesAndKeepsTheOrderFound() {
        // Prefixes of one another, non-ASCII (UTF-8 bytes sort apart from scalars), an empty
        // folder name's neighbours: each found by its own bytes only.
        let paths = ["general/2024-05-02.json", "general/2024-05-01.json", "general", "gen", "généra/x.json",
                     "general/2024-05-01.jsonx", "Z/1.json", "日本/2024-01-01.json", "a"]
        var index = ZipIndex()
        for (i, p) in paths.enumerated() {
            index.append(p, ZipReader.Entry(nameBytes: Array(p.utf8), method: 0, crc32: UInt32(i), compressedSize: 0,
                                            uncompressedSize: UInt64(i), localHeaderOffset: UInt64(i * 100),
                                            isSymlink: false, isDirectory: false))
        }
        index.finish()
        #expect(index.paths == paths)
        for (i, p) in paths.enumerated() {
            let e = index.entry(p)
            #expect(e?.localHeaderOffset == UInt64(i * 100) && e?.nameBytes.isEmpty == true, "\(p)")
        }
        for missing in ["", "genera", "general/", "general/2024-05-01.jso", "z/1.json", "日本", "b", "généra/x.jsonx"] {
            #expect(index.entry(missing) == nil, "\(missing)")
        }
        #expect(ZipIndex().entry("a") == nil)

        // A name written decomposed (as macOS zips them) is found by its composed form, and back.
        var accents = ZipIndex()
        let decomposed = "Cafe\u{301}/2024-01-01.json", composed = "Caf\u{E9}/notes.txt"
        for (i, p) in [decomposed, composed].enumerated() {
            accents.append(p, ZipReader.Entry(nameBytes: [], method: 0, crc32: 0, compressedSize: 0, uncompressedSize: 0,
                                              localHeaderOffset: UInt64(i + 1), isSymlink: false, isDirectory: false))
        }
        accents.finish()
        #expect(accents.entry("Caf\u{E9}/2024-01-01.json")?.localHeaderOffset == 1)
        #expect(accents.entry("Cafe\u{301}/notes.txt")?.localHeaderOffset == 2)
        #expect(accents.entry("Cafe/notes.txt") == nil)
    }

    @Test func folderSourceSkipsSymlinks() throws {
        let builder = try ExportBuilder()
        defer { builder.cleanup() }
        let root = try builder.folder("wrapper", standardFiles(prefix: "export/"))
        try FileManager.default.createSymbolicLink(atPath: root.path + "/export/general/2024-05-03.json", withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: root.path + "/export/linked", withDestinationPath: "/etc")
        let export = try SlackExport.open(root)
        #expect(export.rootPrefix == "export/")
        try checkStandard(export)
        let warnings = export.warnings.map(\.description)
        #expect(warnings.contains("export/general/2024-05-03.json: symbolic link, not followed"))
        #expect(warnings.contains("export/linked: symbolic link, not followed"))
    }

    @Test func dmsByIdMpimsByNameAndOrgUsers() throws {
        let builder = try ExportBuilder()
        defer { builder.cleanup() }
        let url = try builder.zip("dm.zip", [
            ("dms.json", b(#"[{"id":"D1","created":1,"members":["U1","U2"]},{"id":"D2","user":"U3"}]"#)),
            ("mpims.json", b(#"[{"id":"G1","name":"mpdm-a--b--c-1","members":["U1","U2","U3"],"is_archived":0}]"#)),
            ("groups.json", b(#"[{"id":"G2","name":"secret","is_archived":"true"},{"id":"G2","name":"again"},42,{"name":"x"}]"#)),
            ("org_users.json", b(#"[{"id":"U1","name":"ann","real_name":"Ann"}]"#)),
            ("D1/2024-05-01.json", dayTwo),
            ("mpdm-a--b--c-1/2024-05-01.json", dayTwo),
            ("mpdm-a--b--c-1/2024-05-02.json", dayTwo),
        ])
        let export = try SlackExport.open(url)
        #expect(export.conversations.map(\.id) == ["G2", "D1", "D2", "G1"])
        #expect(export.conversations.map(\.kind) == [.privateChannel, .dm, .dm, .groupDM])
        #expect(export.conversations.map(\.folder) == ["secret", "D1", "D2", "mpdm-a--b--c-1"])
        #expect(export.conversations.map(\.name) == ["secret", nil, nil, "mpdm-a--b--c-1"])
        #expect(export.conversations.map(\.isArchived) == [true, false, false, false])
        #expect(export.users.map(\.displayName) == ["Ann"])
        #expect(export.dayFiles(of: export.conversations[1]).count == 1)
        #expect(export.dayFiles(of: export.conversations[2]).isEmpty)
        #expect(export.dayFiles(of: export.conversations[3]).map(\.date.description) == ["2024-05-01", "2024-05-02"])
        let warnings = export.warnings.map(\.description)
        #expect(warnings.contains("channels.json: not in the export; no public conversations read from it"))
        #expect(warnings.contains("groups.json: element 1: conversation G2 listed twice, first kept"))
        #expect(warnings.contains("groups.json: element 2: not an object, skipped"))
        #expect(warnings.contains("groups.json: element 3: missing \"id\", skipped"))
        #expect(!warnings.contains { $0.hasPrefix("users.json") })
    }

    @Test func missingUsersAndNoExport() throws {
        let builder = try ExportBuilder()
        defer { builder.cleanup() }
        let url = try builder.zip("nousers.zip", [("channels.json", channelsJSON)])
        let export = try SlackExport.open(url)
        #expect(export.users.isEmpty)
        #expect(export.warnings.map(\.description).contains { $0.hasPrefix("users.json: not in the export") })

        let empty = try builder.zip("empty.zip", [("readme.txt", b("hello"))])
        #expect(throws: LetheError.self) { try SlackExport.open(empty) }
        do {
            _ = try SlackExport.open(empty)
        } catch let error as LetheError {
            #expect(error.kind == .badInput)
            #expect(error.message.hasPrefix("empty.zip: not a Slack export"))
        }
    }

    @Test func malformedFilesAreBadInputNamingTheFile() throws {
        let builder = try ExportBuilder()
        defer { builder.cleanup() }
        let url = try builder.zip("bad.zip", [
            ("channels.json", channelsJSON),
            ("general/2024-05-01.json", b(#"[{"ts":"1.0","text":"secret words"#)),
        ])
        let export = try SlackExport.open(url)
        let day = try #require(export.dayFiles(of: export.conversations[0]).first)
        do {
            _ = try export.readMessages(day)
            Issue.record("accepted a truncated day file")
        } catch let error as LetheError {
            #expect(error.kind == .badInput)
            #expect(error.message.hasPrefix("general/2024-05-01.json: byte "))
            #expect(!error.message.contains("secret"))
        }
        let badMeta = try builder.zip("badmeta.zip", [("channels.json", b(#"[{"id":"C1",}]"#))])
        #expect { try SlackExport.open(badMeta) } throws: { error in
            (error as? LetheError)?.message.hasPrefix("channels.json: byte ") == true
        }
    }

    @Test func notAZipAndTruncatedZip() throws {
        let builder = try ExportBuilder()
        defer { builder.cleanup() }
        let junk = builder.dir.appendingPathComponent("junk.zip")
        try Data("this is not a zip archive at all".utf8).write(to: junk)
        #expect { try SlackExport.open(junk) } throws: { error in
            guard let e = error as? LetheError else { return false }
            return e.kind == .badInput && e.message.hasPrefix("junk.zip: not a readable zip archive (")
        }
        let good = try builder.zip("good.zip", standardFiles())
        let bytes = try Data(contentsOf: good)
        let cut = builder.dir.appendingPathComponent("cut.zip")
        try bytes.prefix(bytes.count / 2).write(to: cut)
        #expect { try SlackExport.open(cut) } throws: { error in
            (error as? LetheError)?.message.hasPrefix("cut.zip: not a readable zip archive (") == true
        }
    }

    @Test func zipBombsAreStopped() throws {
        let builder = try ExportBuilder()
        defer { builder.cleanup() }
        let zeros = [UInt8](repeating: 0x20, count: 4 << 20)
        let url = try builder.zip("bomb.zip", [("channels.json", channelsJSON), ("general/2024-05-01.json", b("[") + zeros + b("]"))])
        // Default limits: 4 MiB of spaces deflates ~1000:1, over the default 200:1.
        let export = try SlackExport.open(url)
        let day = try #require(export.dayFiles(of: export.conversations[0]).first)
        #expect { try export.readMessages(day) } throws: { error in
            (error as? LetheError)?.message == "bomb.zip: general/2024-05-01.json: compression ratio over 200:1 (zip bomb?)"
        }
        var limits = ImportLimits()
        limits.maxCompressionRatio = 100_000
        limits.maxFileBytes = 1 << 20
        let capped = try SlackExport.open(url, limits: limits)
        #expect { try capped.readMessages(day) } throws: { error in
            (error as? LetheError)?.message.contains("uncompressed size over the limit of 1048576 bytes") == true
        }
        limits.maxFileBytes = 64 << 20
        limits.maxTotalBytes = 2 << 20
        let total = try SlackExport.open(url, limits: limits)
        #expect { try total.readMessages(day) } throws: { error in
            (error as? LetheError)?.message.contains("total limit") == true
        }
        limits.maxTotalBytes = 64 << 20
        let fine = try SlackExport.open(url, limits: limits)
        #expect(try fine.readMessages(day).messages.isEmpty)
    }

    @Test func entryNameDecoding() {
        #expect(CP437.decode([0x41, 0x82, 0x94, 0xE1]) == "Aéöß")
        #expect(ExportPath.classify("a\\b\\c.json") == .file("a/b/c.json"))
        #expect(ExportPath.classify("./a//b.json") == .file("a/b.json"))
        #expect(ExportPath.classify("a/../../b.json") == .refuse("path escapes the export (\"..\")"))
        #expect(ExportPath.classify("C:\\x\\channels.json") == .refuse("absolute path"))
        #expect(ExportPath.classify("__MACOSX/a/b.json") == .ignore)
        #expect(ExportPath.classify("a/") == .ignore)
    }
}
