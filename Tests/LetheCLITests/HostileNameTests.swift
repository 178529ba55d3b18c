import Foundation
import Testing

/// Channels whose names are not safe folder names (issue 10, finding 12). In a Slack
/// export the folder is the channel name, so the importer maps each such name to a safe
/// folder, records it and warns naming the channel; every message is kept, and the export
/// of the whole archive succeeds and writes nothing outside --out.
@Suite(.serialized) struct HostileNameTests {
    static let longName = String(repeating: "l", count: 250)
    /// (id, name, folder its day files are in, or nil when no export can hold such a folder).
    static let channels: [(String, String, String?)] = [
        ("C01", "general", "general"),
        ("C02", "../../../tmp/x", nil),
        ("C03", "..", nil),
        ("C04", ".", nil),
        ("C05", "a/b", nil),
        ("C06", "nul\u{0}byte", nil),
        ("C07", "mpims.json", "mpims.json"),
        ("C08", "users.json", "users.json"),
        ("C09", "Random", "Random"),
        ("C10", "random", "random"),
        ("C11", "", "C11"),
        ("C12", longName, longName),
        ("C13", "back\\slash", nil),  // readers turn a backslash into `/`
    ]
    /// Channels whose names lethe must map (all but general, random and the first of the case pair).
    static let mapped: Set<String> = ["C02", "C03", "C04", "C05", "C06", "C07", "C08", "C10", "C12", "C13"]

    /// The export's files and its messages as "channel ts". A folder cannot hold both a
    /// users.json file and a users.json folder: `onDisk` leaves that channel's day files out.
    static func files(onDisk: Bool) throws -> (files: [(String, Data)], ts: Set<String>) {
        func json(_ s: String) -> String {
            String(decoding: try! JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed]), as: UTF8.self).dropFirst().dropLast().description
        }
        var list: [String] = []
        var files: [(String, Data)] = [("users.json", Data(HostileExportTests.users.utf8))]
        var ts = Set<String>()
        for (n, (id, name, folder)) in channels.enumerated() {
            list.append(#"{"id":"\#(id)","name":\#(json(name)),"created":1700000000,"members":["U1"]}"#)
            guard let folder, !(onDisk && folder == "users.json") else { continue }
            let stamps = ["\(1704100000 + n * 10).000100", "\(1704186400 + n * 10).000200"]
            for (d, t) in stamps.enumerated() {
                files.append(("\(folder)/2024-01-0\(d + 1).json", Data(("[" + HostileExportTests.message(t, "in \(id)") + "]").utf8)))
                ts.insert(id + " " + t)
            }
        }
        files.insert(("channels.json", Data(("[" + list.joined(separator: ",") + "]").utf8)), at: 1)
        return (files, ts)
    }

    /// Every file below `dir` except those under `except`.
    static func tree(_ dir: URL, except: URL) -> [String: Data] {
        Harness.snapshot(dir).filter { !($0.key + "/").hasPrefix(except.path.replacingOccurrences(of: dir.path, with: "") + "/") }
    }

    func roundTrip(_ source: URL, expected: Set<String>, root: URL, label: String) throws {
        let a = try Harness.makeArchive("names-\(label)")
        let env = ["LETHE_ARCHIVE": a.dir.path]
        let imp = try Harness.run(["import", "--json", source.path, "--key-file", a.keyFile.path], env: env)
        #expect(imp.status == 0, "\(label): \(imp.stderr)")
        #expect(imp.json?["messages_added"] as? Int == expected.count, "\(label): \(imp.stdout)")
        // A mapped folder name loses nothing: it is a note (`notes`), not a warning.
        let warnings = ((imp.json?["warnings"] as? [String]) ?? []) + ((imp.json?["notes"] as? [String]) ?? [])
        for id in Self.mapped {
            #expect(warnings.contains { $0.contains("conversation \(id): its folder name cannot be written as it is") }, "\(label): a warning names \(id): \(warnings)")
        }
        #expect(!warnings.contains { $0.contains("conversation C01:") || $0.contains("conversation C09:") }, "\(label): \(warnings)")
        // The text form prints them too.
        let again = try Harness.run(["import", source.path, "--key-file", a.keyFile.path], env: env)
        #expect(again.status == 0 && again.stderr.contains("lethe: note: channels.json: element 1: conversation C02: its folder name cannot be written"), "\(label): \(again.stderr)")

        let out = root.appendingPathComponent("out-\(label)")
        let before = Self.tree(root, except: out)
        let exp = try Harness.run(["export", "--out", out.path, "--key-file", a.keyFile.path], env: env)
        #expect(exp.status == 0, "\(label): \(exp.stderr)")
        #expect(Self.tree(root, except: out) == before, "\(label): nothing written outside --out")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/x"))
        // Every folder written is a plain name directly under --out, one per channel with messages.
        let folders = try FileManager.default.contentsOfDirectory(atPath: out.path).filter {
            var d: ObjCBool = false
            return FileManager.default.fileExists(atPath: out.appendingPathComponent($0).path, isDirectory: &d) && d.boolValue
        }
        #expect(folders.count == Set(expected.map { $0.prefix(3) }).count, "\(label): \(folders)")
        #expect(Set(folders.map { $0.lowercased() }).count == folders.count, "\(label): no two folders differ only by case")
        let tree = try ExportTree(out)
        var found = Set<String>()
        for (path, msgs) in tree.days {
            for (ts, m) in msgs { found.insert(((m["text"] as? String) ?? "").replacingOccurrences(of: "in ", with: "") + " " + ts) }
            #expect(!path.hasPrefix("."), "\(label): \(path)")
        }
        #expect(found == expected, "\(label): every message exported once")
        #expect(tree.metadata["channels.json"]?.count == Self.channels.count, "\(label): every channel listed")

        // The export imports back into a fresh archive with every message (mapped folders are found).
        let b = try Harness.makeArchive("names-back-\(label)")
        let back = try Harness.run(["import", "--json", out.path, "--key-file", b.keyFile.path], env: ["LETHE_ARCHIVE": b.dir.path])
        #expect(back.status == 0 && back.json?["messages_added"] as? Int == expected.count, "\(label): \(back.stdout) \(back.stderr)")
    }

    @Test func hostileChannelNamesImportWithAWarningAndExportSafely() throws {
        let root = Harness.tempDir("names")
        var (files, expected) = try Self.files(onDisk: false)
        // As a zip.
        let zip = root.appendingPathComponent("names.zip")
        try HostileExportTests.zip(zip, files)
        try roundTrip(zip, expected: expected, root: root, label: "zip")
        // As a folder.
        (files, expected) = try Self.files(onDisk: true)
        let folder = root.appendingPathComponent("names-folder")
        for (path, data) in files {
            let u = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: u)
        }
        try roundTrip(folder, expected: expected, root: root, label: "folder")
    }
}
