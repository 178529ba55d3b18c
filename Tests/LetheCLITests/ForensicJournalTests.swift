import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// What the file system keeps of a shred (docs/SECURITY.md, "Shredding"). A small shared
/// library, loaded into the real `lethe` with LD_PRELOAD, copies every journal and WAL at
/// the moment it is removed or truncated: what a copy has then is what its freed blocks
/// keep for anyone who carves the disk. No shredded wrapped key may be in any copy.
@Suite(.serialized) struct ForensicJournalTests {
    static let shim = """
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <fcntl.h>
        #include <limits.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/types.h>
        #include <unistd.h>
        static int counter;
        static void snap(const char *path) {
            const char *dir = getenv("LETHE_TEST_SNAP_DIR");
            if (!dir || !path || (!strstr(path, "-journal") && !strstr(path, "-wal"))) return;
            int in = open(path, O_RDONLY);
            if (in < 0) return;
            const char *base = strrchr(path, '/');
            char out[PATH_MAX];
            snprintf(out, sizeof out, "%s/%d-%03d-%s", dir, (int)getpid(), counter++, base ? base + 1 : path);
            int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            char buf[65536];
            ssize_t n;
            while ((n = read(in, buf, sizeof buf)) > 0) { if (write(o, buf, (size_t)n) != n) break; }
            close(o);
            close(in);
        }
        static void snapfd(int fd) {
            char link[64], target[PATH_MAX];
            snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
            ssize_t n = readlink(link, target, sizeof target - 1);
            if (n > 0) { target[n] = 0; snap(target); }
        }
        int unlink(const char *path) {
            static int (*real)(const char *);
            if (!real) real = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
            snap(path);
            return real(path);
        }
        int ftruncate(int fd, off_t length) {
            static int (*real)(int, off_t);
            if (!real) real = (int (*)(int, off_t))dlsym(RTLD_NEXT, "ftruncate");
            if (length == 0) snapfd(fd);
            return real(fd, length);
        }
        int truncate(const char *path, off_t length) {
            static int (*real)(const char *, off_t);
            if (!real) real = (int (*)(const char *, off_t))dlsym(RTLD_NEXT, "truncate");
            if (length == 0) snap(path);
            return real(path, length);
        }
        """

    /// Builds the shim with the system C compiler; nil (with the reason printed) when there is none.
    static func buildShim() throws -> URL? {
        let dir = Harness.tempDir("shim")
        let src = dir.appendingPathComponent("snap.c"), lib = dir.appendingPathComponent("snap.so")
        try shim.write(to: src, atomically: true, encoding: .utf8)
        let cc = ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let cc else {
            print("SKIP: no C compiler (cc, gcc, clang) to build the LD_PRELOAD snapshot shim")
            return nil
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: cc)
        p.arguments = ["-shared", "-fPIC", "-O1", "-o", lib.path, src.path, "-ldl"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "the shim builds")
        return lib
    }

    static func rows(_ path: URL, _ query: String) throws -> [[UInt8]] {
        let db = try SQLiteDatabase(path: path.path, options: [.readOnly])
        let s = try db.statement(query).query()
        var out: [[UInt8]] = []
        while try s.step() { out.append(s.blob(0)) }
        return out
    }

    static func snapshots(_ dir: URL) throws -> [(String, [UInt8])] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().map {
            ($0, [UInt8](try Data(contentsOf: dir.appendingPathComponent($0))))
        }
    }

    @Test func noJournalOrWALKeepsAShreddedWrappedKey() throws {
        guard let lib = try Self.buildShim() else { return }
        let a = try Harness.makeArchive("forensic")
        try a.importFixture("slack-sample")
        let keys = a.dir.appendingPathComponent("keys.db")
        let wrappedBefore = Set(try Self.rows(keys, "SELECT wrapped FROM bucket_keys") + Self.rows(keys, "SELECT wrapped FROM channel_keys"))

        // The control: SQLite's own DELETE journal, on a copy, deleting the same rows with
        // secure_delete on, keeps them in the journal it unlinks. This is what the shim and
        // the scan below must catch (and what lethe format 1 left).
        let controlSnaps = Harness.tempDir("control-snaps")
        let copy = Harness.tempDir("control").appendingPathComponent("keys.db")
        try FileManager.default.copyItem(at: keys, to: copy)
        let py = Process()
        py.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        py.arguments = ["python3", "-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute('PRAGMA secure_delete=ON'); db.execute('PRAGMA journal_mode=DELETE')
            db.execute('BEGIN'); db.execute('DELETE FROM bucket_keys'); db.execute('COMMIT')
            """, copy.path]
        py.environment = ProcessInfo.processInfo.environment.merging(["LD_PRELOAD": lib.path, "LETHE_TEST_SNAP_DIR": controlSnaps.path]) { $1 }
        try py.run()
        py.waitUntilExit()
        #expect(py.terminationStatus == 0, "the control ran")
        let controlHits = try Self.snapshots(controlSnaps).filter { snap in wrappedBefore.contains { Harness.contains(snap.1, $0) } }
        #expect(!controlHits.isEmpty, "the control: a DELETE journal keeps wrapped keys, and the scan finds them")

        // The shred, through the real binary with the shim.
        let snaps = Harness.tempDir("snaps")
        let policy = Repository.policy("standard.yml").path
        let env = a.env.merging(["LD_PRELOAD": lib.path, "LETHE_TEST_SNAP_DIR": snaps.path]) { $1 }
        let r = try Harness.run(["retention", "apply", "--policy", policy, "--now", "2026-11-27T00:00:00Z"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let wrappedAfter = Set(try Self.rows(keys, "SELECT wrapped FROM bucket_keys") + Self.rows(keys, "SELECT wrapped FROM channel_keys"))
        let shredded = wrappedBefore.subtracting(wrappedAfter)
        #expect(shredded.count >= 90, "the policy shreds most of the sample (\(shredded.count) keys)")

        let taken = try Self.snapshots(snaps)
        #expect(taken.contains { $0.0.hasSuffix("keys.db-journal") }, "the shim saw keys.db's journal go: \(taken.map(\.0))")
        for (name, bytes) in taken {
            let found = shredded.filter { Harness.contains(bytes, $0) }.count
            #expect(found == 0, "\(name), as it was when removed, holds \(found) shredded wrapped keys")
        }
        // And the live files hold none either (secure_delete overwrote them in place).
        for (path, data) in Harness.snapshot(a.dir) {
            let found = shredded.filter { Harness.contains([UInt8](data), $0) }.count
            #expect(found == 0, "\(path) holds \(found) shredded wrapped keys")
        }
        #expect(!FileManager.default.fileExists(atPath: keys.path + "-journal"), "no journal left behind")
    }
}
