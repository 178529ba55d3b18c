import Foundation
import LetheCore
import LetheTestSupport
import Testing
import ZIPFoundation

/// End-to-end: the real binary, real archive files, real exports.
@Suite(.serialized) struct ImportExportTests {
    @Test func roundTripEqualsTheInputForEveryExport() throws {
        let exports = Harness.exportFolders()
        #expect(!exports.isEmpty, "at least the repository's own fixtures must be found")
        for export in exports {
            let a = try Harness.makeArchive("rt")
            let imp = try a.importExport(export)
            let input = try ExportTree(export)
            #expect(input.messageCount > 0, "\(export.lastPathComponent) holds messages")
            #expect(imp.messagesAdded == input.messageCount, "\(export.lastPathComponent): every message of every day file is added once")

            let out = a.root.appendingPathComponent("out")
            let exp = try Harness.run(["export", "--out", out.path], env: a.env)
            #expect(exp.status == 0, "\(exp.stderr)")
            let output = try ExportTree(out)
            #expect(!input.days.isEmpty, "\(export.lastPathComponent) has day files")
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
                let arr = try #require(try JSONSerialization.jsonObject(with: d) as? [NSDictionary], "\(day) is an array of objects")
                let ts = try arr.map { try #require(($0["ts"] as? String).flatMap(Double.init), "\(day): every message has a numeric ts") }
                #expect(ts == ts.sorted(), "\(day) is ordered by ts")
            }
            #expect(input.metadata["channels.json"] != nil && input.metadata["users.json"] != nil, "\(export.lastPathComponent) has metadata")
            for (file, list) in input.metadata {
                let got = try #require(output.metadata[file], "\(export.lastPathComponent): \(file) is exported")
                #expect(Set(got.compactMap { ($0 as? NSDictionary)?["id"] as? String }) == Set(list.compactMap { ($0 as? NSDictionary)?["id"] as? String }),
                        "\(export.lastPathComponent) \(file): same ids")
            }
            let ver = try a.run(["verify", "--json"])
            #expect(ver.status == 0, "\(ver.stdout)\(ver.stderr)")
            let report = try ver.decode(VerifyReport.self)
            #expect(report.ok && report.messages == input.messageCount, "\(ver.stdout)")
        }
    }

    @Test func reimportAddsNothing() throws {
        guard let export = Harness.exportFolders().first else { Issue.record("no export fixture"); return }
        let a = try Harness.makeArchive("re")
        let first = try a.importExport(export)
        let stats1 = try a.stats()
        let second = try a.importExport(export)
        #expect(second.messagesAdded == 0)
        #expect(second.messagesUpdated == 0)
        #expect(second.messagesUnchanged == first.messagesAdded)
        let stats2 = try a.stats()
        #expect(stats1.messages == stats2.messages)
        #expect(stats1.buckets == stats2.buckets)
        #expect(stats2.messages > 0)
    }

    @Test func keyFileAndPassphraseBothUnlock() throws {
        let a = try Harness.makeArchive("kf")
        let viaKey = try Harness.run(["stats", "--json", "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(viaKey.status == 0, "\(viaKey.stderr)")
        let pf = a.root.appendingPathComponent("pass")
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
        let sample = Repository.fixture("slack-sample")
        let update = Repository.fixture("slack-sample-update")
        let a = try Harness.makeArchive("inc")
        try a.importExport(sample)
        let r = try a.importExport(update)
        #expect(r.messagesAdded == 8)
        #expect(r.messagesUpdated == 3)
        #expect(r.messagesUnchanged == 17)
        // stats counts data.db's per-bucket entries, items (format 9) included: the sample's canvas
        // and its 3 integration log entries (the update's log holds the same 3).
        #expect(r.itemsUnchanged == 3 && r.itemsAdded == 0)
        #expect(try a.stats().messages == 198 + 4)

        // The edited text is what the archive now gives back.
        let out = a.root.appendingPathComponent("out")
        #expect(try Harness.run(["export", "--out", out.path], env: a.env).status == 0)
        let day = try String(contentsOf: out.appendingPathComponent("general/2026-10-14.json"), encoding: .utf8)
        #expect(day.contains("platypunk") && !day.contains("wombatine"))

        // Re-importing the older export rolls nothing back.
        let old = try a.importExport(sample)
        #expect(old.messagesAdded == 0)
        #expect(old.messagesUpdated == 0)
        #expect(old.messagesUnchanged == 190)
    }
}

/// A zip export (re-zipped under an extra folder, with macOS junk) imports exactly like the folder.
@Suite(.serialized) struct ZipImportTests {
    @Test func reZippedExportEqualsTheFolder() throws {
        let sample = Repository.fixture("slack-sample")
        let root = Harness.tempDir("zip")
        let zipURL = root.appendingPathComponent("export.zip")
        let archive = try ZIPFoundation.Archive(url: zipURL, accessMode: .create)
        let fm = FileManager.default
        let files = try #require(fm.enumerator(atPath: sample.path)?.compactMap { $0 as? String })
        #expect(files.contains("channels.json"))
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
        #expect(try a.importExport(zipURL).messagesAdded == 190)
        let out = root.appendingPathComponent("out")
        #expect(try Harness.run(["export", "--out", out.path], env: a.env).status == 0)
        let input = try ExportTree(sample), output = try ExportTree(out)
        #expect(input.days == output.days)
    }
}
