import Foundation

/// The files messages shared (format 7, docs/FORMAT.md §4b): per bucket an index sealed under
/// the bucket key, and each blob's chunks sealed under a random key that only that index holds.
/// Destroying the bucket key (a shred, a forget's re-key) leaves every chunk unopenable.
extension Archive {
    func attachmentIndexAD(_ ref: BucketRef, blobs: Int) -> [UInt8] {
        Envelope.associatedData(.attachmentIndex, archiveID: archiveID, ref.cno, ref.bucket, Int64(blobs))
    }

    static func chunkAD(archiveID: [UInt8], _ ref: BucketRef, blob: Int64, n: Int64, last: Bool) -> [UInt8] {
        Envelope.associatedData(.attachmentChunk, archiveID: archiveID, ref.cno, ref.bucket, blob, n, last ? 1 : 0)
    }

    /// A bucket's attachment index; nil when it has none (or its shred is pending).
    func attachments(_ ref: BucketRef) throws -> AttachmentIndex? {
        guard let row = try data.attachmentIndex(ref), let key = try readableBucketKey(ref) else { return nil }
        return try openAttachmentIndex(row.body, blobs: row.blobs, ref: ref, key: key)
    }

    func openAttachmentIndex(_ body: [UInt8], blobs: Int64, ref: BucketRef, key: SecretKey) throws -> AttachmentIndex {
        let place = "channel \(slackID(cno: ref.cno)), bucket \(scheme.label(of: ref.bucket)), attachment index"
        guard let (header, compressed) = AEAD.open(body, ad: attachmentIndexAD(ref, blobs: Int(blobs)), key: key) else {
            throw LetheError(.integrity, "\(place): does not authenticate (tampered, truncated or moved)")
        }
        guard header == Envelope.Encoding.attachmentIndex.rawValue,
              var plain = zstd.decompress(compressed, maxSize: 1 << 30),
              let index = try? AttachmentIndex.decode(plain), index.blobs.count == Int(blobs)
        else { throw LetheError(.integrity, "\(place): authenticated but malformed") }
        Sodium.wipe(&plain)
        return index
    }

    /// Deletes the chunks of blobs the index does not name: left by a download or an import that
    /// was killed before its index was written, or by a forget that dropped the blob.
    func sweepStaleChunks(_ ref: BucketRef, _ index: AttachmentIndex) throws {
        let used = Set(index.blobs.map(\.number))
        for stale in try data.chunkBlobs(ref) where !used.contains(stale) { try data.deleteChunks(ref, blob: stale) }
    }

    /// Seals and writes a bucket's index (its bucket key exists: the bucket's messages are stored).
    func storeAttachments(_ index: AttachmentIndex, at ref: BucketRef, key: SecretKey? = nil) throws {
        guard let key = try key ?? bucketKey(ref) else {
            throw LetheError(.failure, "channel \(slackID(cno: ref.cno)), bucket \(scheme.label(of: ref.bucket)): no bucket key for its attachments")
        }
        guard !index.isEmpty else {
            try data.deleteAttachments(ref)
            return
        }
        var plain = index.encoded()
        defer { Sodium.wipe(&plain) }
        var compressed = zstd.compress(plain)
        defer { Sodium.wipe(&compressed) }
        let body = AEAD.seal(compressed, header: Envelope.Encoding.attachmentIndex.rawValue, ad: attachmentIndexAD(ref, blobs: index.blobs.count), key: key)
        try data.putAttachmentIndex(ref, blobs: Int64(index.blobs.count), body: body)
    }

    /// The search fields of a bucket's messages, with the text of the files they share: what
    /// the index is built from and what the matcher checks. An index that does not open is
    /// noted as damage; the messages are still searched by their own text.
    func searchFields(_ messages: [Segment.Message], of ref: BucketRef) -> [MessageFields] {
        var index: AttachmentIndex??
        return messages.map { m in
            var f = MessageFields(m)
            guard f.hasFiles, !f.fileIDs.isEmpty else { return f }
            if index == nil {
                do { index = .some(try attachments(ref)) } catch let e as LetheError {
                    noteDamage(channel: slackID(cno: ref.cno), bucket: ref.bucket, e)
                    index = .some(nil)
                } catch { index = .some(nil) }
            }
            if let i = index ?? nil { f.attachedText = i.text(of: f.fileIDs) }
            return f
        }
    }

