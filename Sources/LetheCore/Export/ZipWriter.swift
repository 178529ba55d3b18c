import CDeflate
import Foundation

/// Writes a small zip archive in memory: deflated entries, no zip64, no extra fields.
///
/// What an RSMF file's `rsmf.zip` needs (a manifest and a few files, well under 4 GiB);
/// `ZipReader` (the import's strict reader) reads it back in the tests. Entry times are
/// the fixed DOS epoch 1980-01-01, so the same content gives the same bytes.
struct ZipWriter {
    private var body: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0
    private var names = Set<String>()

    /// Adds one file; names are unique, relative, with `/` separators.
    mutating func add(_ name: String, _ data: [UInt8]) throws {
        let nameBytes = Array(name.utf8)
        guard !name.isEmpty, !name.hasPrefix("/"), !name.split(separator: "/").contains(".."), names.insert(name).inserted,
              nameBytes.count < 0xFFFF
        else { throw LetheError(.failure, "internal: zip entry name \"\(name)\" is not a unique relative name") }
        let packed = try ZipWriter.deflate(data)
        guard data.count < 0xFFFF_FFFF, packed.count < 0xFFFF_FFFF, body.count < 0xFFFF_FFFF - packed.count - 30 - nameBytes.count else {
            throw LetheError(.failure, "internal: zip entry \"\(name)\" is over 4 GiB")
        }
        let crc = data.withUnsafeBufferPointer { UInt32(truncatingIfNeeded: crc32(0, $0.baseAddress, uInt($0.count))) }
        let offset = UInt32(body.count)
        // Bit 11: names are UTF-8.
        var local = ZipWriter.le32(0x0403_4b50) + ZipWriter.le16(20) + ZipWriter.le16(1 << 11) + ZipWriter.le16(8)
        local += ZipWriter.le16(0) + ZipWriter.le16(0x21)  // time 00:00, date 1980-01-01
        local += ZipWriter.le32(crc) + ZipWriter.le32(UInt32(packed.count)) + ZipWriter.le32(UInt32(data.count))
        local += ZipWriter.le16(UInt16(nameBytes.count)) + ZipWriter.le16(0)
        body += local + nameBytes + packed
        var entry = ZipWriter.le32(0x0201_4b50) + ZipWriter.le16(0x031E) + ZipWriter.le16(20) + ZipWriter.le16(1 << 11) + ZipWriter.le16(8)
        entry += ZipWriter.le16(0) + ZipWriter.le16(0x21)
        entry += ZipWriter.le32(crc) + ZipWriter.le32(UInt32(packed.count)) + ZipWriter.le32(UInt32(data.count))
        entry += ZipWriter.le16(UInt16(nameBytes.count)) + ZipWriter.le16(0) + ZipWriter.le16(0) + ZipWriter.le16(0) + ZipWriter.le16(0)
        entry += ZipWriter.le32(0o100644 << 16) + ZipWriter.le32(offset)
        central += entry + nameBytes
        count += 1
    }

    /// The whole archive: entries, central directory, end record.
    func finished() -> [UInt8] {
        var end = ZipWriter.le32(0x0605_4b50) + ZipWriter.le16(0) + ZipWriter.le16(0)
        end += ZipWriter.le16(UInt16(count)) + ZipWriter.le16(UInt16(count))
        end += ZipWriter.le32(UInt32(central.count)) + ZipWriter.le32(UInt32(body.count)) + ZipWriter.le16(0)
        return body + central + end
    }

    static func deflate(_ data: [UInt8]) throws -> [UInt8] {
        var s = z_stream()
        guard cdeflate_deflate_init_raw(&s, 6) == Z_OK else { throw LetheError(.failure, "zlib: cannot start deflate") }
        defer { deflateEnd(&s) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&s, uLong(data.count))) + 16)
        var input = data
        let status: Int32 = input.withUnsafeMutableBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { o in
                s.next_in = inp.baseAddress
                s.avail_in = uInt(inp.count)
                s.next_out = o.baseAddress
                s.avail_out = uInt(o.count)
                return CDeflate.deflate(&s, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw LetheError(.failure, "zlib: deflate failed (\(status))") }
        return Array(out[0..<Int(s.total_out)])
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
}
