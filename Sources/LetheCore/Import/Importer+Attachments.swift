import Foundation

/// One file a message shares, as its `files[]` element describes it.
struct SharedFile {
    var id: String
    var name: String?
    var size: Int64?
    var url: String?
    var textLike: Bool

    /// The `files[]` elements of a message that carry an id (a file Slack removed has
    /// `mode: "tombstone"` and no content to get).
    /// The files a bucket's incoming messages share, each once, in ts order (the first sharer's copy).
    static func wanted(in incoming: [String: Segment.Message]) -> [SharedFile] {
        var wanted: [SharedFile] = []
        var seen = Set<String>()
        for m in incoming.values.sorted(by: { $0.ts < $1.ts }) {
            for f in SharedFile.all(in: m.json) where seen.insert(f.id).inserted { wanted.append(f) }
        }
        return wanted
    }

    /// False when `json` certainly has no `file` or `files` key: neither the bytes `"file` nor
    /// an escape `\u` (the only way to spell a letter otherwise) occur in it. Most messages
    /// share no file; this spares them the walk of the object.
    static func mayShare(_ json: [UInt8]) -> Bool {
        json.withUnsafeBytes { buf -> Bool in
            let n = buf.count
            var i = 0
            while i + 1 < n {
                let b = buf[i]
                if b == UInt8(ascii: "\\") && buf[i + 1] == UInt8(ascii: "u") { return true }
                if b == UInt8(ascii: "\"") && i + 5 < n && buf[i + 1] == UInt8(ascii: "f") && buf[i + 2] == UInt8(ascii: "i")
                    && buf[i + 3] == UInt8(ascii: "l") && buf[i + 4] == UInt8(ascii: "e") { return true }
                i += 1
            }
            return false
        }
    }

    static func all(in json: [UInt8]) -> [SharedFile] {
        // The search extractor's one walk of the object says whether there is anything to parse.
        guard mayShare(json), !MessageExtract.extract(json).fileIDs.isEmpty,
              let files = (try? JSONValue.parse(json))?["files"]?.arrayValue
        else { return [] }
        return files.compactMap { f in
            guard let id = f["id"]?.stringValue, ExportAttachment.isFileID(id), f["mode"]?.stringValue != "tombstone" else { return nil }
            var size: Int64?
            if case .number(let n)? = f["size"] { size = Int64(n) }
            let url = f["url_private_download"]?.stringValue ?? f["url_private"]?.stringValue
            return SharedFile(id: id, name: f["name"]?.stringValue, size: size, url: url,
                              textLike: isTextLike(mimetype: f["mimetype"]?.stringValue, filetype: f["filetype"]?.stringValue, name: f["name"]?.stringValue))
        }
    }

    /// Text search indexes the contents of: text/*, JSON, CSV, Markdown, source code (by MIME
    /// type, Slack's `filetype` or the extension). Import also checks that the bytes are UTF-8.
    static func isTextLike(mimetype: String?, filetype: String?, name: String?) -> Bool {
        if let m = mimetype?.lowercased() {
            if m.hasPrefix("text/") { return true }
            if ["application/json", "application/xml", "application/csv", "application/javascript", "application/x-yaml", "application/yaml",
                "application/x-sh", "application/sql", "application/x-python"].contains(m) { return true }
        }
        let known: Set<String> = ["text", "txt", "markdown", "md", "csv", "tsv", "json", "xml", "yaml", "yml", "html", "htm", "css", "js", "ts",
                                  "javascript", "python", "py", "swift", "go", "c", "h", "cpp", "hpp", "java", "kotlin", "kt", "ruby", "rb",
                                  "rust", "rs", "shell", "sh", "sql", "php", "perl", "pl", "log", "ini", "toml", "diff", "patch", "post", "space"]
        if let t = filetype?.lowercased(), known.contains(t) { return true }
        if let n = name?.lowercased(), let dot = n.lastIndex(of: "."), known.contains(String(n[n.index(after: dot)...])) { return true }
        return false
    }

    /// A name that is one safe path component, for a file whose name comes from JSON (a
    /// download): `/`, `\`, NUL and control characters become `_`, a drive letter loses its
    /// colon, `.`/`..`/empty become the file id; at most 200 bytes.
    static func safeName(_ raw: String?, id: String) -> String {
        var s = String(String.UnicodeScalarView((raw ?? "").unicodeScalars.map {
            $0 == "/" || $0 == "\\" || $0 == ":" || $0.value < 0x20 || $0.value == 0x7F ? "_" : $0
        }))
        while s.utf8.count > 200 { s.removeLast() }
        if s.isEmpty || s == "." || s == ".." { s = id }
        return s
    }
}

