import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// A disk that fills up under lethe: a real small tmpfs when we may mount one, else a file size
/// limit (RLIMIT_FSIZE, `ulimit -f`) on the lethe process. The command fails with exit 10 and one
/// clear line naming the archive file, rolls back, and succeeds once there is room again.
@Suite(.serialized) struct DiskFullTests {
    /// How the archive runs out of room in this run.
    enum Room {
        case tmpfs(URL)
        case fileSizeLimit

        var name: String {
            switch self {
            case .tmpfs: "a small tmpfs"
            case .fileSizeLimit: "RLIMIT_FSIZE (ulimit -f)"
            }
        }
    }

    static func command(_ tool: String, _ args: [String]) -> (status: Int32, output: String) {
        guard let path = ["/bin/" + tool, "/usr/bin/" + tool, "/sbin/" + tool, "/usr/sbin/" + tool].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return (127, "\(tool) not found") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        do { try p.run() } catch { return (126, "\(error)") }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Mounts a tmpfs of `kilobytes` at `dir`, or says why it cannot.
    static func mountTmpfs(_ dir: URL, kilobytes: Int) -> String? {
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let r = command("mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k,mode=0700", "tmpfs", dir.path])
        return r.status == 0 ? nil : "mount -t tmpfs failed (exit \(r.status)): \(r.output)"
    }

    static func resize(_ dir: URL, kilobytes: Int) {
        let r = command("mount", ["-o", "remount,size=\(kilobytes)k", dir.path])
        #expect(r.status == 0, "remount \(dir.path) to \(kilobytes) KiB: \(r.output)")
    }

    static func unmount(_ dir: URL) {
        let r = command("umount", [dir.path])
        if r.status != 0 { print("DiskFullTests: umount \(dir.path) failed: \(r.output)") }
    }

    /// Fills the file system holding `dir` until fewer than `leave` bytes are free.
    static func fill(_ dir: URL, leaving leave: Int) throws -> URL {
        let filler = dir.appendingPathComponent("filler")
        _ = FileManager.default.createFile(atPath: filler.path, contents: nil)
        let h = try FileHandle(forWritingTo: filler)
        defer { try? h.close() }
        var st = statvfs()
        statvfs(dir.path, &st)
        let free = Int(st.f_bavail) * Int(st.f_frsize)
        let chunk = Data(count: 4096)
        for _ in 0..<max(0, (free - leave) / chunk.count) {
            guard (try? h.write(contentsOf: chunk)) != nil else { break }
        }
        return filler
    }

    /// The room to use: a tmpfs if this process may mount one, else the file size limit; nil
    /// (after printing SKIP and why) when neither works. LETHE_TEST_NO_MOUNT=1 forces the fallback.
    static func chooseRoom(_ root: URL, kilobytes: Int) -> Room? {
        let mnt = root.appendingPathComponent("mnt")
        let why = ProcessInfo.processInfo.environment["LETHE_TEST_NO_MOUNT"] == "1"
            ? "LETHE_TEST_NO_MOUNT=1 is set" : mountTmpfs(mnt, kilobytes: kilobytes)
        if let why {
            guard FileManager.default.isExecutableFile(atPath: "/bin/sh") else {
                print("SKIP DiskFullTests: cannot make a full disk: \(why), and there is no /bin/sh to set ulimit -f with")
                return nil
            }
            print("DiskFullTests: using RLIMIT_FSIZE (ulimit -f) on the lethe process, because \(why)")
            return .fileSizeLimit
        }
        print("DiskFullTests: using a real \(kilobytes) KiB tmpfs at \(mnt.path)")
        return .tmpfs(mnt)
    }

    static func expectNoSpaceError(_ r: Harness.Result, archive: URL, room: Room, _ what: String) {
        #expect(r.status == 10, "\(what): exit \(r.status): \(r.stderr)")
        let lines = r.stderr.split(separator: "\n").map(String.init)
        let first = lines.first ?? ""
        let expected = if case .tmpfs = room { "lethe: error: the disk is full: cannot write \(archive.path)/" }
            else { "lethe: error: the file size limit is reached: cannot write \(archive.path)/" }
        #expect(first.hasPrefix(expected), "\(what): one clear line naming the archive file: \(r.stderr)")
        #expect(lines.count <= 2 && lines.dropFirst().allSatisfy { $0.hasPrefix("lethe: hint: ") }, "\(what): the error and a hint, nothing else: \(r.stderr)")
        for crash in ["Fatal error", "Backtrace", "Crash", "SIG", "💣"] {
            #expect(!r.stderr.contains(crash), "\(what): no Swift crash: \(r.stderr)")
        }
    }