    /// What `lethe stats` shows of the attachments: references, stored bytes, missing files.
    /// An index that does not open is noted as damage and not counted.
    func attachmentCounts() throws -> (references: Int, storedBytes: Int64, missing: Int) {
        var refs = 0, missing = 0
        for ref in try data.attachmentBuckets() {
            do {
                guard let index = try attachments(ref) else { continue }
                refs += index.references.count
                missing += index.missing.count
            } catch let e as LetheError where e.kind == .integrity {
                noteDamage(channel: slackID(cno: ref.cno), bucket: ref.bucket, e)
            }
        }
        return (refs, try data.chunkBytes(), missing)
    }

    /// A writer of one new blob of `ref`, numbered `number`.
    func blobWriter(_ ref: BucketRef, number: Int64, textLike: Bool) -> BlobWriter {
        BlobWriter(data: data, zstd: zstd, archiveID: archiveID, ref: ref, number: number, textLike: textLike)
    }

    func deleteBlob(_ ref: BucketRef, number: Int64) throws { try data.deleteChunks(ref, blob: number) }

    /// Streams a blob's bytes to `consumer`, one chunk at a time, checking each chunk's place
    /// (its number and whether it is the last) and, at the end, the size and digest.
    func readBlob(_ blob: AttachmentIndex.Blob, of ref: BucketRef, _ consumer: ([UInt8]) throws -> Void) throws {
        let place = "channel \(slackID(cno: ref.cno)), bucket \(scheme.label(of: ref.bucket)), file blob \(blob.number)"
        let key = blob.key.withUnsafeBytes { SecretKey.copying($0) }
        let digest = StreamingDigest()
        var size: Int64 = 0
        for n in 0..<blob.chunks {
            guard let body = try data.chunk(ref, blob: blob.number, n: n) else {
                throw LetheError(.integrity, "\(place): chunk \(n + 1) of \(blob.chunks) is missing")
            }
            let ad = Archive.chunkAD(archiveID: archiveID, ref, blob: blob.number, n: n, last: n == blob.chunks - 1)
            guard let (header, sealed) = AEAD.open(body, ad: ad, key: key) else {
                throw LetheError(.integrity, "\(place): chunk \(n + 1) of \(blob.chunks) does not authenticate (tampered, truncated or moved)")
            }
            var plain: [UInt8]
            switch header {
            case Envelope.Encoding.rawChunk.rawValue: plain = sealed
            case Envelope.Encoding.zstdChunk.rawValue:
                guard let p = zstd.decompress(sealed, maxSize: AttachmentIndex.chunkSize) else {
                    throw LetheError(.integrity, "\(place): chunk \(n + 1): authenticated but malformed")
                }
                plain = p
            default: throw LetheError(.integrity, "\(place): chunk \(n + 1): unknown encoding \(header)")
            }
            digest.update(plain)
            size += Int64(plain.count)
            try consumer(plain)
            Sodium.wipe(&plain)
        }
        guard size == blob.size, Sodium.equal(digest.finish(), blob.digest) else {
            throw LetheError(.integrity, "\(place): its bytes do not match the index's size and digest")
        }
    }
}

/// Seals one file's bytes as they arrive, in chunks of `AttachmentIndex.chunkSize`, into data.db:
/// one chunk of plaintext in memory at a time, whatever the file's size. A chunk is written when
/// the next byte arrives (only then is it known not to be the last); `finish` writes the last.
final class BlobWriter {
    private let data: DataStore
    private let zstd: Zstd
    private let archiveID: [UInt8]
    private let ref: BucketRef
    private let number: Int64
    private let key = SecretKey.random()
    private var pending: [UInt8] = []
    private var written: Int64 = 0
    private var size: Int64 = 0
    private var digest = StreamingDigest()
    /// nil until the first chunk decides: compress (zstd pays on it) or not.
    private var compress: Bool?
    /// The text collected for search; nil once the file is known not to be text.
    private var text: [UInt8]?

