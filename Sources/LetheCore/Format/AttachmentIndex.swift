/// What one bucket holds of the files its messages shared (format 7, docs/FORMAT.md §4b):
/// the blobs (content, stored once per bucket however many messages share it) and the
/// references (which Slack file id, under which name and export layout, is which blob).
///
/// Sealed under the bucket's key, so shredding the bucket destroys the only copy of every
/// blob's key: a file shared in two buckets (two channels, two days) is two blobs that live
/// and die with their own bucket, and nothing tells an outsider that they are the same file.
struct AttachmentIndex: Equatable, Sendable {
    static let version: UInt8 = 1
    /// Chunk size of the plaintext: a file is sealed in chunks of this size, so that import
    /// and export hold one chunk of it in memory whatever its size.
    static let chunkSize = 1 << 20
    /// The most text of one text-like file that search indexes.
    static let maxIndexedText = 256 << 10

    struct Blob: Equatable, Sendable {
        /// Its number within the bucket (chunk rows are keyed by it).
        var number: Int64
        /// The random key its chunks are sealed under.
        var key: [UInt8]
        /// Bytes of the file.
        var size: Int64
        var chunks: Int64
        /// BLAKE2b-256 of the file's bytes (export checks it; import finds duplicates by it).
        var digest: [UInt8]
        /// The file's text, when it is text-like (at most `maxIndexedText` bytes): what search matches.
        var text: String?
    }

    /// Where a file came from, so that export writes it back in the same place.
    enum Layout: UInt8, Sendable, CaseIterable {
        /// slackdump's "standard": `<channel folder>/attachments/<FILE_ID>-<name>`.
        case standard = 1
        /// slackdump's "mattermost": `__uploads/<FILE_ID>/<name>`.
        case mattermost = 2
        /// Downloaded by `lethe import --fetch-files` from the message's link (exported in the standard layout).
        case fetched = 3

        var name: String {
            switch self {
            case .standard: "standard"
            case .mattermost: "mattermost"
            case .fetched: "fetched"
            }
        }
    }

    struct Reference: Equatable, Sendable {
        /// The Slack file id (`files[].id`).
        var fileID: String
        /// The file name as it is written back (one safe path component).
        var name: String
        var layout: Layout
        var blob: Int64
    }

    var blobs: [Blob] = []
    var references: [Reference] = []
    /// Files the bucket's messages share whose bytes the archive does not hold (not in the
    /// export, not downloaded): counted by `lethe stats` as files_missing, filled by a later import.
    var missing: [String] = []

    var isEmpty: Bool { blobs.isEmpty && missing.isEmpty }

    func reference(fileID: String) -> Reference? { references.first { $0.fileID == fileID } }
    func blob(_ number: Int64) -> Blob? { blobs.first { $0.number == number } }
    func blob(digest: [UInt8], size: Int64) -> Blob? { blobs.first { $0.size == size && $0.digest == digest } }
    var nextBlobNumber: Int64 { (blobs.map(\.number).max() ?? 0) + 1 }

    /// The indexed text of every file a message with these file ids shares, one per line.
    func text(of fileIDs: [String]) -> String {
        var parts: [String] = []
        for id in fileIDs {
            if let r = reference(fileID: id), let t = blob(r.blob)?.text, !t.isEmpty { parts.append(t) }
        }
        return parts.joined(separator: "\n")
    }

    /// Drops the blobs no reference names; returns their numbers (their chunks are to be deleted).
    mutating func dropUnreferenced() -> [Int64] {
        let used = Set(references.map(\.blob))
        let gone = blobs.filter { !used.contains($0.number) }.map(\.number)
        blobs.removeAll { !used.contains($0.number) }
        return gone
    }

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 64 + blobs.count * 96 + references.count * 48)
        w.u8(Self.version)
        w.varint(UInt64(blobs.count))
        for b in blobs {
            w.varint(UInt64(b.number))
            w.bytes.append(contentsOf: b.key)
            w.varint(UInt64(b.size))
            w.varint(UInt64(b.chunks))
            w.bytes.append(contentsOf: b.digest)
            w.optionalString(b.text)
        }
        w.varint(UInt64(references.count))
        for r in references {
            w.string(r.fileID)
            w.string(r.name)
            w.u8(r.layout.rawValue)
            w.varint(UInt64(r.blob))
        }
        w.varint(UInt64(missing.count))
        for id in missing { w.string(id) }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> AttachmentIndex {
        var r = ByteReader(bytes)
        guard try r.u8() == version else { throw ByteReader.Malformed() }
        var index = AttachmentIndex()
        for _ in 0..<(try r.count(minBytes: 67)) {  // number, key, size, chunks, digest, text flag
            let number = Int64(try r.varint())
            let key = try r.take(32)
            let size = try r.varint(), chunks = try r.varint()
            guard size < 1 << 50, chunks < 1 << 40 else { throw ByteReader.Malformed() }
            index.blobs.append(Blob(number: number, key: key, size: Int64(size), chunks: Int64(chunks), digest: try r.take(32), text: try r.optionalString()))
        }
        for _ in 0..<(try r.count(minBytes: 10)) {
            let fileID = try r.string(), name = try r.string()
            guard let layout = Layout(rawValue: try r.u8()) else { throw ByteReader.Malformed() }
            let blob = Int64(try r.varint())
            guard index.blob(blob) != nil else { throw ByteReader.Malformed() }
            index.references.append(Reference(fileID: fileID, name: name, layout: layout, blob: blob))
        }
        for _ in 0..<(try r.count(minBytes: 4)) { index.missing.append(try r.string()) }
        guard r.atEnd else { throw ByteReader.Malformed() }
        return index
    }
}
