import Foundation
import LetheCore

/// Reads a passphrase into guarded memory from a file, the environment, or a no-echo prompt.
enum SecretReader {
    static func passphrase(file: String?, promptIfNeeded: Bool, confirm: Bool) throws -> Secret? {
        if let file {
            let path = (file as NSString).expandingTildeInPath
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw LetheError(.usage, "cannot read passphrase file \(path)")
            }
            defer { try? handle.close() }
            warnIfOthersCanRead(fd: handle.fileDescriptor, path: path, what: "passphrase file")
            var bytes = [UInt8]((try? handle.read(upToCount: 64 * 1024)) ?? Data())
            if let nl = bytes.firstIndex(of: 10) {
                for i in nl..<bytes.count { bytes[i] = 0 }
                bytes.removeSubrange(nl...)
            }
            if bytes.last == 13 { bytes.removeLast() }
            guard !bytes.isEmpty else { throw LetheError(.usage, "passphrase file \(path) is empty") }
            return Secret(wiping: &bytes)
        }
        if let p = getenv("LETHE_PASSPHRASE") {
            let n = strlen(p)
            var bytes = [UInt8](UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: n))
            memset(p, 0, n)  // wipe the process's copy of the environment value
            unsetenv("LETHE_PASSPHRASE")
            guard !bytes.isEmpty else { throw LetheError(.usage, "LETHE_PASSPHRASE is set but empty") }
            return Secret(wiping: &bytes)
        }
        guard promptIfNeeded, isatty(STDIN_FILENO) == 1 else { return nil }
        let first = try prompt("Passphrase: ")
        if confirm {
            let second = try prompt("Passphrase again: ")
            let same = first.withUnsafeBytes { a in second.withUnsafeBytes { b in a.elementsEqual(b) } }
            guard same else { throw LetheError(.usage, "the two passphrases differ") }
        }
        guard first.count > 0 else { throw LetheError(.usage, "empty passphrase") }
        return first
    }

    /// Loads a key file, warning first when others can read it.
    static func loadKeyFile(_ url: URL) throws -> SecretKey {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            warnIfOthersCanRead(fd: fd, path: url.path, what: "key file")
            close(fd)
        }
        return try KeyFile.load(url)
    }

    /// Loads a full key file or a role key file (`lethe key issue`), warning first when others can read it.
    static func loadAnyKeyFile(_ url: URL) throws -> AnyKeyFile {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            warnIfOthersCanRead(fd: fd, path: url.path, what: "key file")
            close(fd)
        }
        return try AnyKeyFile.load(url)
    }

    /// As ssh does for a private key: a secret file whose mode gives the group or others
    /// any access is used, with a warning naming it and its mode.
    static func warnIfOthersCanRead(fd: Int32, path: String, what: String) {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & 0o077 != 0 else { return }
        let mode = String(info.st_mode & 0o7777, radix: 8)
        printWarning("\(what) \(path) is accessible by others (mode \(String(repeating: "0", count: max(0, 4 - mode.count)) + mode)): anyone who can read it can open the archive; run chmod 600 \(path)")
    }

    /// Reads a line from /dev/tty with echo off.
    static func prompt(_ text: String) throws -> Secret {
        let fd = open("/dev/tty", O_RDWR)
        guard fd >= 0 else { throw LetheError(.usage, "no terminal to ask for the passphrase on") }
        defer { close(fd) }
        _ = text.withCString { write(fd, $0, strlen($0)) }
        var old = termios()
        tcgetattr(fd, &old)
        var quiet = old
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(fd, TCSAFLUSH, &quiet)
        defer {
            tcsetattr(fd, TCSAFLUSH, &old)
            _ = write(fd, "\n", 1)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        var c: UInt8 = 0
        while read(fd, &c, 1) == 1, c != 10, c != 13 {
            bytes.append(c)
            if bytes.count > 4096 { break }
        }
        c = 0
        return Secret(wiping: &bytes)
    }
}
