import Foundation

/// Cuts a conversation's selected messages into RSMF files by `ProductionSplit` and writes
/// them (`RSMFWriter`), flat in the production folder: `<name>_<id>_<period>[_<part>].rsmf`.
///
/// A reply whose thread parent is not in the same file gets the parent added to that file,
/// marked as context (when context is on), so that every `parent` names an event of its own
/// manifest; a parent already produced in an earlier file is repeated as context.
final class RSMFSink: ProductionSink {
    let out: URL?
    let split: ProductionSplit
    let users: UserDirectory
    let custodian: String?
    let context: Bool
    let generator: String
    let producedAt: Date
    private(set) var loadFile = LoadFile()
    private(set) var bytes: Int64 = 0

    private var conversation: Conversation?
    private var label = ""
    private var group: [RSMFWriter.Item] = []
    private var groupTS = Set<String>()
    private var groupBytes = 0
    private var period: Int64?
    private var part = 0
    private var files = 0
    private var contextMessages = 0
    private var taken = Set<String>()

    init(out: URL?, split: ProductionSplit, users: UserDirectory, custodian: String?, context: Bool, generator: String, producedAt: Date) {
        self.out = out
        self.split = split
        self.users = users
        self.custodian = custodian
        self.context = context
        self.generator = generator
        self.producedAt = producedAt
    }

    func begin(_ c: Conversation) throws {
        conversation = c
        label = c.label(users: users)
        period = nil
        part = 0
        files = 0
        contextMessages = 0
    }

    func add(_ message: Segment.Message, fields: MessageFields, parent: () -> Segment.Message?) throws {
        let key = periodKey(message.ts.seconds)
        if key != period {
            try flush()
            period = key
            part = 0
        } else if group.count + 2 > Production.maxEvents || groupBytes + message.json.count > Production.maxMessageBytes {
            try flush()
            part += 1
        }
        if context, let thread = fields.threadTS, thread != message.ts.string, !groupTS.contains(thread), let p = parent() {
            append(p, isContext: true)
            contextMessages += 1
        }
        append(message, isContext: false)
    }

    func end() throws -> (files: Int, contextMessages: Int) {
        try flush()
        return (files, contextMessages)
    }

    func finish() throws {}

    private func append(_ m: Segment.Message, isContext: Bool) {
        group.append(RSMFWriter.Item(message: m, isContext: isContext))
        groupTS.insert(m.ts.string)
        groupBytes += m.json.count
    }

    /// The file's period: a UTC day, ISO week or month number, or 0 for the whole conversation.
    private func periodKey(_ seconds: Int64) -> Int64 {
        switch split {
        case .day: return BucketScheme.day.bucket(containing: seconds)
        case .week: return BucketScheme.week.bucket(containing: seconds)
        case .month: return BucketScheme.month.bucket(containing: seconds)
        case .conversation: return 0
        }
    }

    private func periodLabel(_ key: Int64) -> String {
        switch split {
        case .day: return CivilDate(unixSeconds: BucketScheme.day.range(of: key).start).description
        case .week: return "week-" + CivilDate(unixSeconds: BucketScheme.week.range(of: key).start).description
        case .month: return String(CivilDate(unixSeconds: BucketScheme.month.range(of: key).start).description.prefix(7))
        case .conversation: return "all"
        }
    }

    private func flush() throws {
        guard let c = conversation, let key = period, !group.isEmpty else { return }
        defer {
            group = []
            groupTS = []
            groupBytes = 0
        }
        group.sort { $0.message.ts < $1.message.ts }
        let prefix = c.name.map { RSMFWriter.safeName($0) + "_" } ?? ""
        var name = prefix + RSMFWriter.safeName(c.id) + "_" + periodLabel(key) + (part > 0 ? "_\(part + 1)" : "") + ".rsmf"
        var n = 2
        while !taken.insert(name.lowercased()).inserted {
            name = prefix + RSMFWriter.safeName(c.id) + "_" + periodLabel(key) + "_\(part + 1)-\(n).rsmf"
            n += 1
        }
        files += 1
        guard let out else {
            // A dry run: the row without the bytes.
            let begin = RetentionTime.iso8601(group.first?.message.ts.seconds ?? 0), end = RetentionTime.iso8601(group.last?.message.ts.seconds ?? 0)
            loadFile.append(LoadFile.Row(file: name, conversationID: c.id, conversation: label, begin: begin, end: end, events: group.count, sha256: ""))
            return
        }
        let writer = RSMFWriter(conversation: c, label: label, users: users, custodian: custodian, generator: generator, producedAt: producedAt)
        let written = try writer.write(group)
        guard written.bytes.count < 2_000_000_000 else {
            throw LetheError(.failure, "channel \(c.id): an RSMF file of \(written.bytes.count) bytes would pass RSMF's 2 GB limit",
                             hint: "produce with --split day")
        }
        try Production.write(written.bytes, to: out.appendingPathComponent(name))
        bytes += Int64(written.bytes.count)
        loadFile.append(LoadFile.Row(file: name, conversationID: c.id, conversation: label, begin: written.begin, end: written.end,
                                     events: written.events, sha256: KDF.sha256(written.bytes).hexString))
    }
}