/// A file to download after the messages are imported (`--fetch-files`).
struct PendingFetch {
    var ref: BucketRef
    var file: SharedFile
    var url: String
}

extension Importer {
    /// Stores the files that the bucket's incoming messages share and the archive does not hold
    /// yet, from the export's copies (or queues their download). Returns the terms of their text.
    func attachFiles(_ ref: BucketRef, wanted: [SharedFile], conversation: Conversation, export: SlackExport) throws -> Set<BloomFilter.TermHash> {
        guard !wanted.isEmpty else { return [] }
        if archive.role != nil {
            // The import role holds no bucket key: it cannot seal into a bucket's index.
            for f in wanted {
                if let a = export.attachment(fileID: f.id, conversation: conversation), claimedAttachments.insert(a.path).inserted {
                    report.filesUnread.append(UnreadFile(path: export.rootPrefix + a.path, reason: "a role-key import does not archive attachments (they are sealed under the bucket's key); import this export again with the full key to add them"))
                }
            }
            return []
        }
        var index: AttachmentIndex
        do {
            index = try archive.attachments(ref) ?? AttachmentIndex()
        } catch let e as LetheError where e.kind == .integrity {
            archive.noteDamage(channel: conversation.id, bucket: ref.bucket, e)
            try warn(ImportWarning(file: conversation.id, reason: "\(e.message): its files were not added; restore data.db from a backup, then import again"))
            return []
        }
        try archive.sweepStaleChunks(ref, index)
        var terms = Set<BloomFilter.TermHash>()
        var changed = false
        for f in wanted {
            if index.reference(fileID: f.id) != nil {
                report.filesUnchanged += 1
                continue
            }
            guard let copy = export.attachment(fileID: f.id, conversation: conversation) else {
                if options.fetchFiles, let url = f.url {
                    fetchQueue.append(PendingFetch(ref: ref, file: f, url: url))
                } else {
                    report.filesMissing += 1
                }
                if !index.missing.contains(f.id) {
                    index.missing.append(f.id)
                    changed = true
                }
                continue
            }
            let firstClaim = claimedAttachments.insert(copy.path).inserted
            if let stated = export.source.statedSize(export.rootPrefix + copy.path), stated > options.maxAttachmentBytes {
                // Too big to keep is not hostile (a lying header is: the stream refuses it, and the import fails).
                // Listed once, however many buckets share it.
                if firstClaim { report.filesUnread.append(UnreadFile(path: export.rootPrefix + copy.path, reason: "\(stated) bytes, over --max-attachment-size (\(options.maxAttachmentBytes) bytes): not archived")) }
                report.filesMissing += 1
                if !index.missing.contains(f.id) {
                    index.missing.append(f.id)
                    changed = true
                }
                continue
            }
            let writer = archive.blobWriter(ref, number: index.nextBlobNumber, textLike: f.textLike)
            try export.source.stream(export.rootPrefix + copy.path, maxBytes: options.maxAttachmentBytes) { try writer.write($0) }
            let blob = try writer.finish()
            if let size = f.size, size != blob.size {
                try warn(ImportWarning(file: copy.path, reason: "\(blob.size) bytes, but its message says files[].size \(size): kept as the export holds it"))
            }
            terms.formUnion(try add(blob, as: AttachmentIndex.Reference(fileID: f.id, name: copy.name, layout: copy.mattermost ? .mattermost : .standard, blob: blob.number),
                                    at: ref, to: &index))
            bytesSinceCommit += Int(blob.size)
            changed = true
        }
        if changed { try archive.storeAttachments(index, at: ref) }
        return terms
    }

    /// Adds a new blob to an index under `reference` (which names the new blob), or when the
    /// bucket holds the same bytes already, drops the new blob's chunks and points the reference
    /// at the existing one (same content stored once per bucket). The file is no longer missing.
    /// Returns the terms of a new blob's text, for its epoch's filter.
    func add(_ blob: AttachmentIndex.Blob, as reference: AttachmentIndex.Reference, at ref: BucketRef, to index: inout AttachmentIndex) throws -> Set<BloomFilter.TermHash> {
        var reference = reference
        var terms = Set<BloomFilter.TermHash>()
        if let same = index.blob(digest: blob.digest, size: blob.size) {
            try archive.deleteBlob(ref, number: blob.number)
            report.filesDeduplicated += 1
            reference.blob = same.number
        } else {
            index.blobs.append(blob)
            report.filesAdded += 1
            report.fileBytes += blob.size
            if let text = blob.text { IndexTerms.addText(text, to: &terms) }
        }
        index.references.append(reference)
        index.missing.removeAll { $0 == reference.fileID }
        return terms
    }

