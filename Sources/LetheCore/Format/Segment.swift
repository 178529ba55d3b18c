/// The plaintext of one bucket: every message of one channel in one time bucket.
///
/// Layout (little-endian), before zstd and sealing:
/// ```
/// u32 count
/// count × { u8 tsLen, ts (ASCII), i32 fileDay, u8 hasEdited, [u8 len, edited.ts], u32 jsonLen, json }
/// ```
/// Messages are sorted by ts and unique by ts. `fileDay` is the day number of the
/// export day file the message came from, so `lethe export` puts it back in the
/// same file (Slack cuts day files in US Pacific time, not UTC).
public struct Segment: Sendable, Equatable {
    public struct Message: Sendable, Equatable {
        public var ts: SlackTimestamp
        public var fileDay: Int32
        public var editedTS: String?
        public var json: [UInt8]

        public init(ts: SlackTimestamp, fileDay: Int32, editedTS: String?, json: [UInt8]) {
            self.ts = ts
            self.fileDay = fileDay
            self.editedTS = editedTS
            self.json = json
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
            if let e = m.editedTS, e.utf8.count < 256 {
                w.u8(1)
                w.short(Array(e.utf8))
            } else {
                w.u8(0)
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
            switch try r.u8() {
            case 0: break
            case 1:
                guard let e = String(validating: try r.short(), as: UTF8.self) else { throw ByteReader.Malformed() }
                edited = e
            default: throw ByteReader.Malformed()
            }
            out.append(Message(ts: ts, fileDay: fileDay, editedTS: edited, json: try r.data()))
        }
        guard r.atEnd else { throw ByteReader.Malformed() }
        return Segment(messages: out)
    }
}
