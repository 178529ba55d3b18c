import Foundation

/// Writes the selected messages as a Slack export that `lethe import` (or any Slack export
/// reader) takes: `users.json`, the metadata files of the produced conversations' kinds
/// listing only those conversations, and `<folder>/<YYYY-MM-DD>.json` day files laid out as
/// `lethe export` writes them (each message in the day file it was imported from).
///
/// A selected reply brings its thread parent (when context is on) once, into the parent's
/// own day file. A conversation's selection is held in memory until its day files are written.
final class SlackSubsetSink: ProductionSink {
    let out: URL?
    let users: [User]
    let context: Bool
    private(set) var loadFile = LoadFile()
    private(set) var bytes: Int64 = 0

    private var conversation: Conversation?
    private var byDay: [Int32: [Segment.Message]] = [:]
    private var written = Set<String>()
    private var contextMessages = 0
    private var produced: [Conversation] = []
    private var taken = Set<String>()
    private var label = ""
    private let directory: UserDirectory

    init(out: URL?, users: [User], context: Bool) {
        self.out = out
        self.users = users
        self.context = context
        self.directory = UserDirectory(users)
    }

    func begin(_ c: Conversation) throws {
        conversation = c
        label = c.label(users: directory)
        byDay = [:]
        written = []
        contextMessages = 0
    }

    func add(_ message: Segment.Message, fields: MessageFields, parent: () -> Segment.Message?) throws {
        if context, let thread = fields.threadTS, thread != message.ts.string, !written.contains(thread), let p = parent() {
            keep(p)
            contextMessages += 1
        }
        keep(message)
    }

    private func keep(_ m: Segment.Message) {
        guard written.insert(m.ts.string).inserted else { return }
        byDay[m.fileDay, default: []].append(m)
    }

    func end() throws -> (files: Int, contextMessages: Int) {
        guard let c = conversation, !byDay.isEmpty else { return (0, 0) }
        produced.append(c)
        let (folder, _) = FolderName.assign(c.folder, id: c.id, taken: &taken)
        if let out { try FileManager.default.createDirectory(at: out.appendingPathComponent(folder, isDirectory: true), withIntermediateDirectories: true) }
        for day in byDay.keys.sorted() {
            let messages = (byDay[day] ?? []).sorted { $0.ts < $1.ts }
            let name = folder + "/" + CivilDate(dayNumber: Int64(day)).description + ".json"
            try emit(name, messages.map(\.json), conversation: c,
                     begin: RetentionTime.iso8601(messages.first?.ts.seconds ?? 0), end: RetentionTime.iso8601(messages.last?.ts.seconds ?? 0))
        }
        return (byDay.count, contextMessages)
    }

    func finish() throws {
        for kind in ConversationKind.listed {
            let of = produced.filter { $0.kind == kind }
            guard !of.isEmpty else { continue }
            try emit(kind.metadataFile, of.map(\.rawJSON), conversation: nil, begin: "", end: "")
        }
        try emit("users.json", users.compactMap { $0.rawJSON.isEmpty ? nil : $0.rawJSON }, conversation: nil, begin: "", end: "")
    }

    /// Writes one file (unless a dry run) and its load-file row; `events` counts its objects.
    private func emit(_ name: String, _ items: [[UInt8]], conversation c: Conversation?, begin: String, end: String) throws {
        var digest = ""
        if let out {
            let url = out.appendingPathComponent(name)
            try Exporter.writeArray(items, to: url)
            let data = Array(try Data(contentsOf: url))
            digest = KDF.sha256(data).hexString
            bytes += Int64(data.count)
        }
        loadFile.append(LoadFile.Row(file: name, conversationID: c?.id ?? "", conversation: c == nil ? "" : label,
                                     begin: begin, end: end, events: items.count, sha256: digest))
    }
}
