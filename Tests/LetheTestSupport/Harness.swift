import Foundation

/// Runs the real `lethe` binary and inspects real archive files.
public enum Harness {
    public static let packageRoot = Repository.root
    public static let fixtures = Repository.fixtures
    public static let corpus = SharedCorpus.root

    /// The built `lethe` next to the test bundle (or $LETHE_BIN).
    public static let binary: URL = {
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

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String

        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }

        /// stdout as one JSON object, for the few checks that need raw access; prefer `decode`.
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
        }
    }

    /// Runs lethe with a clean environment plus `env`; with `fileSizeLimit` (in 512-byte
    /// blocks, as `ulimit -f` counts them) under that RLIMIT_FSIZE.
    @discardableResult
    public static func run(_ args: [String], env: [String: String] = [:], stdin: Data? = nil, fileSizeLimit: Int? = nil) throws -> Result {
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
    public static func runKilled(_ args: [String], env: [String: String], after delay: Double, whenExists: URL? = nil) throws -> Bool {
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
    public static let testRoot: URL = {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-tests-\(getpid())-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["LETHE_KEEP_TEST_FILES"] == "1" {
            print("LETHE_KEEP_TEST_FILES=1: test files are kept in \(u.path)")
        } else {
            atexit { Harness.removeTestRoot() }
        }
        return u
    }()

    public static func removeTestRoot() {
        try? FileManager.default.removeItem(at: testRoot)
    }

    /// A fresh folder below `testRoot`.
    public static func tempDir(_ name: String = "t") -> URL {
        let u = testRoot.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// Every regular file below `dir`, path → bytes.
    public static func snapshot(_ dir: URL) -> [String: Data] {
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
    public static func scan(_ dir: URL, for needles: Set<String>) -> [(String, String)] {
        var found: [(String, String)] = []
        for (path, data) in snapshot(dir) {
            let bytes = [UInt8](data)
            for n in needles where contains(bytes, Array(n.utf8)) { found.append((n, path)) }
        }
        return found
    }

    public static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
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

    /// A fresh archive with a fast (interactive) passphrase slot and a key file, in its own
    /// folder below `testRoot`; `initArgs` go to `lethe init` (e.g. `["--bucket", "month"]`).
    /// Throws when init fails.
    public static func makeArchive(_ name: String = "a", initArgs: [String] = []) throws -> TestArchive {
        try TestArchive.create(name, initArgs: initArgs)
    }

    /// The Slack export folders available to round-trip: our fixtures, plus the shared corpus when present.
    public static func exportFolders() -> [URL] {
        var out: [URL] = []
        for name in ["slack-sample", "slack-sample-update"] {
            let u = fixtures.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: u.appendingPathComponent("channels.json").path) { out.append(u) }
        }
        return out + SharedCorpus.slackExports(skipping: "only the repository's own fixtures are used")
    }
}
