import Foundation
import Testing
import ZIPFoundation

/// End-to-end: the real binary, real archive files, real exports.
@Suite(.serialized) struct ImportExportTests {
    @Test func roundTripEqualsTheInputForEveryExport() throws {
        let exports = Harness.exportFolders()
        #expect(!exports.isEmpty, "at least the repository's own fixtures must be found")
        for export in exports {
            let a = try Harness.makeArchive("rt")
            let imp = try Harness.run(["import", "--json", export.path], env: a.env)
            #expect(imp.status == 0, "\(export.lastPathComponent): \(imp.stderr)")
            let input = try ExportTree(export)
            #expect(imp.json?["messages_added"] as? Int == input.messageCount, "\(export.lastPathComponent): every message of every day file is added once")

            let out = a.dir.deletingLastPathComponent().appendingPathComponent("out")
            let exp = try Harness.run(["export", "--out", out.path], env: a.env)
            #expect(exp.status == 0, "\(exp.stderr)")
            let output = try ExportTree(out)
            #expect(Set(output.days.keys) == Set(input.days.keys), "\(export.lastPathComponent): same day files")
            for (day, messages) in input.days {
                let got = output.days[day] ?? [:]
                #expect(Set(got.keys) == Set(messages.keys), "\(export.lastPathComponent) \(day): same messages")
                for (ts, m) in messages where got[ts] != m {
                    Issue.record("\(export.lastPathComponent) \(day) ts \(ts): exported message differs from the imported one")
                }
            }
            // Exported day files are ordered by ts.
            for (day, _) in output.days {
                let d = try Data(contentsOf: out.appendingPathComponent(day))
                let arr = try JSONSerialization.jsonObject(with: d) as? [NSDictionary] ?? []
                let ts = arr.compactMap { $0["ts"] as? String }.map { Double($0) ?? 0 }
                #expect(ts == ts.sorted(), "\(day) is ordered by ts")
            }
            for (file, list) in input.metadata {
                let got = output.metadata[file] ?? []
                #expect(Set(got.compactMap { ($0 as? NSDictionary)?["id"] as? String }) == Set(list.compactMap { ($0 as? NSDictionary)?["id"] as? String }),
                        "\(export.lastPathComponent) \(file): same ids")
            }
            let ver = try Harness.run(["verify", "--json"], env: a.env)
            #expect(ver.status == 0 && ver.json?["ok"] as? Bool == true, "\(ver.stdout)\(ver.stderr)")
        }
    }

    @Test func reimportAddsNothing() throws {
        guard let export = Harness.exportFolders().first else { Issue.record("no export fixture"); return }
        let a = try Harness.makeArchive("re")
        let first = try Harness.run(["import", "--json", export.path], env: a.env)
        #expect(first.status == 0, "\(first.stderr)")
        let stats1 = try Harness.run(["stats", "--json"], env: a.env).json
        let second = try Harness.run(["import", "--json", export.path], env: a.env)
        #expect(second.status == 0, "\(second.stderr)")
        let j = second.json ?? [:]
        #expect(j["messages_added"] as? Int == 0)
        #expect(j["messages_updated"] as? Int == 0)
        #expect(j["messages_unchanged"] as? Int == first.json?["messages_added"] as? Int)
        let stats2 = try Harness.run(["stats", "--json"], env: a.env).json
        #expect(stats1?["messages"] as? Int == stats2?["messages"] as? Int)
        #expect(stats1?["buckets"] as? Int == stats2?["buckets"] as? Int)
        #expect((stats2?["messages"] as? Int ?? 0) > 0)
    }

    @Test func keyFileAndPassphraseBothUnlock() throws {
        let a = try Harness.makeArchive("kf")
        let viaKey = try Harness.run(["stats", "--json", "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(viaKey.status == 0, "\(viaKey.stderr)")
        let pf = a.dir.deletingLastPathComponent().appendingPathComponent("pass")
        try Data("correct horse battery staple\n".utf8).write(to: pf)
        let viaFile = try Harness.run(["stats", "--json", "--passphrase-file", pf.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(viaFile.status == 0, "\(viaFile.stderr)")
        let none = try Harness.run(["stats"], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(none.status == 64, "no secret and no terminal is a usage error")
        #expect(none.stderr.contains("lethe: error: no secret given"))
    }
}

/// A later, overlapping export updates exactly what changed; an older one re-imported changes nothing.
@Suite(.serialized) struct IncrementalImportTests {
    @Test func laterExportUpdatesEditsRepliesAndReactions() throws {
        let sample = Harness.fixtures.appendingPathComponent("slack-sample")
        let update = Harness.fixtures.appendingPathComponent("slack-sample-update")
        let a = try Harness.makeArchive("inc")
        #expect(try Harness.run(["import", sample.path], env: a.env).status == 0)
        let r = try Harness.run(["import", "--json", update.path], env: a.env).json ?? [:]
        #expect(r["messages_added"] as? Int == 8)
        #expect(r["messages_updated"] as? Int == 3)
        #expect(r["messages_unchanged"] as? Int == 17)
        #expect(try Harness.run(["stats", "--json"], env: a.env).json?["messages"] as? Int == 198)

        // The edited text is what the archive now gives back.
        let out = a.dir.deletingLastPathComponent().appendingPathComponent("out")
        #expect(try Harness.run(["export", "--out", out.path], env: a.env).status == 0)
        let day = try String(contentsOf: out.appendingPathComponent("general/2026-10-14.json"), encoding: .utf8)
        #expect(day.contains("platypunk") && !day.contains("wombatine"))

        // Re-importing the older export rolls nothing back.
        let old = try Harness.run(["import", "--json", sample.path], env: a.env).json ?? [:]
        #expect(old["messages_added"] as? Int == 0)
        #expect(old["messages_updated"] as? Int == 0)
        #expect(old["messages_unchanged"] as? Int == 190)
    }
}

/// A zip export (re-zipped under an extra folder, with macOS junk) imports exactly like the folder.
@Suite(.serialized) struct ZipImportTests {
    @Test func reZippedExportEqualsTheFolder() throws {
        let sample = Harness.fixtures.appendingPathComponent("slack-sample")
        let root = Harness.tempDir("zip")
        let zipURL = root.appendingPathComponent("export.zip")
        let archive = try ZIPFoundation.Archive(url: zipURL, accessMode: .create)
        let fm = FileManager.default
        let files = fm.enumerator(atPath: sample.path)?.compactMap { $0 as? String } ?? []
        func add(_ name: String, _ data: Data) throws {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate,
                                 provider: { pos, size in data.subdata(in: Int(pos)..<Int(pos) + size) })
        }
        for rel in files.sorted() {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: sample.appendingPathComponent(rel).path, isDirectory: &isDir), !isDir.boolValue else { continue }
            try add("Acme Slack export Jan 1 2023 - Nov 1 2026/" + rel, try Data(contentsOf: sample.appendingPathComponent(rel)))
        }
        try add("__MACOSX/Acme Slack export Jan 1 2023 - Nov 1 2026/._channels.json", Data("junk".utf8))

        let a = try Harness.makeArchive("zip")
        let r = try Harness.run(["import", "--json", zipURL.path], env: a.env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.json?["messages_added"] as? Int == 190)
        let out = root.appendingPathComponent("out")
        #expect(try Harness.run(["export", "--out", out.path], env: a.env).status == 0)
        let input = try ExportTree(sample), output = try ExportTree(out)
        #expect(input.days == output.days)
    }
}
