import Foundation

/// What a production writes: RSMF files for a review platform, or a smaller Slack export.
public enum ProductionFormat: String, Codable, Sendable, CaseIterable {
    case rsmf, slack
}

/// How RSMF files cut a conversation: one file per UTC day (the default), ISO week
/// (Monday to Monday, UTC), UTC month, or the whole conversation; a file never holds more
/// than `Production.maxEvents` events (it is cut into parts).
public enum ProductionSplit: String, Codable, Sendable, CaseIterable {
    case day, week, month, conversation
}

/// What `lethe export` with a selection or `--format rsmf` produced (or, with `--dry-run`,
/// would produce).
public struct ProductionReport: Codable, Sendable {
    public struct ConversationCount: Codable, Sendable, Equatable {
        public var channelID: String
        public var label: String
        public var kind: ConversationKind
        /// UTC days with a selected message.
        public var days: Int
        public var messages: Int
        public var contextMessages: Int
        public var files: Int
    }

    public var out: String
    public var format: ProductionFormat
    /// RSMF only.
    public var split: ProductionSplit?
    public var dryRun: Bool
    public var conversations = 0
    public var days = 0
    /// Messages the selection chose (each once).
    public var messages = 0
    /// Thread parents added as context (RSMF: once per file that needs them).
    public var contextMessages = 0
    /// Files produced (the load file's rows); what a dry run would produce.
    public var files = 0
    /// Bytes written, load file and manifest.json left out (0 for a dry run).
    public var bytes: Int64 = 0
    /// Buckets decrypted.
    public var buckets = 0
    public var loadFileSha256: String?
    /// The audit entry recording the production (nil for a dry run).
    public var auditSeq: Int64?
    public var seconds = 0.0
    public var byConversation: [ConversationCount] = []
}

/// Where a production's messages go, conversation by conversation, in ts order.
protocol ProductionSink: AnyObject {
    func begin(_ conversation: Conversation) throws
    /// A selected message; `parent` finds its thread parent (nil when absent or shredded).
    func add(_ message: Segment.Message, fields: MessageFields, parent: () -> Segment.Message?) throws
    /// The conversation's files and counts, when its last message was added.
    func end() throws -> (files: Int, contextMessages: Int)
    /// Files written after every conversation (a Slack export's metadata).
    func finish() throws
    var loadFile: LoadFile { get }
    var bytes: Int64 { get }
}

/// A production: the selected messages of the archive written as RSMF or as a Slack export,
/// with a load file and a manifest.json beside them, recorded in the audit chain.
///
/// Reads under the shared lock (an import can wait for it, or it for the import, with
/// `--wait`); writes into a hidden partial folder beside `out`; then takes the exclusive lock
/// only to append the audit entry (`Archive.reopenForWriting`); then renames the folder into
/// place. A production that cannot be recorded is removed: nothing is produced unaudited.
public final class Production {
    public static let maxEvents = 10_000
    /// Message JSON per RSMF file before it is cut: keeps every file far below RSMF's 2 GB
    /// (quoted-printable text at most triples, the base64 zip adds a third of the deflated manifest).
    static let maxMessageBytes = 256 << 20

    let archive: Archive
    let selection: Selection
    let format: ProductionFormat
    let split: ProductionSplit
    weak var progress: ProgressReporter?

    public init(archive: Archive, selection: Selection, format: ProductionFormat, split: ProductionSplit = .day,
                progress: ProgressReporter? = nil) {
        self.archive = archive
        self.selection = selection
        self.format = format
        self.split = split
        self.progress = progress
    }