    init(data: DataStore, zstd: Zstd, archiveID: [UInt8], ref: BucketRef, number: Int64, textLike: Bool) {
        self.data = data
        self.zstd = zstd
        self.archiveID = archiveID
        self.ref = ref
        self.number = number
        self.text = textLike ? [] : nil
        pending.reserveCapacity(AttachmentIndex.chunkSize)
    }

    deinit { Sodium.wipe(&pending) }

    func write(_ bytes: [UInt8]) throws {
        var rest = bytes[...]
        while !rest.isEmpty {
            if pending.count == AttachmentIndex.chunkSize { try seal(last: false) }
            let take = min(AttachmentIndex.chunkSize - pending.count, rest.count)
            pending.append(contentsOf: rest.prefix(take))
            rest = rest.dropFirst(take)
        }
        size += Int64(bytes.count)
        digest.update(bytes)
        if text != nil {
            if bytes.contains(0) {
                text = nil
            } else if let t = text, t.count < AttachmentIndex.maxIndexedText {
                text = t + bytes.prefix(AttachmentIndex.maxIndexedText - t.count)
            }
        }
    }

    /// Starts the blob again from byte 0 (a download that is retried).
    func reset() throws {
        try data.deleteChunks(ref, blob: number)
        Sodium.wipe(&pending)
        pending.removeAll(keepingCapacity: true)
        written = 0
        size = 0
        digest = StreamingDigest()
        compress = nil
        if text != nil { text = [] }
    }

    /// Writes the last chunk and returns the blob's index entry.
    func finish() throws -> AttachmentIndex.Blob {
        try seal(last: true)
        var indexed: String?
        if let t = text {
            // Cut at a character boundary; a file that is not UTF-8 is not text.
            var cut = t
            while !cut.isEmpty, String(validating: cut, as: UTF8.self) == nil, t.count - cut.count < 4 { cut.removeLast() }
            indexed = String(validating: cut, as: UTF8.self)
        }
        return AttachmentIndex.Blob(number: number, key: key.withUnsafeBytes { Array($0) }, size: size, chunks: written,
                                    digest: digest.finish(), text: indexed)
    }

    private func seal(last: Bool) throws {
        if compress == nil { compress = BlobWriter.worthCompressing(pending, zstd: zstd) }
        var body = pending
        var header = Envelope.Encoding.rawChunk
        if compress == true {
            let c = zstd.compress(pending)
            if c.count < pending.count {
                body = c
                header = .zstdChunk
            }
        }
        let ad = Archive.chunkAD(archiveID: archiveID, ref, blob: number, n: written, last: last)
        try data.putChunk(ref, blob: number, n: written, body: AEAD.seal(body, header: header.rawValue, ad: ad, key: key))
        Sodium.wipe(&body)
        Sodium.wipe(&pending)
        pending.removeAll(keepingCapacity: true)
        written += 1
    }

    /// Formats that are compressed already (by their magic bytes) are stored as they are;
    /// anything else is compressed when zstd saves at least 10 % on its first chunk.
    static func worthCompressing(_ first: [UInt8], zstd: Zstd) -> Bool {
        let magics: [[UInt8]] = [
            [0x89, 0x50, 0x4E, 0x47],  // PNG
            [0xFF, 0xD8, 0xFF],        // JPEG
            [0x47, 0x49, 0x46, 0x38],  // GIF
            [0x50, 0x4B, 0x03, 0x04],  // zip, docx, xlsx, pptx
            [0x1F, 0x8B],              // gzip
            [0x28, 0xB5, 0x2F, 0xFD],  // zstd
            [0x37, 0x7A, 0xBC, 0xAF],  // 7z
            [0x52, 0x49, 0x46, 0x46],  // RIFF: WebP, WAV, AVI
        ]
        if magics.contains(where: { first.starts(with: $0) }) { return false }
        if first.count > 8, first[4..<8].elementsEqual(Array("ftyp".utf8)) { return false }  // MP4, MOV, HEIC
        guard first.count >= 64 else { return false }
        let sample = Array(first.prefix(128 << 10))
        return zstd.compress(sample).count * 10 < sample.count * 9
    }
}
