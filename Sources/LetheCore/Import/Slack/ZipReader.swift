import CDeflate
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small, strict reader of zip archives (PKWARE APPNOTE 6.3: end of central directory,
/// zip64, central directory, local headers; methods stored and deflate), written for
/// hostile input: every offset and size is checked against the file before it is used,
/// an entry's data is read only from its own byte range, and inflating stops with an error
/// when that range is spent before the deflate stream ends.
///
/// Written by hand because the library we used (ZIPFoundation 0.9.20) never returns from
/// an entry whose deflate stream runs past the end of the file: the export-reader fuzz
/// target found a 1.5 KB zip that made `lethe import` spin forever.
final class ZipReader: @unchecked Sendable {
    struct Entry {
        /// The name's raw bytes (decoding is the caller's: UTF-8 or CP437).
        var nameBytes: [UInt8]
        var method: UInt16
        var crc32: UInt32
        var compressedSize: UInt64
        var uncompressedSize: UInt64
        var localHeaderOffset: UInt64
        var isSymlink: Bool
        var isDirectory: Bool
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// The central directory's entries, until `releaseListing()`.
    private(set) var entries: [Entry]
    private let fd: Int32
    private let fileSize: UInt64

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(String(cString: strerror(errno))) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw Failure("not a regular file")
        }
        self.fd = fd
        self.fileSize = UInt64(st.st_size)
        do {
            entries = try ZipReader.centralDirectory(fd: fd, fileSize: fileSize)
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Frees the listing (names and all) once the caller has taken what it keeps: at
    /// 300,000 entries it is ~37 MB. Reading needs only the entry the caller holds.
    func releaseListing() { entries = [] }

    // MARK: - Reading an entry

    /// Streams the entry's uncompressed bytes to `consumer` in chunks, then checks its CRC-32.
    /// Thread-safe: reads with pread and keeps no state between calls.
    func read(_ entry: Entry, consumer: ([UInt8]) throws -> Void) throws {
        let header = try pread(entry.localHeaderOffset, 30)
        guard le32(header, 0) == 0x0403_4b50 else { throw Failure("local header missing") }
        let dataStart = entry.localHeaderOffset + 30 + UInt64(le16(header, 26)) + UInt64(le16(header, 28))
        guard dataStart <= fileSize, entry.compressedSize <= fileSize - dataStart else {
            throw Failure("entry data runs past the end of the file")
        }
        var crc = UInt32(0)
        var produced: UInt64 = 0
        func emit(_ chunk: [UInt8]) throws {
            guard !chunk.isEmpty else { return }
            produced += UInt64(chunk.count)
            guard produced <= entry.uncompressedSize else { throw Failure("more data than its declared size") }
            crc = chunk.withUnsafeBufferPointer { UInt32(truncatingIfNeeded: CDeflate.crc32(uLong(crc), $0.baseAddress, uInt($0.count))) }
            try consumer(chunk)
        }
        let chunkSize: UInt64 = 64 << 10
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else { throw Failure("stored entry with two sizes") }
            var at: UInt64 = 0
            while at < entry.compressedSize {
                let n = min(chunkSize, entry.compressedSize - at)
                try emit(try pread(dataStart + at, Int(n)))
                at += n
            }
        case 8 where entry.compressedSize == 0 && entry.uncompressedSize == 0:
            break  // an empty file some writers store as "deflated" with no bytes at all
        case 8:
            try inflate(from: dataStart, count: entry.compressedSize, chunkSize: Int(chunkSize), emit: emit)
        default:
            throw Failure("compression method \(entry.method) is not supported (stored and deflate are)")
        }
        guard produced == entry.uncompressedSize else { throw Failure("\(produced) bytes where the header says \(entry.uncompressedSize)") }
        guard crc == entry.crc32 else { throw Failure("CRC-32 mismatch") }
    }

    private func inflate(from start: UInt64, count: UInt64, chunkSize: Int, emit: ([UInt8]) throws -> Void) throws {
        var stream = z_stream()
        guard cdeflate_inflate_init_raw(&stream) == Z_OK else { throw Failure("zlib failed to start") }
        defer { inflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: chunkSize)
        var consumed: UInt64 = 0
        var ended = false
        while !ended {
            guard consumed < count else { throw Failure("deflate data ends before its stream does (truncated or corrupt)") }
            var input = try pread(start + consumed, Int(min(UInt64(chunkSize), count - consumed)))
            consumed += UInt64(input.count)
            try input.withUnsafeMutableBufferPointer { inBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                repeat {
                    let (rc, made) = out.withUnsafeMutableBufferPointer { outBuf -> (Int32, Int) in
                        stream.next_out = outBuf.baseAddress
                        stream.avail_out = uInt(outBuf.count)
                        let rc = CDeflate.inflate(&stream, Z_NO_FLUSH)
                        return (rc, outBuf.count - Int(stream.avail_out))
                    }
                    switch rc {
                    case Z_OK, Z_BUF_ERROR: break
                    case Z_STREAM_END: ended = true
                    default: throw Failure("corrupt deflate data")
                    }
                    try emit(Array(out[0..<made]))
                    if ended || made == 0 && stream.avail_in == 0 { break }
                } while stream.avail_in > 0 || stream.avail_out == 0
            }
        }
    }

    // MARK: - The central directory

    private static func centralDirectory(fd: Int32, fileSize: UInt64) throws -> [Entry] {
        // End of central directory: 22 bytes plus a comment of up to 65,535, at the very end.
        guard fileSize >= 22 else { throw Failure("too short to be a zip archive") }
        let tailSize = min(fileSize, 22 + 65_535)
        let tail = try pread(fd, fileSize, fileSize - tailSize, Int(tailSize))
        var eocd = -1
        var i = tail.count - 22
        while i >= 0 {
            if le32(tail, i) == 0x0605_4b50 && i + 22 + Int(le16(tail, i + 20)) == tail.count { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw Failure("no end of central directory record") }
        var count = UInt64(le16(tail, eocd + 10))
        var cdSize = UInt64(le32(tail, eocd + 12))
        var cdOffset = UInt64(le32(tail, eocd + 16))
        // Zip64: a locator just before the record points at the zip64 end of central directory.
        if (count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF), eocd >= 20, le32(tail, eocd - 20) == 0x0706_4b50 {
            let recordOffset = le64(tail, eocd - 20 + 8)
            let record = try pread(fd, fileSize, recordOffset, 56)
            guard le32(record, 0) == 0x0606_4b50 else { throw Failure("zip64 end of central directory missing") }
            count = le64(record, 32)
            cdSize = le64(record, 40)
            cdOffset = le64(record, 48)
        }
        guard cdOffset <= fileSize, cdSize <= fileSize - cdOffset else { throw Failure("central directory outside the file") }
        guard count <= cdSize / 46 else { throw Failure("central directory too small for \(count) entries") }
        let cd = try pread(fd, fileSize, cdOffset, Int(cdSize))
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        var at = 0
        for _ in 0..<count {
            guard at + 46 <= cd.count, le32(cd, at) == 0x0201_4b50 else { throw Failure("central directory entry \(entries.count) is damaged") }
            let madeBy = le16(cd, at + 4)
            let nameLength = Int(le16(cd, at + 28)), extraLength = Int(le16(cd, at + 30)), commentLength = Int(le16(cd, at + 32))
            let end = at + 46 + nameLength + extraLength + commentLength
            guard end <= cd.count else { throw Failure("central directory entry \(entries.count) is damaged") }
            var entry = Entry(
                nameBytes: Array(cd[(at + 46)..<(at + 46 + nameLength)]), method: le16(cd, at + 10), crc32: le32(cd, at + 16),
                compressedSize: UInt64(le32(cd, at + 20)), uncompressedSize: UInt64(le32(cd, at + 24)),
                localHeaderOffset: UInt64(le32(cd, at + 42)), isSymlink: false, isDirectory: false)
            // Zip64 extended information (0x0001): the fields that are 0xFFFFFFFF, in order.
            var x = at + 46 + nameLength
            let extraEnd = x + extraLength
            while x + 4 <= extraEnd {
                let id = le16(cd, x), size = Int(le16(cd, x + 2))
                guard x + 4 + size <= extraEnd else { break }
                if id == 0x0001 {
                    var y = x + 4
                    func next() throws -> UInt64 {
                        guard y + 8 <= x + 4 + size else { throw Failure("zip64 field of entry \(entries.count) is short") }
                        defer { y += 8 }
                        return le64(cd, y)
                    }
                    if entry.uncompressedSize == 0xFFFF_FFFF { entry.uncompressedSize = try next() }
                    if entry.compressedSize == 0xFFFF_FFFF { entry.compressedSize = try next() }
                    if entry.localHeaderOffset == 0xFFFF_FFFF { entry.localHeaderOffset = try next() }
                }
                x += 4 + size
            }
            let unixMode = (madeBy >> 8) == 3 ? (le32(cd, at + 38) >> 16) & UInt32(S_IFMT) : 0
            entry.isSymlink = unixMode == UInt32(S_IFLNK)
            entry.isDirectory = entry.nameBytes.last == UInt8(ascii: "/") || unixMode == UInt32(S_IFDIR)
            entries.append(entry)
            at = end
        }
        return entries
    }

    // MARK: - Bytes

    private func pread(_ offset: UInt64, _ count: Int) throws -> [UInt8] {
        try ZipReader.pread(fd, fileSize, offset, count)
    }

    private static func pread(_ fd: Int32, _ fileSize: UInt64, _ offset: UInt64, _ count: Int) throws -> [UInt8] {
        guard offset <= fileSize, UInt64(count) <= fileSize - offset else { throw Failure("a record points past the end of the file") }
        var buf = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buf.withUnsafeMutableBytes { systemPread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(n == 0 ? "the file ends early" : String(cString: strerror(errno))) }
            done += n
        }
        return buf
    }
}

private func le16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
private func le32(_ b: [UInt8], _ i: Int) -> UInt32 { UInt32(le16(b, i)) | UInt32(le16(b, i + 2)) << 16 }
private func le64(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(le32(b, i)) | UInt64(le32(b, i + 4)) << 32 }

#if canImport(Glibc)
private let systemPread = Glibc.pread
#else
private let systemPread = Darwin.pread
#endif
