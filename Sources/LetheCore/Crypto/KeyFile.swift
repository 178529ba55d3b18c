import CSodium
import Foundation

/// Key files: 32 random bytes, written as one line of URL-safe base64.
///
/// ```
/// # lethe key file: anyone holding this file can read the archive. Keep it secret.
/// lethe-keyfile-v1:<43 characters of base64url, no padding>
/// ```
/// The key never passes through a Swift `String`: encoding and decoding use
/// libsodium's constant-time base64 into guarded memory.
public enum KeyFile {
    static let prefix = Array("lethe-keyfile-v1:".utf8)
    static let comment = Array("# lethe key file: anyone holding this file can read the archive. Keep it secret.\n".utf8)

    /// Writes a new key file (mode 0600). Refuses to overwrite an existing file.
    public static func create(at url: URL) throws -> SecretKey {
        let key = SecretKey.random()
        let encodedLen = Int(sodium_base64_encoded_len(32, Int32(sodium_base64_VARIANT_URLSAFE_NO_PADDING)))
        var text = comment + prefix + [UInt8](repeating: 0, count: encodedLen)
        let start = comment.count + prefix.count
        text.withUnsafeMutableBytes { t in
            key.withUnsafeBytes { k in
                _ = sodium_bin2base64((t.baseAddress! + start).assumingMemoryBound(to: CChar.self), encodedLen,
                                      k.baseAddress!.assumingMemoryBound(to: UInt8.self), 32,
                                      Int32(sodium_base64_VARIANT_URLSAFE_NO_PADDING))
            }
        }
        text[text.count - 1] = 10  // replace the NUL terminator with a newline
        defer { Sodium.wipe(&text) }
        try writeNew(text, at: url, what: "key file")
        return key
    }

    /// Writes `text` as a new file of mode 0600 at `url`, never replacing anything there.
    static func writeNew(_ text: [UInt8], at url: URL, what: String) throws {
        // Written in full beside the target, then linked into place: a process killed
        // half-way leaves no empty or partial key file that a re-run would refuse.
        if FileManager.default.fileExists(atPath: url.path) { throw exists(url, what) }
        let tmp = url.path + ".lethe-tmp"
        unlink(tmp)  // the remains of an interrupted create: its key opens nothing
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw LetheError(.failure, "cannot create \(what) \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { unlink(tmp) }
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        let synced = written == text.count && fsync(fd) == 0
        let writeErrno = errno
        close(fd)
        guard synced else {
            // A short write without an error is a full disk too.
            let full = (written >= 0 && written < text.count) || [ENOSPC, EDQUOT, EFBIG].contains(writeErrno)
            throw LetheError(full ? .noSpace : .failure, "cannot write \(what) \(url.path): \(String(cString: strerror(written >= 0 && written < text.count ? ENOSPC : writeErrno)))")
        }
        // link() fails if the target exists, so an existing key file is never replaced.
        if link(tmp, url.path) != 0 {
            if errno == EEXIST { throw exists(url, what) }
            throw LetheError(.failure, "cannot create \(what) \(url.path): \(String(cString: strerror(errno)))")
        }
        fsyncDirectory(url.deletingLastPathComponent())
    }

    private static func exists(_ url: URL, _ what: String) -> LetheError {
        LetheError(.usage, "cannot create \(what) \(url.path): it already exists",
                   hint: "to use an existing key file with a new archive, remove it first or choose another path")
    }

    /// Reads a key file into guarded memory.
    public static func load(_ url: URL) throws -> SecretKey {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw LetheError(.usage, "cannot read key file \(url.path): no such file or not readable")
        }
        defer { try? handle.close() }
        var bytes = [UInt8]((try? handle.read(upToCount: 4096)) ?? Data())
        defer { Sodium.wipe(&bytes) }
        return try parse(bytes, path: url.path)
    }

    /// The range of the value on the first line of `bytes` that starts with `prefix` (after the
    /// prefix, trailing CR and spaces trimmed); nil when no line does. Key files and role key
    /// files are found the same way.
    static func valueRange(after prefix: [UInt8], in bytes: [UInt8]) -> Range<Int>? {
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != 10 { lineEnd += 1 }
            var end = lineEnd
            while end > lineStart, bytes[end - 1] == 13 || bytes[end - 1] == 32 { end -= 1 }
            if end - lineStart > prefix.count, Array(bytes[lineStart..<lineStart + prefix.count]) == prefix {
                return (lineStart + prefix.count)..<end
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// The key in a key file's bytes (its first 4 KiB).
    static func parse(_ bytes: [UInt8], path: String) throws -> SecretKey {
        if let value = valueRange(after: prefix, in: bytes) {
            var ok = false
            let key = bytes.withUnsafeBytes { b in
                SecretKey.filled { out in
                    var binLen = 0
                    let rc = sodium_base642bin(out.assumingMemoryBound(to: UInt8.self), 32,
                                               (b.baseAddress! + value.lowerBound).assumingMemoryBound(to: CChar.self), value.count,
                                               nil, &binLen, nil, Int32(sodium_base64_VARIANT_URLSAFE_NO_PADDING))
                    ok = rc == 0 && binLen == 32
                }
            }
            if ok { return key }
        }
        throw LetheError(.wrongSecret, "\(path) is not a lethe key file", hint: "a key file is made by `lethe init --key-file FILE`")
    }
}