    /// Counts in keys.db, read directly and read-only.
    static func keystoreCounts(_ archive: URL) throws -> (bucketKeys: Int64, tombstones: Int64, audit: Int64, pending: Int64) {
        let db = try SQLiteDatabase(path: archive.appendingPathComponent("keys.db").path, options: [.readOnly])
        func count(_ sql: String) throws -> Int64 { try db.scalarInt(sql) ?? -1 }
        return (try count("SELECT COUNT(*) FROM bucket_keys"), try count("SELECT COUNT(*) FROM tombstones WHERE bucket >= 0"),
                try count("SELECT COUNT(*) FROM audit"), try count("SELECT COUNT(*) FROM pending_purge"))
    }

    static func stats(_ env: [String: String]) throws -> ArchiveStats { try Harness.run(["stats", "--json"], env: env).expectSuccess("lethe stats").decode(ArchiveStats.self) }

    @Test func importOntoAFullDiskFailsCleanlyAndCompletesOnceThereIsRoom() throws {
        let root = Harness.tempDir("diskfull")
        let export = root.appendingPathComponent("export")
        let total = try SyntheticExport.write(to: export, channels: 4, days: 150, perDay: 30)
        guard let room = Self.chooseRoom(root, kilobytes: 1024) else { return }
        defer { if case .tmpfs(let mnt) = room { Self.unmount(mnt) } }
        let home: URL
        if case .tmpfs(let mnt) = room { home = mnt } else { home = root.appendingPathComponent("roomy") }
        let archive = home.appendingPathComponent("archive")
        let keyFile = root.appendingPathComponent("key")
        let env = ["LETHE_ARCHIVE": archive.path, "LETHE_PASSPHRASE": "correct horse battery staple"]
        #expect(try Harness.run(["init", "--kdf", "interactive", "--key-file", keyFile.path], env: env).status == 0)
        #expect(try Harness.run(["import", Repository.fixture("slack-sample").path], env: env).status == 0)
        let before = try Self.stats(env)
        let filesBefore = Harness.snapshot(archive).filter { ["/keys.db", "/data.db"].contains($0.key) }
        #expect(before.messages > 0)

        // The import needs more than the room there is.
        let limit: Int? = if case .fileSizeLimit = room { Int(try #require(before.bytes["data.db"], "stats gives data.db's size: \(before.bytes)")) / 512 + 256 } else { nil }
        let full = try Harness.run(["import", export.path], env: env, fileSizeLimit: limit)
        Self.expectNoSpaceError(full, archive: archive, room: room, "import onto \(room.name)")
        #expect(Harness.snapshot(archive).filter { ["/keys.db", "/data.db"].contains($0.key) } == filesBefore,
                "keys.db and data.db byte for byte as they were")
        let v = try Harness.run(["verify", "--json"], env: env)
        #expect(v.status == 0, "\(v.stdout) \(v.stderr)")
        let after = try Self.stats(env)
        let counts = { (s: ArchiveStats) -> [Int] in [s.messages, s.buckets, s.channels, s.users] }
        #expect(counts(after) == counts(before), "messages, buckets, channels, users unchanged")

        // Room again: the same import completes, exactly.
        if case .tmpfs(let mnt) = room { Self.resize(mnt, kilobytes: 16 * 1024) }
        let done = try Harness.run(["import", "--json", export.path], env: env)
        #expect(done.status == 0, "\(done.stderr)")
        #expect(try done.decode(ImportReport.self).messagesAdded == total)
        #expect(try Self.stats(env).messages == before.messages + total)
        #expect(try Harness.run(["verify"], env: env).status == 0)
        let again = try Harness.run(["import", "--json", export.path], env: env).expectSuccess("re-import").decode(ImportReport.self)
        #expect(again.messagesAdded == 0)
        #expect(again.messagesUnchanged == total)
        print("DiskFullTests: import onto \(room.name): exit \(full.status), stderr: \(full.stderr.split(separator: "\n").first ?? "")")
    }

    /// `retention apply` with a little less room each time: it shreds, or fails with exit 10; either
    /// way every bucket is whole or shredded, verify passes on the full disk, and with room again a
    /// re-run completes the plan exactly.
    @Test func retentionApplyOnAFullDiskLeavesTheArchiveConsistent() throws {
        let scenario = try ShredScenario("diskfullapply")
        let (root, policy, now, master, plan) = (scenario.root, scenario.policy, scenario.now, scenario.archive, scenario.plan)
        let planned = plan.buckets
        let plannedMessages = plan.messages
        let keysBefore = try Self.keystoreCounts(master.dir)
        let totalBefore = try Self.stats(master.env).messages
        #expect(planned > 100)
        let size = Harness.snapshot(master.dir).values.reduce(0) { $0 + $1.count }

        guard let room = Self.chooseRoom(root, kilobytes: size / 1024 * 3 + 512) else { return }
        defer { if case .tmpfs(let mnt) = room { Self.unmount(mnt) } }
        let home: URL
        if case .tmpfs(let mnt) = room { home = mnt } else { home = root.appendingPathComponent("roomy") }
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let apply = ["retention", "apply", "--policy", policy.path, "--now", now]
        var outcomes: [String] = []
        var failed = 0
        // Free bytes left on the tmpfs, or the file size limit in 512-byte blocks.
        let steps = if case .tmpfs = room { [0, 8 << 10, 32 << 10, 96 << 10, 256 << 10, 1 << 20] } else { [1, 16, 64, 256, 1024, 4096] }
        for step in steps {
            let archive = home.appendingPathComponent("archive")
            try? FileManager.default.removeItem(at: archive)
            try FileManager.default.copyItem(at: master.dir, to: archive)
            let env = master.env.merging(["LETHE_ARCHIVE": archive.path]) { $1 }
            var filler: URL?
            var limit: Int?
            if case .tmpfs = room { filler = try Self.fill(home, leaving: step) } else { limit = step }
            let what = "apply with \(room.name) \(limit == nil ? "leaving \(step) bytes free" : "at \(step) blocks")"

            let r = try Harness.run(apply + ["--json"], env: env, fileSizeLimit: limit)
            if r.status != 0 {
                failed += 1
                Self.expectNoSpaceError(r, archive: archive, room: room, what)
            }
            // Still full: keys.db holds the whole shred or none of it (read directly: it needs no room
            // to read, while data.db in WAL mode needs room for its -shm file before anyone can open it).
            let keys = try Self.keystoreCounts(archive)
            #expect(keys.tombstones == 0 || keys.tombstones == planned, "\(what): all or nothing (\(keys.tombstones) of \(planned) tombstones)")
            #expect(keys.bucketKeys == keysBefore.bucketKeys - keys.tombstones, "\(what): a bucket key for every bucket not shredded")
            #expect(keys.audit == keysBefore.audit + (keys.tombstones > 0 ? 1 : 0), "\(what): one audit entry with the shred")
            // Readers on the full disk work, or fail with the same clean error.
            let v = try Harness.run(["verify", "--json"], env: env, fileSizeLimit: limit)
            if v.status != 0 { Self.expectNoSpaceError(v, archive: archive, room: room, "\(what): verify on the full disk") }
            if keys.pending > 0 {
                // The keys are gone and only the ciphertext waits to be purged: a reader reads on.
                #expect(v.status == 0, "\(what): verify while the purge waits for room: \(v.stderr)")
                #expect(try v.decode(VerifyReport.self).pendingPurge > 0, "\(what): verify reports the pending purge")
            }
            if r.status != 0 { print("DiskFullTests: \(what): \(r.stderr.split(separator: "\n").first ?? "")") }
            outcomes.append("\(step): apply exit \(r.status), \(keys.tombstones == 0 ? "nothing shredded" : "shredded")\(keys.pending > 0 ? ", ciphertext purge pending" : ""), verify exit \(v.status)")

            // Room again: the archive verifies, holds all or nothing, and a re-run completes the plan.
            if let filler { try FileManager.default.removeItem(at: filler) }
            let v2 = try Harness.run(["verify", "--json"], env: env)
            #expect(v2.status == 0, "\(what): verify with room: \(v2.stdout) \(v2.stderr)")
            let mid = try Self.stats(env)
            #expect(Int64(mid.shreddedBuckets) == keys.tombstones, "\(what)")
            #expect(mid.messages == (keys.tombstones == 0 ? totalBefore : totalBefore - plannedMessages), "\(what): messages")
            let again = try Harness.run(apply + ["--json"], env: env)
            #expect(again.status == 0, "\(what): re-run: \(again.stderr)")
            let after = try Self.stats(env)
            #expect(after.shreddedBuckets == planned, "\(what)")
            #expect(after.messages == totalBefore - plannedMessages, "\(what)")
            let fin = try Harness.run(["verify", "--json"], env: env)
            #expect(fin.status == 0, "\(what): \(fin.stdout) \(fin.stderr)")
            #expect(try fin.decode(VerifyReport.self).pendingPurge == 0, "\(what): \(fin.stdout)")
            #expect(try Harness.run(["audit", "--verify"], env: env).status == 0, "\(what): audit chain")
        }
        print("DiskFullTests: retention apply on \(room.name): \(outcomes.joined(separator: "; "))")
        #expect(failed >= 2, "the disk really was full for some steps (\(failed) of \(steps.count) failed)")
    }
}