    /// Every attachment of the export that no imported message claimed, listed as not read.
    func reportUnclaimedAttachments(_ export: SlackExport) {
        for (id, copies) in export.attachments.sorted(by: { $0.key < $1.key }) {
            for c in copies where !claimedAttachments.contains(c.path) {
                report.filesUnread.append(UnreadFile(path: export.rootPrefix + c.path, reason: "an attachment (file \(id)) that no imported message shares: not archived"))
            }
        }
    }
}

extension Importer {
    /// Downloads the files queued by `attachFiles` (`--fetch-files`), after the messages are
    /// committed. Each file is committed when it is complete, so a run that is killed or fails
    /// keeps what it fetched, and the next run fetches only what is still missing. Chunks of a
    /// download cut short are swept when its bucket's index is next written.
    func fetchQueued() throws {
        guard !fetchQueue.isEmpty else { return }
        var queued = Set<String>()
        let jobs = fetchQueue.filter { queued.insert("\($0.ref.cno)/\($0.ref.bucket)/\($0.file.id)").inserted }
        fetchQueue = []
        try begin()
        for ref in Set(jobs.map(\.ref)) {
            if let index = try archive.attachments(ref) { try archive.sweepStaleChunks(ref, index) }
        }
        try commit()
        try begin()
        var fetchOptions = options.fetch
        fetchOptions.maxBytes = options.maxAttachmentBytes
        let items = jobs.enumerated().map { FetchItem(key: String($0.offset), url: $0.element.url, expectedSize: $0.element.file.size) }
        var writers: [Int: BlobWriter] = [:]
        var reserved: [BucketRef: Int64] = [:]
        progress?.began("files", total: items.count)
        defer { progress?.ended() }
        var done = 0
        _ = FileFetcher(options: fetchOptions).run(items, sink: { item in
            let i = Int(item.key)!, job = jobs[i]
            let number = max(reserved[job.ref] ?? 1, try archive.attachments(job.ref)?.nextBlobNumber ?? 1)
            reserved[job.ref] = number + 1
            let writer = archive.blobWriter(job.ref, number: number, textLike: job.file.textLike)
            writers[i] = writer
            return BlobSink(writer)
        }, done: { item, result in
            let i = Int(item.key)!, job = jobs[i]
            done += 1
            progress?.advanced(done: done, messages: report.messagesSeen)
            // A download that failed before any byte had no sink (FileFetcher makes one on the first 2xx).
            let writer = writers.removeValue(forKey: i)
            switch result {
            case .failed(let reason):
                try writer?.reset()
                report.filesMissing += 1
                report.filesNotFetched.append(FetchFailure(file: job.file.id, url: job.url, reason: reason))
            case .fetched:
                guard let writer else { return }
                let blob = try writer.finish()
                var index = try archive.attachments(job.ref) ?? AttachmentIndex()
                guard index.reference(fileID: job.file.id) == nil else {
                    try archive.deleteBlob(job.ref, number: blob.number)
                    return
                }
                if let size = job.file.size, size != blob.size {
                    try warn(ImportWarning(file: job.file.id, reason: "downloaded \(blob.size) bytes, but its message says files[].size \(size): kept as downloaded"))
                }
                let terms = try add(blob, as: AttachmentIndex.Reference(fileID: job.file.id, name: SharedFile.safeName(job.file.name, id: job.file.id), layout: .fetched, blob: blob.number),
                                    at: job.ref, to: &index)
                try archive.storeAttachments(index, at: job.ref)
                try archive.addToFilter(terms, FilterRef(cno: job.ref.cno, epoch: job.ref.epoch))
                report.filesFetched += 1
                try commit()
                try begin()
            }
        }, progress: nil)
        try commit()
    }
}

/// Hands a download's bytes to the blob being written.
private final class BlobSink: FetchSink {
    let writer: BlobWriter
    init(_ writer: BlobWriter) { self.writer = writer }
    func write(_ bytes: [UInt8]) throws { try writer.write(bytes) }
    func reset() throws { try writer.reset() }
}
