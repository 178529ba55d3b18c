import Foundation
import Testing

/// Runs the real `lethe` binary and inspects real archive files.
enum Harness {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
    static let corpus = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus")

    /// The built `lethe` next to the test bundle (or $LETHE_BIN).
    static let binary: URL = {
        if let p = ProcessInfo.processInfo.environment["LETHE_BIN"] { return URL(fileURLWithPath: p) }
        var candidates: [URL] = [Bundle.main.bundleURL, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        candidates += Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        for dir in candidates {
            let u = dir.appendingPathComponent("lethe")
            if FileManager.default.isExecutableFile(atPath: u.path) { return u }
            let up = dir.deletingLastPathComponent().appendingPathComponent("lethe")
            if FileManager.default.isExecutableFile(atPath: up.path) { return up }
        }
        return packageRoot.appendingPathComponent(".build/debug/lethe")
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
        }
    }

    /// Runs lethe with a clean environment plus `env`; with `fileSizeLimit` (in 512-byte
    /// blocks, as `ulimit -f` counts them) under that RLIMIT_FSIZE.
    @discardableResult
    static func run(_ args: [String], env: [String: String] = [:], stdin: Data? = nil, fileSizeLimit: Int? = nil) throws -> Result {
        let p = Process()
        if let fileSizeLimit {
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "ulimit -f \(fileSizeLimit) && exec \"$0\" \"$@\"", binary.path] + args
        } else {
            p.executableURL = binary
            p.arguments = args
        }
        var environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Starts lethe, sends it SIGKILL after `delay` seconds, and reaps it. True when the kill
    /// landed while it ran; false when it had already exited. The child runs at the lowest
    /// priority, so that on a busy machine it is the child that slows down, not this timer.
    /// With `whenExists`, the delay counts from the moment that file appears (watched in a tight loop).
    static func runKilled(_ args: [String], env: [String: String], after delay: Double, whenExists: URL? = nil) throws -> Bool {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()].merging(env) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        #if os(Linux)
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(p.processIdentifier), 19)
        #else
        setpriority(PRIO_PROCESS, id_t(p.processIdentifier), 19)
        #endif
        if let whenExists {
            while p.isRunning && access(whenExists.path, F_OK) != 0 {}
        }
        Thread.sleep(forTimeInterval: delay)
        var killed = false
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            killed = true
        }
        p.waitUntilExit()
        // Killed by our signal, not exited on its own just before it.
        return killed && p.terminationReason == .uncaughtSignal
    }

    /// One folder per test process holds every file the tests make; it is removed when the
    /// process exits, unless LETHE_KEEP_TEST_FILES=1 (then its path is printed, to inspect).
    static let testRoot: URL = {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-tests-\(getpid())-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["LETHE_KEEP_TEST_FILES"] == "1" {
            print("LETHE_KEEP_TEST_FILES=1: test files are kept in \(u.path)")
        } else {
            atexit { Harness.removeTestRoot() }
        }
        return u
    }()

    static func removeTestRoot() {
        try? FileManager.default.removeItem(at: testRoot)
    }

    /// A fresh folder below `testRoot`.
    static func tempDir(_ name: String = "t") -> URL {
        let u = testRoot.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// Every regular file below `dir`, path → bytes.
    static func snapshot(_ dir: URL) -> [String: Data] {
        var out: [String: Data] = [:]
        let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)
        while let u = e?.nextObject() as? URL {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: u.path, isDirectory: &isDir), !isDir.boolValue {
                out[u.path.replacingOccurrences(of: dir.path, with: "")] = try? Data(contentsOf: u)
            }
        }
        return out
    }

    /// The needles found in any file below `dir`: (needle, file).
    static func scan(_ dir: URL, for needles: Set<String>) -> [(String, String)] {
        var found: [(String, String)] = []
        for (path, data) in snapshot(dir) {
            let bytes = [UInt8](data)
            for n in needles where contains(bytes, Array(n.utf8)) { found.append((n, path)) }
        }
        return found
    }

    static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, hay.count >= needle.count else { return false }
        let first = needle[0]
        var i = 0
        let last = hay.count - needle.count
        while i <= last {
            if hay[i] == first && hay[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }

    /// A fresh archive with a fast (interactive) passphrase slot and a key file.
    static func makeArchive(_ name: String = "a") throws -> (dir: URL, env: [String: String], keyFile: URL) {
        let root = tempDir(name)
        let dir = root.appendingPathComponent("archive")
        let keyFile = root.appendingPathComponent("key")
        let env = ["LETHE_ARCHIVE": dir.path, "LETHE_PASSPHRASE": "correct horse battery staple"]
        let r = try run(["init", "--kdf", "interactive", "--key-file", keyFile.path], env: env)
        #expect(r.status == 0, "init failed: \(r.stderr)")
        return (dir, env, keyFile)
    }

    /// The Slack export folders available to round-trip: our fixtures, plus the shared corpus when present.
    static func exportFolders() -> [URL] {
        var out: [URL] = []
        for name in ["slack-sample", "slack-sample-update"] {
            let u = fixtures.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: u.appendingPathComponent("channels.json").path) { out.append(u) }
        }
        let slack = corpus.appendingPathComponent("slack")
        if let names = try? FileManager.default.contentsOfDirectory(atPath: slack.path) {
            out += names.sorted().map { slack.appendingPathComponent($0) }
                .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("channels.json").path) }
        } else {
            print("SKIP: shared corpus exports not found at \(slack.path); only the repository's own fixtures are used")
        }
        return out
    }
}

/// A parsed Slack export folder, read independently with Foundation's JSONSerialization.
struct ExportTree {
    /// folder/day → messages (ts → JSON object)
    var days: [String: [String: NSDictionary]] = [:]
    var metadata: [String: NSArray] = [:]

    init(_ root: URL) throws {
        let fm = FileManager.default
        for file in ["channels.json", "groups.json", "dms.json", "mpims.json", "users.json"] {
            let u = root.appendingPathComponent(file)
            if let d = try? Data(contentsOf: u), let a = try JSONSerialization.jsonObject(with: d) as? NSArray { metadata[file] = a }
        }
        for folder in try fm.contentsOfDirectory(atPath: root.path).sorted() {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: root.appendingPathComponent(folder).path, isDirectory: &isDir), isDir.boolValue else { continue }
            for file in try fm.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
            where file.range(of: #"^\d{4}-\d{2}-\d{2}\.json$"#, options: .regularExpression) != nil {
                let d = try Data(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(file))
                guard let arr = try JSONSerialization.jsonObject(with: d) as? [NSDictionary] else { continue }
                var msgs: [String: NSDictionary] = [:]
                for m in arr { if let ts = m["ts"] as? String { msgs[ts] = m } }
                days[folder + "/" + file] = msgs
            }
        }
    }

    var messageCount: Int { days.values.reduce(0) { $0 + $1.count } }
}
