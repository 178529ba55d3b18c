import Foundation
import Testing

/// Findings of issue 10 outside the lock file and hostile names: each a real run of the binary.
@Suite(.serialized) struct HardeningTests {
    static let sample = Harness.fixtures.appendingPathComponent("slack-sample")

    func imported(_ name: String) throws -> TestArchive {
        let a = try Harness.makeArchive(name)
        let r = try Harness.run(["import", Self.sample.path, "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        return a
    }

    // MARK: - export --out

    @Test func exportNeverDeletesOrOverwritesWhatIsAtOut() throws {
        let a = try imported("export-target")
        let root = a.dir.deletingLastPathComponent()
        let env = ["LETHE_ARCHIVE": a.dir.path]
        func export(_ out: URL) throws -> Harness.Result {
            try Harness.run(["export", "--out", out.path, "--key-file", a.keyFile.path], env: env)
        }
        // An existing file.
        let file = root.appendingPathComponent("notes.txt")
        let content = Data("my notes\n".utf8)
        try content.write(to: file)
        var r = try export(file)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("\(file.path) exists and is not a folder"), "\(r.stderr)")
        #expect(try Data(contentsOf: file) == content, "the file is untouched")
        // A folder with something in it.
        let full = root.appendingPathComponent("full")
        try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
        try content.write(to: full.appendingPathComponent("keep.txt"))
        r = try export(full)
        #expect(r.status == 64 && r.stderr.contains("exists and is not an empty folder"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: full.path) == ["keep.txt"])
        #expect(try Data(contentsOf: full.appendingPathComponent("keep.txt")) == content)
        // A symbolic link, even to an empty folder.
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let link = root.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: empty.path)
        r = try export(link)
        #expect(r.status == 64 && r.stderr.contains("is a symbolic link"), "\(r.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == empty.path)
        // No staging folder is left beside any of them.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.contains("lethe-partial") } == [])
        // An empty folder and a new path both work.
        r = try export(empty)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: empty.appendingPathComponent("channels.json").path))
        r = try export(root.appendingPathComponent("new/nested"))
        #expect(r.status == 0, "\(r.stderr)")
    }

    // MARK: - policy alias bombs

    /// Billion laughs: nine levels of nine aliases (387 million nodes expanded), then the
    /// biggest used twice as a mapping key, which Yams hashes to check for duplicates.
    static let aliasBomb: String = {
        var lines = ["version: 1", "default: {keep: 30d}", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for i in 1...8 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]") }
        return (lines + ["? *a8", ": 1", "? *a8", ": 2"]).joined(separator: "\n") + "\n"
    }()

    @Test func aYAMLAliasBombIsRefusedAtOnce() throws {
        let root = Harness.tempDir("bomb")
        // The same bomb is kept in the fuzz corpus, which LetheFuzzTests replays.
        let corpus = try String(contentsOf: Harness.packageRoot.appendingPathComponent("Tests/FuzzCorpus/policy-parser/regress-alias-bomb"), encoding: .utf8)
        #expect(corpus == Self.aliasBomb)
        let many = "version: 1\ndefault: &k {keep: 30d}\nx: [" + Array(repeating: "*k", count: 101).joined(separator: ", ") + "]\n"
        let deep = "version: 1\ndefault: {keep: 30d}\nx: " + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "\n"
        for (name, yaml, text) in [("bomb.yml", Self.aliasBomb, "bomb.yml:8:15: the policy expands to more than 100000 YAML nodes"),
                                   ("many.yml", many, "many.yml:3:405: more than 100 aliases"),
                                   ("deep.yml", deep, "deep.yml:3:67: nested more than 64 levels deep")] {
            let file = root.appendingPathComponent(name)
            try Data(yaml.utf8).write(to: file)
            let started = Date()
            let r = try Harness.run(["policy", "check", file.path])
            let seconds = Date().timeIntervalSince(started)
            #expect(r.status == 6, "\(name): exit \(r.status): \(r.stderr)")
            #expect(r.stderr.hasPrefix("lethe: error: \(root.path)/\(text)"), "\(name): file:line:column: \(r.stderr)")
            #expect(seconds < 10, "\(name): refused in \(seconds) s: the limit applies before composing")
        }
        // Aliases within the limits still work.
        let fine = root.appendingPathComponent("fine.yml")
        try Data("version: 1\ndefault: {keep: &k 30d}\nrules:\n  - {name: a, match: &m {channels: ['*']}, keep: *k}\n  - {name: b, match: *m, keep: 90d}\n".utf8).write(to: fine)
        let r = try Harness.run(["policy", "check", fine.path])
        #expect(r.status == 0 && r.stdout.contains("valid"), "\(r.stderr)")
    }

    // MARK: - weak passphrases

    @Test func aShortPassphraseIsRefusedUnlessAllowedAndAWeakOneWarns() throws {
        let root = Harness.tempDir("weak")
        func initArchive(_ name: String, _ pass: String, _ extra: [String] = []) throws -> (Harness.Result, URL) {
            let dir = root.appendingPathComponent(name)
            return (try Harness.run(["init", "--kdf", "interactive"] + extra, env: ["LETHE_ARCHIVE": dir.path, "LETHE_PASSPHRASE": pass]), dir)
        }
        var (r, dir) = try initArchive("one", "x")
        #expect(r.status == 64 && r.stderr.contains("the new passphrase has 1 character; at least 8 are required"), "\(r.stderr)")
        #expect(r.stderr.contains("--allow-weak-passphrase"))
        #expect(!FileManager.default.fileExists(atPath: dir.path), "no archive made")
        (r, dir) = try initArchive("allowed", "x", ["--allow-weak-passphrase"])
        #expect(r.status == 0 && r.stderr.contains("lethe: warning: the new passphrase has only 1 character"), "\(r.stderr)")
        for (name, pass, why) in [("common", "PassWord1", "one of the most common passwords"), ("same", "zzzzzzzzzzzzzz", "one character repeated"),
                                  ("digits", "20240517", "only digits, under 12 characters"), ("lower", "lethearch", "only lower-case letters")] {
            (r, _) = try initArchive(name, pass)
            #expect(r.status == 0 && r.stderr.contains("lethe: warning: the new passphrase is weak (\(why)"), "\(name): \(r.stderr)")
        }
        (r, _) = try initArchive("good", "correct horse battery staple")
        #expect(r.status == 0 && !r.stderr.contains("warning"), "\(r.stderr)")

        // The same rule for key add-passphrase and change-passphrase; the old secret still opens.
        let a = try Harness.makeArchive("weak-key")
        let before = Harness.snapshot(a.dir)
        for cmd in [["key", "add-passphrase"], ["key", "change-passphrase"]] {
            r = try Harness.run(cmd + ["--kdf", "interactive"], env: a.env.merging(["LETHE_NEW_PASSPHRASE": "short"]) { $1 })
            #expect(r.status == 64 && r.stderr.contains("has 5 characters; at least 8"), "\(cmd): \(r.stderr)")
        }
        #expect(Harness.snapshot(a.dir).filter { !$0.key.hasSuffix("lock") } == before.filter { !$0.key.hasSuffix("lock") })
        r = try Harness.run(["key", "add-passphrase", "--kdf", "interactive", "--allow-weak-passphrase"], env: a.env.merging(["LETHE_NEW_PASSPHRASE": "short"]) { $1 })
        #expect(r.status == 0 && r.stderr.contains("warning: the new passphrase has only 5 characters"), "\(r.stderr)")
        #expect(try Harness.run(["stats"], env: ["LETHE_ARCHIVE": a.dir.path, "LETHE_PASSPHRASE": "short"]).status == 0)
    }

    // MARK: - secret files others can read

    @Test func aSecretFileOthersCanReadIsUsedWithAWarning() throws {
        let a = try Harness.makeArchive("modes")
        let env = ["LETHE_ARCHIVE": a.dir.path]
        #expect(chmod(a.keyFile.path, 0o644) == 0)
        var r = try Harness.run(["stats", "--key-file", a.keyFile.path], env: env)
        #expect(r.status == 0, "not refused: \(r.stderr)")
        #expect(r.stderr.contains("lethe: warning: key file \(a.keyFile.path) is accessible by others (mode 0644)"), "\(r.stderr)")
        #expect(r.stderr.contains("chmod 600 \(a.keyFile.path)"))
        #expect(chmod(a.keyFile.path, 0o600) == 0)
        r = try Harness.run(["stats", "--key-file", a.keyFile.path], env: env)
        #expect(r.status == 0 && !r.stderr.contains("warning"), "\(r.stderr)")

        let passFile = a.dir.deletingLastPathComponent().appendingPathComponent("pass")
        try Data("correct horse battery staple\n".utf8).write(to: passFile)
        #expect(chmod(passFile.path, 0o640) == 0)
        r = try Harness.run(["stats", "--passphrase-file", passFile.path], env: env)
        #expect(r.status == 0 && r.stderr.contains("lethe: warning: passphrase file \(passFile.path) is accessible by others (mode 0640)"), "\(r.stderr)")
        #expect(chmod(passFile.path, 0o400) == 0)
        r = try Harness.run(["stats", "--passphrase-file", passFile.path], env: env)
        #expect(r.status == 0 && !r.stderr.contains("warning"), "\(r.stderr)")
    }

    // MARK: - core dumps

    /// A lethe that has unlocked the archive and waits for its lock has a core size limit of 0,
    /// though it was started with core dumps allowed.
    @Test func lethesCoreFileLimitIsZero() throws {
        #if os(Linux)
        var hard = rlimit()
        getrlimit(Int32(RLIMIT_CORE.rawValue), &hard)
        guard hard.rlim_max > 0 else {
            print("SKIP lethesCoreFileLimitIsZero: the hard core-size limit here is 0, so a child cannot start with core dumps allowed")
            return
        }
        let a = try Harness.makeArchive("core")
        let fd = open(a.dir.appendingPathComponent("lock").path, O_RDWR)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The limit the child starts with: as high as allowed, never 0.
        p.arguments = ["-c", "ulimit -S -c \(hard.rlim_max == rlim_t.max ? "unlimited" : String(hard.rlim_max)) && exec \"$0\" \"$@\"",
                       Harness.binary.path, "import", "--wait", "60", LockFileTests.sample.path, "--key-file", a.keyFile.path]
        p.environment = ["LETHE_ARCHIVE": a.dir.path, "PATH": "/usr/bin:/bin"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer {
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
        }
        func coreLimit() -> String? {
            let limits = (try? String(contentsOfFile: "/proc/\(p.processIdentifier)/limits", encoding: .utf8)) ?? ""
            return limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") }
                .map { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2).joined(separator: " ") }
        }
        func exe() -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(p.processIdentifier)/exe") }
        // Once the shell has exec'd lethe, it soon sets its limit; it then waits on our lock.
        let deadline = Date().addingTimeInterval(20)
        var seen: String?
        while Date() < deadline, p.isRunning {
            if exe().map({ $0.hasSuffix("/lethe") }) == true { seen = coreLimit() }
            if seen == "0 0" { break }
            usleep(20_000)
        }
        #expect(p.isRunning, "lethe still waits for the lock, so the limit read is the running process's")
        #expect(seen == "0 0", "Max core file size (soft hard) of lethe: \(seen ?? "not read")")
        flock(fd, LOCK_UN)
        #else
        print("SKIP lethesCoreFileLimitIsZero: reads /proc, Linux only")
        #endif
    }

    // MARK: - archive folder mode

    @Test func anArchiveFolderOthersCanEnterIsTightenedTo0700() throws {
        let root = Harness.tempDir("mode")
        let dir = root.appendingPathComponent("archive")
        let key = root.appendingPathComponent("key")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        #expect(chmod(dir.path, 0o755) == 0)
        func mode() throws -> Int { (try FileManager.default.attributesOfItem(atPath: dir.path)[.posixPermissions] as? Int ?? -1) & 0o7777 }
        let env = ["LETHE_ARCHIVE": dir.path]
        var r = try Harness.run(["init", "--key-file", key.path], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try mode() == 0o700)
        #expect(r.stderr.contains("lethe: note: archive folder \(dir.path) was mode 0755; set to 0700"), "\(r.stderr)")
        // A writing command tightens it again; a reading one leaves it (and says nothing).
        #expect(chmod(dir.path, 0o755) == 0)
        r = try Harness.run(["stats", "--key-file", key.path], env: env)
        let modeAfterStats = try mode()
        #expect(r.status == 0 && !r.stderr.contains("note") && modeAfterStats == 0o755, "\(r.stderr)")
        r = try Harness.run(["import", LockFileTests.sample.path, "--key-file", key.path], env: env)
        #expect(r.status == 0 && r.stderr.contains("was mode 0755; set to 0700"), "\(r.stderr)")
        #expect(try mode() == 0o700)
        r = try Harness.run(["import", LockFileTests.sample.path, "--key-file", key.path], env: env)
        #expect(r.status == 0 && !r.stderr.contains("note"), "nothing to say at 0700: \(r.stderr)")
    }

    // MARK: - one instant, several spellings

    @Test func oneInstantSpelledThreeWaysIsOneMessage() throws {
        let root = Harness.tempDir("ts-spelling")
        func export(_ name: String, _ stamps: [String]) throws -> URL {
            let dir = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("general"), withIntermediateDirectories: true)
            try Data(HostileExportTests.users.utf8).write(to: dir.appendingPathComponent("users.json"))
            try Data(HostileExportTests.channels.utf8).write(to: dir.appendingPathComponent("channels.json"))
            let day = "[" + (stamps.map { HostileExportTests.message($0, "half past") } + [HostileExportTests.message("1704100001.000100", "other")]).joined(separator: ",") + "]"
            try Data(day.utf8).write(to: dir.appendingPathComponent("general/2024-01-01.json"))
            return dir
        }
        let a = try Harness.makeArchive("ts-spelling")
        let env = ["LETHE_ARCHIVE": a.dir.path]
        var r = try Harness.run(["import", "--json", try export("first", ["1704100000.5", "1704100000.500000"]).path, "--key-file", a.keyFile.path], env: env)
        #expect(r.status == 0 && r.json?["messages_added"] as? Int == 2 && r.json?["messages_skipped_duplicate"] as? Int == 1, "\(r.stdout) \(r.stderr)")
        r = try Harness.run(["import", "--json", try export("second", ["1704100000.500000000"]).path, "--key-file", a.keyFile.path], env: env)
        #expect(r.status == 0 && r.json?["messages_added"] as? Int == 0 && r.json?["messages_unchanged"] as? Int == 2, "\(r.stdout) \(r.stderr)")
        r = try Harness.run(["stats", "--json", "--key-file", a.keyFile.path], env: env)
        #expect(r.json?["messages"] as? Int == 2, "\(r.stdout)")
        let out = root.appendingPathComponent("out")
        #expect(try Harness.run(["export", "--out", out.path, "--key-file", a.keyFile.path], env: env).status == 0)
        let tree = try ExportTree(out)
        #expect(tree.messageCount == 2)
        #expect(Set(tree.days["general/2024-01-01.json"]?.keys.map { $0 } ?? []) == ["1704100000.5", "1704100001.000100"], "the first-seen spelling is kept")
        let text = try String(contentsOf: out.appendingPathComponent("general/2024-01-01.json"), encoding: .utf8)
        #expect(!text.contains("1704100000.500000"), "\(text)")
        // An ordinary re-import is still exact, and an edit under another spelling is an update kept under the first.
        let edited = root.appendingPathComponent("edited")
        try FileManager.default.copyItem(at: try export("third", ["1704100000.50"]), to: edited)
        let day = edited.appendingPathComponent("general/2024-01-01.json")
        try Data(try String(contentsOf: day, encoding: .utf8).replacingOccurrences(of: "half past", with: "half past (edited)").utf8).write(to: day)
        r = try Harness.run(["import", "--json", edited.path, "--key-file", a.keyFile.path], env: env)
        #expect(r.status == 0 && r.json?["messages_updated"] as? Int == 1 && r.json?["messages_added"] as? Int == 0, "\(r.stdout)")
        let out2 = root.appendingPathComponent("out2")
        #expect(try Harness.run(["export", "--out", out2.path, "--key-file", a.keyFile.path], env: env).status == 0)
        let msgs = try ExportTree(out2).days["general/2024-01-01.json"] ?? [:]
        #expect(msgs.count == 2 && (msgs["1704100000.5"]?["text"] as? String) == "half past (edited)", "\(msgs)")
    }
}