    /// Produces into `out` (or, with `dryRun`, only counts). `waitSeconds` is how long the
    /// audit append waits for the exclusive lock.
    public func run(to out: URL, dryRun: Bool, waitSeconds: Double, command: String = "lethe export") throws -> ProductionReport {
        let started = Date()
        try Exporter.checkTarget(out)
        var report = ProductionReport(out: out.path, format: format, split: format == .rsmf ? split : nil, dryRun: dryRun)
        guard !dryRun else {
            try produce(into: nil, report: &report, producedAt: started)
            report.seconds = Date().timeIntervalSince(started)
            return report
        }
        try StagedFolder.write(to: out, what: "production",
                               hint: "nothing was replaced; the audit records the attempt; produce into a new or empty folder") { staging in
            let loadFile = try produce(into: staging, report: &report, producedAt: started)
            let loadBytes = loadFile.encoded
            try Production.write(loadBytes, to: staging.appendingPathComponent(LoadFile.fileName))
            let digest = KDF.sha256(loadBytes).hexString
            report.loadFileSha256 = digest

            let writer = try archive.reopenForWriting(command: command + " (recording the production)", waitSeconds: waitSeconds)
            let counts = AuditProduction(format: format.rawValue, conversations: report.conversations, files: report.files,
                                         messages: report.messages, contextMessages: report.contextMessages, loadFileSha256: digest)
            let entry = try writer.recordProduction(counts, selection: selection.criteria, policyDigest: selection.criteria.policyDigest ?? "",
                                                    buckets: report.buckets, damaged: archive.damaged, now: Int64(started.timeIntervalSince1970))
            report.auditSeq = entry.seq

            let manifest = Manifest(lethe: LetheVersion.string, archiveID: archive.archiveIDHex,
                                    producedAt: ISO8601DateFormatter().string(from: started), format: format,
                                    split: report.split, selection: selection.criteria, conversations: report.conversations,
                                    days: report.days, messages: report.messages, contextMessages: report.contextMessages,
                                    files: report.files, loadFile: LoadFile.fileName, loadFileSha256: digest, auditSeq: entry.seq,
                                    damaged: archive.damaged, byConversation: report.byConversation)
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            try Production.write(Array(try encoder.encode(manifest)), to: staging.appendingPathComponent("manifest.json"))
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// `manifest.json`: the whole production at a glance.
    struct Manifest: Encodable {
        var lethe: String
        var archiveID: String
        var producedAt: String
        var format: ProductionFormat
        var split: ProductionSplit?
        var selection: Selection.Criteria
        var conversations: Int
        var days: Int
        var messages: Int
        var contextMessages: Int
        var files: Int
        var loadFile: String
        var loadFileSha256: String
        var auditSeq: Int64
        var damaged: [DamagedRecord]
        var byConversation: [ProductionReport.ConversationCount]
    }

    /// Walks the selection and feeds the sink; nil `out` counts without writing.
    @discardableResult
    private func produce(into out: URL?, report: inout ProductionReport, producedAt: Date) throws -> LoadFile {
        let users = try archive.userDirectory()
        let sink: ProductionSink
        switch format {
        case .rsmf:
            sink = RSMFSink(out: out, split: split, users: users, custodian: selection.custodian,
                            context: selection.context, generator: "Lethe \(LetheVersion.string)", producedAt: producedAt)
        case .slack:
            sink = SlackSubsetSink(out: out, users: try archive.users(), context: selection.context)
        }
        let conversations = try archive.conversations().filter(selection.wants).sorted { $0.id < $1.id }
        var refs: [Int64: [BucketRef]] = [:]
        for row in try archive.segmentIndex() {
            let (start, end) = archive.scheme.range(of: row.ref.bucket)
            if selection.wantsBucket(start: start, end: end) { refs[row.ref.cno, default: []].append(row.ref) }
        }
        let wanted = Set(conversations.compactMap(\.cno))
        progress?.began("export", total: refs.filter { wanted.contains($0.key) }.reduce(0) { $0 + $1.value.count })
        defer { progress?.ended() }
        var done = 0

        for c in conversations {
            guard let cno = c.cno, let buckets = refs[cno]?.sorted() else { continue }
            try sink.begin(c)
            var count = ProductionReport.ConversationCount(channelID: c.id, label: c.label(users: users), kind: c.kind,
                                                           days: 0, messages: 0, contextMessages: 0, files: 0)
            var days = Set<Int64>()
            var cache: (bucket: Int64, segment: Segment?)?
            func open(_ ref: BucketRef) -> Segment? {
                if let cache, cache.bucket == ref.bucket { return cache.segment }
                do {
                    let s = try archive.segment(ref)
                    cache = (ref.bucket, s)
                    return s
                } catch {
                    archive.noteDamage(channel: c.id, bucket: ref.bucket, error)  // produced around, named at the end
                    cache = (ref.bucket, nil)
                    return nil
                }
            }
            for ref in buckets {
                done += 1
                defer { progress?.advanced(done: done, messages: report.messages) }
                guard let segment = open(ref) else { continue }
                let fields = segment.messages.map(MessageFields.init)
                guard selection.holdCovers(fields) else { continue }
                report.buckets += 1
                for (m, f) in zip(segment.messages, fields) where m.item == nil && selection.wants(f, in: c, users: users) {  // items are not messages: not produced
                    count.messages += 1
                    days.insert(m.ts.seconds >= 0 ? m.ts.seconds / 86_400 : (m.ts.seconds - 86_399) / 86_400)
                    try sink.add(m, fields: f) {
                        guard let thread = f.threadTS, let ts = SlackTimestamp(thread) else { return nil }
                        let home = BucketRef(cno: cno, bucket: archive.scheme.bucket(containing: ts.seconds))
                        let parent = home.bucket == ref.bucket ? segment : open(home)
                        return parent?.messages.first { $0.ts == ts }
                    }
                }
            }
            let (files, context) = try sink.end()
            guard count.messages > 0 else { continue }
            count.days = days.count
            count.files = files
            count.contextMessages = context
            report.byConversation.append(count)
            report.conversations += 1
            report.days += count.days
            report.messages += count.messages
            report.contextMessages += context
        }
        try sink.finish()
        report.files = sink.loadFile.rows.count
        report.bytes = sink.bytes
        return sink.loadFile
    }

    static func write(_ bytes: [UInt8], to url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            let reason = String(cString: strerror(errno))
            throw LetheError(errno == ENOSPC || errno == EFBIG ? .noSpace : .failure, "cannot write \(url.path): \(reason)")
        }
    }
}
