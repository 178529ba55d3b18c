/// The plaintext of one bucket: every message of one channel in one time bucket.
///
/// Layout (little-endian), before zstd and sealing:
/// ```
/// u32 count
/// count × { u8 tsLen, ts (ASCII), i32 fileDay, u8 flags, [u8 len, edited.ts], [item], u32 jsonLen, json }
/// item = { u8 len, file, u8 len, key, u32 index }
/// ```
/// `flags` bit 0: `edited.ts` follows; bit 1 (format 9): the entry is an item, not a
/// message (docs/FORMAT.md §4c); bit 2: its file held this one object, not an array.
/// Messages are sorted by ts and unique by identity (`Importer.identity`). `fileDay` is
/// the day number of the export day file the message came from, so `lethe export` puts it
/// back in the same file (Slack cuts day files in US Pacific time, not UTC).
public struct Segment: Sendable, Equatable {
    public struct Message: Sendable, Equatable {
        public var ts: SlackTimestamp
        public var fileDay: Int32
        public var editedTS: String?
        public var json: [UInt8]
        /// Set for an item of a file that is not a day file (a canvas, a list, an integration
        /// log entry …): stored in its conversation's bucket like a message, exported to its file.
        public var item: Item?

        public init(ts: SlackTimestamp, fileDay: Int32, editedTS: String?, json: [UInt8], item: Item? = nil) {
            self.ts = ts
            self.fileDay = fileDay
            self.editedTS = editedTS
            self.json = json
            self.item = item
        }
    }

    /// Where an item came from and who it is: its file (`canvases.json`,
    /// `teams/acme-eng/lists.json`, a conversation folder's `canvas_in_the_conversation.json`),
    /// its key within that file (its `id`, else a digest of its JSON) and its position in it.
    public struct Item: Sendable, Equatable, Hashable {
        /// The file's path relative to the export root; for a file of a conversation's folder, its name alone.
        public var file: String
        public var key: String
        public var index: UInt32
        /// The file was this one object, not an array of them.
        public var lone: Bool

        public init(file: String, key: String, index: UInt32, lone: Bool = false) {
            self.file = file
            self.key = key
            self.index = index
            self.lone = lone
        }
    }

    public var messages: [Message]

    public init(messages: [Message]) { self.messages = messages }

    /// The largest plaintext a segment may decode to (guards decompression).
    static let maxBytes = 1 << 30

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: messages.reduce(4) { $0 + $1.json.count + 32 })
        w.u32(UInt32(messages.count))
        for m in messages {
            w.short(Array(m.ts.string.utf8))
            w.i32(m.fileDay)
            let edited = m.editedTS.flatMap { $0.utf8.count < 256 ? $0 : nil }
            var flags: UInt8 = edited == nil ? 0 : 1
            if let item = m.item { flags |= item.lone ? 6 : 2 }
            w.u8(flags)
            if let edited { w.short(Array(edited.utf8)) }
            if let item = m.item {
                w.short(Array(item.file.utf8.prefix(255)))
                w.short(Array(item.key.utf8.prefix(255)))
                w.u32(item.index)
            }
            w.data(m.json)
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> Segment {
        var r = ByteReader(bytes)
        let n = Int(try r.u32())
        guard n <= bytes.count else { throw ByteReader.Malformed() }
        var out: [Message] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            guard let tsString = String(validating: try r.short(), as: UTF8.self), let ts = SlackTimestamp(tsString) else {
                throw ByteReader.Malformed()
            }
            let fileDay = try r.i32()
            var edited: String?
            let flags = try r.u8()
            guard flags & ~7 == 0, flags & 6 != 4 else { throw ByteReader.Malformed() }
            if flags & 1 != 0 {
                guard let e = String(validating: try r.short(), as: UTF8.self) else { throw ByteReader.Malformed() }
                edited = e
            }
            var item: Item?
            if flags & 2 != 0 {
                guard let file = String(validating: try r.short(), as: UTF8.self), !file.isEmpty,
                      let key = String(validating: try r.short(), as: UTF8.self), !key.isEmpty
                else { throw ByteReader.Malformed() }
                item = Item(file: file, key: key, index: try r.u32(), lone: flags & 4 != 0)
            }
            out.append(Message(ts: ts, fileDay: fileDay, editedTS: edited, json: try r.data(), item: item))
        }
        guard r.atEnd else { throw ByteReader.Malformed() }
        return Segment(messages: out)
    }
}
