import Foundation

struct GenConfig {
    var messages: Int
    var channels: Int
    var users: Int
    var days: Int
    var seed: UInt64
    /// Last Pacific date of the export (days since epoch).
    var endDay: Int
    var out: String
}

struct GenError: Error, CustomStringConvertible {
    var description: String
}

/// A reply decided when its parent was written, waiting for its own day file.
struct PendingReply {
    var channel: Int
    var micros: Int64
    var user: Int
    var parentMicros: Int64
    /// -1 for USLACKBOT (the parent is a tombstone).
    var parentUser: Int
    /// The parent rendered as a `root` object, for thread_broadcast replies.
    var root: [UInt8]?
}

struct ReplyHeap {
    private(set) var items: [PendingReply] = []
    var isEmpty: Bool { items.isEmpty }
    var minMicros: Int64? { items.first?.micros }

    mutating func push(_ r: PendingReply) {
        items.append(r)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[p].micros <= items[i].micros { break }
            items.swapAt(p, i)
            i = p
        }
    }

    mutating func pop() -> PendingReply? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l].micros < items[m].micros { m = l }
                if r < items.count && items[r].micros < items[m].micros { m = r }
                if m == i { break }
                items.swapAt(m, i)
                i = m
            }
        }
        return top
    }
}

struct ScheduledKey: Hashable {
    var channel: Int
    var micros: Int64
}

enum MessageKind {
    case human, join, botLegacy, botApp, tombstone
}

/// Pieces of a message's text: runs of plain text in `scratch`, and Slack entities.
struct Piece {
    enum Kind: UInt8 { case text, user, channel, link, emoji, here }
    var kind: Kind
    var a: Int32
    var b: Int32
    var c: Int32 = 0
}

/// All random choices of one message, so that it can be rendered twice (in its day
/// file, and as the `root` of a thread_broadcast) with identical content.
struct MessageSpec {
    var kind: MessageKind = .human
    var channel = 0
    var micros: Int64 = 0
    var user = 0
    var inviter = -1
    var subtypeFileShare = false
    var pieceStart = 0
    var pieceEnd = 0
    var hasLink = false
    var unfurl = false
    var fileKind = -1
    var fileId = 0
    var editedSeconds: Int64 = 0
    var reactions: [(name: Int, users: [Int])] = []
    var clientMsgId: (UInt64, UInt64) = (0, 0)
    var blockId: UInt64 = 0
    // threads
    var replies: [(micros: Int64, user: Int)] = []
    var isReply = false
    var parentMicros: Int64 = 0
    var parentUser = 0
    var broadcastRoot: [UInt8]?
    var markers: [Int] = []
}

struct Truth {
    var perChannel: [Int]
    var pacificDays: [Int]
    var utcDays: [Int]
    var buckets: [(channel: Int32, utcDay: Int32, count: Int32)] = []
    var dayFiles: [(channel: Int32, day: Int32, count: Int32)] = []
    var markers: [[(channel: Int32, micros: Int64)]]
    var subtypes: [String: Int] = [:]
    var parents = 0, replies = 0, broadcasts = 0, tombstones = 0, edited = 0, withFiles = 0, withReactions = 0
    var total = 0
}

final class Generator {
    let cfg: GenConfig
    var ws: Workspace
    var rng: Rng
    let startDay: Int
    let asciiBefore: Int  // day offsets below this write \uXXXX escapes

    // plan
    var dayTotals: [Int] = []
    var pendingCount: [Int] = []
    var pending: [Int: [PendingReply]] = [:]
    var scheduled: [Int: Set<ScheduledKey>] = [:]

    // markers
    static let markerWords: [(word: String, count: Int)] = [
        ("zebracorn", 1), ("quokkafish", 10), ("narwhalbyte", 100), ("axolotlamp", 1000), ("pangolinrx", 10000),
        ("ゼブラコーン", 10),
    ]
    let markerBytes: [[UInt8]]
    var markerPlan: [(pos: Int, marker: Int)] = []
    var markerNext = 0

    // per channel-day state
    var w = PrettyJSON(capacity: 4 << 20, depth: 0)
    var scratch: [UInt8] = []
    var pieces: [Piece] = []
    var mrkdwn: [UInt8] = []
    var heap = ReplyHeap()
    var lastMicros: Int64 = 0
    var file: UnsafeMutablePointer<FILE>?
    var fileCount = 0
    var createdFolders = Set<Int>()

    var truth: Truth
    var utcCur: [Int]
    var utcNext: [Int]
    var globalIndex = 0

    init(config: GenConfig) {
        cfg = config
        var r = Rng(seed: config.seed)
        ws = Workspace(config: config, rng: &r)
        rng = r
        startDay = config.endDay - config.days + 1
        asciiBefore = config.days / 3
        markerBytes = Generator.markerWords.map { Array($0.word.utf8) }
        truth = Truth(perChannel: Array(repeating: 0, count: config.channels),
                      pacificDays: Array(repeating: 0, count: config.days),
                      utcDays: Array(repeating: 0, count: config.days + 1),
                      markers: Array(repeating: [], count: Generator.markerWords.count))
        utcCur = Array(repeating: 0, count: config.channels)
        utcNext = Array(repeating: 0, count: config.channels)
        scratch.reserveCapacity(4096)
        mrkdwn.reserveCapacity(4096)
    }

    // MARK: planning

    func planDays() {
        let d = cfg.days
        var weights = [Double](repeating: 0, count: d)
        var sum = 0.0
        for i in 0..<d {
            let wd = Civil.weekday(days: startDay + i)
            let base = (wd == 0 || wd == 6) ? 0.25 : 1.0
            let trend = 0.6 + 0.8 * Double(i) / Double(max(1, d - 1))
            weights[i] = base * trend * (0.85 + 0.3 * rng.unit())
            sum += weights[i]
        }
        dayTotals = [Int](repeating: 0, count: d)
        var cum = 0.0
        var prev = 0
        for i in 0..<d {
            cum += weights[i]
            let upTo = i == d - 1 ? cfg.messages : Int((Double(cfg.messages) * cum / sum).rounded())
            dayTotals[i] = max(0, upTo - prev)
            prev = max(prev, upTo)
        }
        pendingCount = [Int](repeating: 0, count: d)
        // markers spread evenly over the global emission order
        let n = cfg.messages
        if n > 0 {
            for (m, spec) in Generator.markerWords.enumerated() {
                // at most one message in ten carries a given marker
                let c = min(spec.count, max(1, n / 10))
                for j in 0..<c {
                    let pos = min(n - 1, Int((Double(j) + 0.5) * Double(n) / Double(c)) + m)
                    markerPlan.append((pos, m))
                }
            }
            markerPlan.sort { $0.pos != $1.pos ? $0.pos < $1.pos : $0.marker < $1.marker }
        }
    }

    // MARK: run

    func run() throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: cfg.out) {
            let contents = try fm.contentsOfDirectory(atPath: cfg.out)
            if !contents.isEmpty { throw GenError(description: "output directory \(cfg.out) is not empty") }
        }
        try fm.createDirectory(atPath: cfg.out, withIntermediateDirectories: true)
        try writeFile("users.json", ws.usersJSON())
        try writeFile("channels.json", ws.conversationsJSON(kind: .publicChannel))
        try writeFile("groups.json", ws.conversationsJSON(kind: .privateChannel))
        try writeFile("dms.json", ws.conversationsJSON(kind: .dm))
        try writeFile("mpims.json", ws.conversationsJSON(kind: .mpim))
        try writeFile("integration_logs.json", ws.integrationLogsJSON())
        planDays()

        let cCount = cfg.channels
        var k = [Int](repeating: 0, count: cCount)
        for d in 0..<cfg.days {
            let budget = max(0, dayTotals[d] - pendingCount[d])
            for i in 0..<cCount { k[i] = 0 }
            for _ in 0..<budget {
                k[pickChannel(day: d)] += 1
            }
            var todays = pending.removeValue(forKey: d) ?? []
            todays.sort { $0.channel != $1.channel ? $0.channel < $1.channel : $0.micros < $1.micros }
            var pi = 0
            for c in 0..<cCount {
                let startP = pi
                while pi < todays.count && todays[pi].channel == c { pi += 1 }
                if k[c] == 0 && startP == pi { continue }
                try emitChannelDay(channel: c, day: d, slots: k[c], pending: todays[startP..<pi])
            }
            scheduled.removeValue(forKey: d)
            // UTC day `startDay + d` is complete once Pacific day d is written
            for c in 0..<cCount where utcCur[c] > 0 {
                truth.buckets.append((Int32(c), Int32(startDay + d), Int32(utcCur[c])))
            }
            swap(&utcCur, &utcNext)
            for c in 0..<cCount { utcNext[c] = 0 }
        }
        for c in 0..<cCount where utcCur[c] > 0 {
            truth.buckets.append((Int32(c), Int32(startDay + cfg.days), Int32(utcCur[c])))
        }
        if cCount > 0 {
            try fm.createDirectory(atPath: cfg.out + "/" + ws.conversations[0].folder, withIntermediateDirectories: true)
            try writeFile(ws.conversations[0].folder + "/canvas_in_the_conversation.json", ws.canvasJSON())
        }
    }

    func writeFile(_ rel: String, _ bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: cfg.out + "/" + rel)
        try Data(bytes).write(to: url)
    }

    func pickChannel(day: Int) -> Int {
        for _ in 0..<8 {
            let c = rng.zipf(cfg.channels)
            if day <= ws.conversations[c].lastDay { return c }
        }
        return 0
    }

    /// Diurnal warp of [0,1) onto the fraction of a day: quiet nights, busy working hours.
    static let hourWeights: [Double] = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 2.0, 3.0, 3.2, 3.0,
                                        2.2, 2.8, 3.0, 2.9, 2.6, 2.0, 1.3, 1.0, 0.9, 0.7, 0.5, 0.3]
    static let hourCDF: [Double] = {
        var out: [Double] = [0]
        let total = hourWeights.reduce(0, +)
        var acc = 0.0
        for w in hourWeights { acc += w; out.append(acc / total) }
        return out
    }()

    @inline(__always)
    static func warp(_ u: Double) -> Double {
        var h = 0
        while h < 23 && hourCDF[h + 1] <= u { h += 1 }
        let lo = hourCDF[h], hi = hourCDF[h + 1]
        let f = hi > lo ? (u - lo) / (hi - lo) : 0
        return (Double(h) + f) / 24.0
    }

    func randomMicros(inDay d: Int) -> Int64 {
        let s = Int64(Pacific.midnight(day: startDay + d)) * 1_000_000
        let e = Int64(Pacific.midnight(day: startDay + d + 1)) * 1_000_000
        return s + Int64(Generator.warp(rng.unit()) * Double(e - s - 1))
    }

    // MARK: channel-day files

    func emitChannelDay(channel c: Int, day d: Int, slots k: Int, pending: ArraySlice<PendingReply>) throws {
        let conv = ws.conversations[c]
        if !createdFolders.contains(c) {
            try FileManager.default.createDirectory(atPath: cfg.out + "/" + conv.folder, withIntermediateDirectories: true)
            createdFolders.insert(c)
        }
        let name = Civil.iso(days: startDay + d)
        let path = cfg.out + "/" + conv.folder + "/" + name + ".json"
        guard let f = fopen(path, "wb") else { throw GenError(description: "cannot create \(path)") }
        file = f
        defer { fclose(f); file = nil }
        w.reset()
        w.asciiOnly = d < asciiBefore
        w.openArray()
        heap = ReplyHeap()
        for p in pending { heap.push(p) }
        let dayStart = Int64(Pacific.midnight(day: startDay + d)) * 1_000_000
        let dayEnd = Int64(Pacific.midnight(day: startDay + d + 1)) * 1_000_000
        let span = Double(dayEnd - dayStart)
        lastMicros = Int64.min
        var count = 0
        var emittedSlots = 0
        var sameDay = 0
        var j = 0
        while j < k && emittedSlots + sameDay < k {
            let u = (Double(j) + rng.unit()) / Double(k)
            var t = dayStart + Int64(Generator.warp(u) * span)
            j += 1
            t = max(t, lastMicros + 1)
            while let top = heap.minMicros, top <= t {
                if let r = heap.pop() { try emitReply(r, day: d); count += 1 }
                t = max(t, lastMicros + 1)
            }
            if t >= dayEnd { break }
            let budgetLeft = k - (emittedSlots + 1 + sameDay)
            sameDay += try emitTop(channel: c, day: d, micros: t, dayEnd: dayEnd, sameDayBudget: budgetLeft)
            emittedSlots += 1
            count += 1
        }
        while let r = heap.pop() {
            try emitReply(r, day: d)
            count += 1
        }
        w.closeArray()
        try flush(force: true)
        truth.dayFiles.append((Int32(c), Int32(startDay + d), Int32(count)))
        fileCount += 1
    }

    func flush(force: Bool) throws {
        if w.buf.count >= (force ? 1 : 1 << 20), let f = file {
            let n = w.buf.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
            if n != w.buf.count { throw GenError(description: "write failed (disk full?)") }
            w.buf.removeAll(keepingCapacity: true)
        }
    }

    /// Bookkeeping common to every emitted message.
    func account(channel c: Int, day d: Int, micros: Int64, subtype: String?) {
        lastMicros = micros
        truth.total += 1
        truth.perChannel[c] += 1
        truth.pacificDays[d] += 1
        let utc = Int(Civil.floorDiv(micros / 1_000_000, 86_400)) - startDay
        if utc >= 0 && utc < truth.utcDays.count { truth.utcDays[utc] += 1 }
        if utc == d { utcCur[c] += 1 } else { utcNext[c] += 1 }
        truth.subtypes[subtype ?? "(none)", default: 0] += 1
        globalIndex += 1
    }

    func takeMarkers(into spec: inout MessageSpec) {
        while markerNext < markerPlan.count && markerPlan[markerNext].pos <= globalIndex {
            let m = markerPlan[markerNext].marker
            if !spec.markers.contains(m) { spec.markers.append(m) }
            markerNext += 1
        }
    }

    func pickMember(_ c: Int) -> Int {
        let conv = ws.conversations[c]
        return conv.member(rng.zipf(conv.memberCount), userCount: ws.users.count)
    }

    /// Emits one top-level message at `micros`; returns how many same-day replies it scheduled.
    func emitTop(channel c: Int, day d: Int, micros: Int64, dayEnd: Int64, sameDayBudget: Int) throws -> Int {
        let conv = ws.conversations[c]
        let isChannel = conv.kind == .publicChannel || conv.kind == .privateChannel
        var spec = MessageSpec()
        spec.channel = c
        spec.micros = micros
        let roll = rng.unit()
        if isChannel && roll < 0.015 {
            spec.kind = .join
            spec.user = pickMember(c)
            if rng.chance(0.5) { spec.inviter = conv.member(0, userCount: ws.users.count) }
            render(spec)
            account(channel: c, day: d, micros: micros, subtype: "channel_join")
            try flush(force: false)
            return 0
        }
        if isChannel && roll < 0.03 {
            spec.kind = .botLegacy
            render(spec)
            account(channel: c, day: d, micros: micros, subtype: "bot_message")
            try flush(force: false)
            return 0
        }
        if isChannel && roll < 0.05 {
            spec.kind = .botApp
            takeMarkers(into: &spec)
            buildBotText(&spec)
            render(spec)
            recordMarkers(spec)
            account(channel: c, day: d, micros: micros, subtype: nil)
            try flush(force: false)
            return 0
        }
        spec.kind = .human
        spec.user = pickMember(c)
        takeMarkers(into: &spec)
        let thread = rng.chance(0.07)
        var sameDay = 0
        if thread && spec.markers.isEmpty && rng.chance(0.03) {
            // a deleted parent whose replies survive
            spec.kind = .tombstone
            sameDay = planThread(&spec, day: d, dayEnd: dayEnd, sameDayBudget: sameDayBudget)
            if spec.replies.isEmpty { spec.kind = .human }
        }
        if spec.kind == .human {
            buildHuman(&spec)
            if thread {
                sameDay = planThread(&spec, day: d, dayEnd: dayEnd, sameDayBudget: sameDayBudget)
            }
        }
        render(spec)
        recordMarkers(spec)
        account(channel: c, day: d, micros: micros, subtype: spec.kind == .tombstone ? "tombstone" : (spec.subtypeFileShare ? "file_share" : nil))
        try flush(force: false)
        return sameDay
    }

    func recordMarkers(_ spec: MessageSpec) {
        for m in spec.markers {
            truth.markers[m].append((Int32(spec.channel), spec.micros))
        }
    }

    func emitReply(_ r: PendingReply, day d: Int) throws {
        var spec = MessageSpec()
        spec.kind = .human
        spec.channel = r.channel
        spec.micros = r.micros
        spec.user = r.user
        spec.isReply = true
        spec.parentMicros = r.parentMicros
        spec.parentUser = r.parentUser
        spec.broadcastRoot = r.root
        takeMarkers(into: &spec)
        buildHuman(&spec)
        render(spec)
        recordMarkers(spec)
        truth.replies += 1
        if r.root != nil { truth.broadcasts += 1 }
        account(channel: r.channel, day: d, micros: r.micros, subtype: r.root != nil ? "thread_broadcast" : nil)
        try flush(force: false)
    }

    /// Decides a parent's replies (same day into the heap, later days into `pending`).
    func planThread(_ spec: inout MessageSpec, day d: Int, dayEnd: Int64, sameDayBudget: Int) -> Int {
        let conv = ws.conversations[spec.channel]
        var wanted = 1
        while wanted < 8 && rng.chance(0.55) { wanted += 1 }
        var sameDay = 0
        var planned: [(micros: Int64, user: Int, day: Int)] = []
        for _ in 0..<wanted {
            var micros: Int64 = 0
            var day = -1
            if rng.chance(0.6) && sameDay < sameDayBudget && dayEnd - spec.micros > 120_000_000 {
                let room = min(dayEnd - spec.micros - 2, 6 * 3600 * 1_000_000)
                micros = spec.micros + 1 + Int64(rng.unit() * Double(room))
                day = d
            } else {
                let d2 = d + 1 + rng.below(3)
                if d2 < cfg.days && d2 <= conv.lastDay && pendingCount[d2] < dayTotals[d2] / 2 {
                    micros = randomMicros(inDay: d2)
                    day = d2
                }
            }
            if day < 0 { continue }
            var key = ScheduledKey(channel: spec.channel, micros: micros)
            while scheduled[day, default: []].contains(key) { key.micros += 1 }
            scheduled[day, default: []].insert(key)
            micros = key.micros
            let user = rng.chance(0.3) ? spec.user : pickMember(spec.channel)
            planned.append((micros, user, day))
            if day == d { sameDay += 1 } else { pendingCount[day] += 1 }
        }
        if planned.isEmpty { return 0 }
        planned.sort { $0.micros < $1.micros }
        spec.replies = planned.map { ($0.micros, $0.user) }
        if spec.kind == .tombstone { truth.tombstones += 1 }
        truth.parents += 1
        let parentUser = spec.kind == .tombstone ? -1 : spec.user
        for p in planned {
            var root: [UInt8]?
            if spec.kind != .tombstone && rng.chance(0.1) {
                var rw = PrettyJSON(capacity: 2048, depth: 2)
                rw.asciiOnly = p.day < asciiBefore
                render(spec, into: &rw)
                root = rw.buf
            }
            let r = PendingReply(channel: spec.channel, micros: p.micros, user: p.user, parentMicros: spec.micros,
                                 parentUser: parentUser, root: root)
            if p.day == d { heap.push(r) } else { pending[p.day, default: []].append(r) }
        }
        return sameDay
    }

    // MARK: text

    func appendWord(_ bytes: [UInt8], space: Bool) {
        if space && !scratch.isEmpty, let last = scratch.last, last != 0x20 { scratch.append(0x20) }
        scratch.append(contentsOf: bytes)
    }

    /// Closes the current text run into a piece.
    func closeRun(_ runStart: inout Int) {
        if scratch.count > runStart {
            pieces.append(Piece(kind: .text, a: Int32(runStart), b: Int32(scratch.count)))
        }
        runStart = scratch.count
    }

    func buildHuman(_ spec: inout MessageSpec) {
        scratch.removeAll(keepingCapacity: true)
        pieces.removeAll(keepingCapacity: true)
        var run = 0  // the first text run starts at 0 (with the space after a leading entity)
        let user = ws.users[spec.user]
        let culture = rng.chance(0.75) ? user.culture : 0
        let words = Vocabulary.words[culture]
        let spaced = culture != 3 && culture != 4
        let uCount = ws.users.count
        if rng.chance(0.10) {
            pieces.append(Piece(kind: .user, a: Int32(rng.zipf(uCount)), b: 0))
        }
        if rng.chance(0.01) {
            if !pieces.isEmpty {
                scratch.append(0x20)
                closeRun(&run)
            }
            pieces.append(Piece(kind: .here, a: 0, b: 0))
        }
        if !pieces.isEmpty { scratch.append(0x20) }
        let n = 3 + rng.zipf(24)
        for i in 0..<n {
            appendWord(words[rng.zipf(words.count)], space: spaced || i == 0)
        }
        if rng.chance(0.08) { appendWord(rng.pick(Vocabulary.rawEmoji), space: true) }
        for m in spec.markers { appendWord(markerBytes[m], space: true) }
        if rng.chance(0.05) {
            appendWord(Array(" see ".utf8), space: false)
            closeRun(&run)
            let target = rng.zipf(cfg.channels)
            pieces.append(Piece(kind: .channel, a: Int32(ws.conversations[target].kind == .publicChannel ? target : 0), b: 0))
        }
        if rng.chance(0.08) {
            scratch.append(0x20)
            closeRun(&run)
            pieces.append(Piece(kind: .link, a: Int32(rng.below(Vocabulary.linkHosts.count)), b: Int32(rng.below(100_000)),
                                c: Int32(rng.below(Vocabulary.linkLabels.count))))
            spec.hasLink = true
            spec.unfurl = rng.chance(0.3)
        }
        if rng.chance(0.10) {
            scratch.append(0x20)
            closeRun(&run)
            pieces.append(Piece(kind: .emoji, a: Int32(rng.below(Vocabulary.emojiNames.count)), b: 0))
        }
        closeRun(&run)
        spec.pieceStart = 0
        spec.pieceEnd = pieces.count
        spec.clientMsgId = (rng.next(), rng.next())
        spec.blockId = rng.next()
        if rng.chance(0.02) && !spec.isReply {
            spec.fileKind = rng.below(Vocabulary.fileKinds.count)
            spec.fileId = rng.below(1 << 30)
            spec.subtypeFileShare = rng.chance(0.35)
        }
        if rng.chance(0.04) {
            spec.editedSeconds = spec.micros / 1_000_000 + Int64(30 + rng.below(7200))
            truth.edited += 1
        }
        if rng.chance(0.08) {
            let conv = ws.conversations[spec.channel]
            let nr = 1 + rng.zipf(3)
            for _ in 0..<nr {
                let name = rng.below(Vocabulary.reactionNames.count)
                if spec.reactions.contains(where: { $0.name == name }) { continue }
                var us: [Int] = []
                for _ in 0..<(1 + rng.zipf(min(5, conv.memberCount))) {
                    let m = pickMember(spec.channel)
                    if !us.contains(m) { us.append(m) }
                }
                spec.reactions.append((name, us))
            }
            truth.withReactions += 1
        }
        if spec.fileKind >= 0 { truth.withFiles += 1 }
    }

    func buildBotText(_ spec: inout MessageSpec) {
        scratch.removeAll(keepingCapacity: true)
        pieces.removeAll(keepingCapacity: true)
        var run = 0
        appendWord(Array("Deployed *apollo* v2.\(rng.below(40)).\(rng.below(10)) to production".utf8), space: false)
        for m in spec.markers { appendWord(markerBytes[m], space: true) }
        scratch.append(0x20)
        closeRun(&run)
        pieces.append(Piece(kind: .emoji, a: 3, b: 0))  // rocket
        scratch.append(contentsOf: Array(" (".utf8))
        closeRun(&run)
        pieces.append(Piece(kind: .link, a: 3, b: Int32(rng.below(100_000)), c: 5))
        scratch.append(UInt8(ascii: ")"))
        closeRun(&run)
        spec.pieceStart = 0
        spec.pieceEnd = pieces.count
        spec.blockId = rng.next()
    }

    static func appendEntities(_ out: inout [UInt8], _ bytes: ArraySlice<UInt8>) {
        for b in bytes {
            switch b {
            case UInt8(ascii: "&"): out.append(contentsOf: [38, 97, 109, 112, 59])  // &amp;
            case UInt8(ascii: "<"): out.append(contentsOf: [38, 108, 116, 59])  // &lt;
            case UInt8(ascii: ">"): out.append(contentsOf: [38, 103, 116, 59])  // &gt;
            default: out.append(b)
            }
        }
    }

    func linkURL(_ p: Piece) -> [UInt8] {
        var u = Vocabulary.linkHosts[Int(p.a)]
        u.append(contentsOf: Array(String(p.b).utf8))
        return u
    }

    /// The mrkdwn `text` of the current pieces.
    func buildMrkdwn() {
        mrkdwn.removeAll(keepingCapacity: true)
        for p in pieces {
            switch p.kind {
            case .text: Generator.appendEntities(&mrkdwn, scratch[Int(p.a)..<Int(p.b)])
            case .user:
                mrkdwn.append(contentsOf: [60, 64])
                mrkdwn.append(contentsOf: ws.users[Int(p.a)].idBytes)
                mrkdwn.append(62)
            case .channel:
                let conv = ws.conversations[Int(p.a)]
                mrkdwn.append(contentsOf: [60, 35])
                mrkdwn.append(contentsOf: conv.idBytes)
                if conv.kind == .publicChannel || conv.kind == .privateChannel {
                    mrkdwn.append(124)
                    mrkdwn.append(contentsOf: conv.nameBytes)
                }
                mrkdwn.append(62)
            case .link:
                mrkdwn.append(60)
                mrkdwn.append(contentsOf: linkURL(p))
                mrkdwn.append(124)
                mrkdwn.append(contentsOf: Vocabulary.linkLabels[Int(p.c)])
                mrkdwn.append(62)
            case .emoji:
                mrkdwn.append(58)
                mrkdwn.append(contentsOf: Vocabulary.emojiNames[Int(p.a)])
                mrkdwn.append(58)
            case .here:
                mrkdwn.append(contentsOf: Array("<!here>".utf8))
            }
        }
    }

    // MARK: rendering

    func render(_ spec: MessageSpec) {
        w.item()
        render(spec, into: &w)
    }

    static func hex(_ v: UInt64, digits: Int, into out: inout [UInt8]) {
        let h: [UInt8] = Array("0123456789abcdef".utf8)
        var i = digits - 1
        while i >= 0 {
            out.append(h[Int((v >> UInt64(i * 4)) & 0xF)])
            i -= 1
        }
    }

    func uuid(_ id: (UInt64, UInt64)) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(36)
        let a = id.0, b = id.1
        Generator.hex(a >> 32, digits: 8, into: &out); out.append(45)
        Generator.hex((a >> 16) & 0xFFFF, digits: 4, into: &out); out.append(45)
        Generator.hex(0x4000 | (a & 0x0FFF), digits: 4, into: &out); out.append(45)
        Generator.hex(0x8000 | ((b >> 48) & 0x3FFF), digits: 4, into: &out); out.append(45)
        Generator.hex(b & 0xFFFF_FFFF_FFFF, digits: 12, into: &out)
        return out
    }

    static let blockIdAlphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".utf8)

    func writeBlocks(_ spec: MessageSpec, into w: inout PrettyJSON) {
        w.key("blocks")
        w.openArray()
        w.item(); w.openObject()
        w.field("type", "rich_text")
        var bid: [UInt8] = []
        var x = spec.blockId
        for _ in 0..<5 { bid.append(Generator.blockIdAlphabet[Int(x % 65)]); x /= 65 }
        w.field("block_id", bid)
        w.key("elements"); w.openArray()
        w.item(); w.openObject()
        w.field("type", "rich_text_section")
        w.key("elements"); w.openArray()
        for p in pieces[spec.pieceStart..<spec.pieceEnd] {
            w.item(); w.openObject()
            switch p.kind {
            case .text:
                w.field("type", "text")
                w.key("text"); w.string(scratch[Int(p.a)..<Int(p.b)])
            case .user:
                w.field("type", "user")
                w.field("user_id", ws.users[Int(p.a)].idBytes)
            case .channel:
                w.field("type", "channel")
                w.field("channel_id", ws.conversations[Int(p.a)].idBytes)
            case .link:
                w.field("type", "link")
                w.field("url", linkURL(p))
                w.field("text", Vocabulary.linkLabels[Int(p.c)])
            case .emoji:
                let name = Vocabulary.emojiNames[Int(p.a)]
                if let sep = name.firstIndex(of: 58) {
                    w.field("type", "emoji")
                    w.field("name", Array(name[..<sep]))
                    w.field("skin_tone", Int(name[name.count - 1] - 48))
                } else {
                    w.field("type", "emoji")
                    w.field("name", name)
                }
            case .here:
                w.field("type", "broadcast")
                w.field("range", "here")
            }
            w.closeObject()
        }
        w.closeArray()
        w.closeObject()
        w.closeArray()
        w.closeObject()
        w.closeArray()
    }

    func userId(_ index: Int) -> [UInt8] {
        index < 0 ? Array("USLACKBOT".utf8) : ws.users[index].idBytes
    }

    func writeThreadParent(_ spec: MessageSpec, into w: inout PrettyJSON) {
        guard !spec.replies.isEmpty else { return }
        w.fieldTs("thread_ts", spec.micros)
        w.field("reply_count", spec.replies.count)
        var users: [Int] = []
        for r in spec.replies where !users.contains(r.user) { users.append(r.user) }
        w.field("reply_users_count", users.count)
        w.fieldTs("latest_reply", spec.replies[spec.replies.count - 1].micros)
        w.key("reply_users"); w.openArray()
        for u in users { w.item(); w.string(userId(u)) }
        w.closeArray()
        w.key("replies"); w.openArray()
        for r in spec.replies {
            w.item(); w.openObject()
            w.field("user", userId(r.user))
            w.fieldTs("ts", r.micros)
            w.closeObject()
        }
        w.closeArray()
        w.field("is_locked", false)
        w.field("subscribed", false)
    }

    func render(_ spec: MessageSpec, into w: inout PrettyJSON) {
        let team = ws.team
        w.openObject()
        switch spec.kind {
        case .join:
            let u = ws.users[spec.user]
            w.field("user", u.idBytes)
            if spec.inviter >= 0 { w.field("inviter", ws.users[spec.inviter].idBytes) }
            w.field("type", "message")
            w.field("subtype", "channel_join")
            w.fieldTs("ts", spec.micros)
            var t: [UInt8] = [60, 64]
            t.append(contentsOf: u.idBytes)
            t.append(contentsOf: Array("> has joined the channel".utf8))
            w.field("text", t)
        case .botLegacy:
            w.field("type", "message")
            w.field("subtype", "bot_message")
            w.field("text", "")
            w.fieldTs("ts", spec.micros)
            w.field("bot_id", ws.hookBotId)
            w.field("username", "ci-notifier")
            w.key("icons"); w.openObject(); w.field("emoji", ":robot_face:"); w.closeObject()
            w.key("attachments"); w.openArray()
            w.item(); w.openObject()
            let sha = spec.micros % 0xFFFFFFF
            w.field("fallback", "[apollo:main] 1 new commit")
            w.field("color", "36a64f")
            w.field("pretext", "[apollo:main] <https://git.example.org/apollo/compare/\(sha)|1 new commit>:")
            w.field("text", "<https://git.example.org/apollo/commit/\(sha)|\(sha)>: fix build &amp; bump deps")
            w.field("id", 1)
            w.key("mrkdwn_in"); w.openArray(); w.item(); w.string("text"); w.item(); w.string("pretext"); w.closeArray()
            w.closeObject()
            w.closeArray()
        case .botApp:
            buildMrkdwn()
            w.field("user", ws.botUser.idBytes)
            w.field("type", "message")
            w.fieldTs("ts", spec.micros)
            w.field("bot_id", ws.botId)
            w.field("app_id", ws.appId)
            w.field("text", mrkdwn)
            w.field("team", team)
            w.key("bot_profile"); w.openObject()
            w.field("id", ws.botId)
            w.field("deleted", false)
            w.field("name", "deploybot")
            w.field("updated", Int64(1_672_704_000))
            w.field("app_id", ws.appId)
            w.key("icons"); w.openObject()
            w.field("image_36", "https://avatars.slack-edge.com/2023-01-02/deploybot_36.png")
            w.closeObject()
            w.field("team_id", team)
            w.closeObject()
            writeBlocks(spec, into: &w)
        case .tombstone:
            w.field("type", "message")
            w.field("subtype", "tombstone")
            w.field("text", "This message was deleted.")
            w.field("user", "USLACKBOT")
            w.field("hidden", true)
            w.fieldTs("ts", spec.micros)
            writeThreadParent(spec, into: &w)
        case .human:
            buildMrkdwn()
            let u = ws.users[spec.user]
            if spec.broadcastRoot != nil {
                w.field("type", "message")
                w.field("subtype", "thread_broadcast")
                w.field("text", mrkdwn)
                w.field("user", u.idBytes)
                w.fieldTs("ts", spec.micros)
                w.fieldTs("thread_ts", spec.parentMicros)
                w.key("root")
                if let root = spec.broadcastRoot { w.raw(root) }
                writeBlocks(spec, into: &w)
                w.field("client_msg_id", uuid(spec.clientMsgId))
                w.closeObject()
                return
            }
            w.field("user", u.idBytes)
            w.field("type", "message")
            if spec.subtypeFileShare { w.field("subtype", "file_share") }
            w.fieldTs("ts", spec.micros)
            w.field("client_msg_id", uuid(spec.clientMsgId))
            w.field("text", mrkdwn)
            w.field("team", u.team)
            w.field("user_team", u.team)
            w.field("source_team", u.team)
            w.key("user_profile")
            if w.depth == 2 {
                w.raw(w.asciiOnly ? u.profileASCII : u.profileRaw)
            } else {
                w.raw(Workspace.renderProfile(u, ascii: w.asciiOnly, depth: w.depth))
            }
            if spec.editedSeconds > 0 {
                w.key("edited"); w.openObject()
                w.field("user", u.idBytes)
                w.fieldTs("ts", spec.editedSeconds * 1_000_000)
                w.closeObject()
            }
            if spec.fileKind >= 0 { writeFiles(spec, into: &w) }
            if spec.unfurl, let link = pieces[spec.pieceStart..<spec.pieceEnd].first(where: { $0.kind == .link }) {
                let url = linkURL(link)
                w.key("attachments"); w.openArray()
                w.item(); w.openObject()
                w.field("from_url", url)
                w.field("service_name", "Example")
                w.field("title", "Page \(link.b) on example.org")
                w.field("title_link", url)
                w.field("text", "A summary of the linked page, as unfurled by Slack.")
                w.field("fallback", "Example: Page \(link.b)")
                w.field("id", 1)
                w.field("original_url", url)
                w.closeObject()
                w.closeArray()
            }
            writeBlocks(spec, into: &w)
            if spec.isReply {
                w.fieldTs("thread_ts", spec.parentMicros)
                w.field("parent_user_id", userId(spec.parentUser))
            } else {
                writeThreadParent(spec, into: &w)
            }
            if !spec.reactions.isEmpty {
                w.key("reactions"); w.openArray()
                for r in spec.reactions {
                    w.item(); w.openObject()
                    w.field("name", Vocabulary.reactionNames[r.name])
                    w.key("users"); w.openArray()
                    for x in r.users { w.item(); w.string(ws.users[x].idBytes) }
                    w.closeArray()
                    w.field("count", r.users.count)
                    w.closeObject()
                }
                w.closeArray()
            }
        }
        w.closeObject()
    }

    func writeFiles(_ spec: MessageSpec, into w: inout PrettyJSON) {
        let k = Vocabulary.fileKinds[spec.fileKind]
        let u = ws.users[spec.user]
        let fid = Workspace.encodeId(prefix: "F", index: spec.fileId, salt: 99)
        let fname = "file_\(spec.fileId).\(k.ext)"
        let sec = spec.micros / 1_000_000
        w.key("files"); w.openArray()
        w.item(); w.openObject()
        w.field("id", fid)
        w.field("created", sec)
        w.field("timestamp", sec)
        w.field("name", fname)
        w.field("title", fname)
        w.field("mimetype", k.mime)
        w.field("filetype", k.filetype)
        w.field("pretty_type", k.pretty)
        w.field("user", u.idBytes)
        w.field("user_team", u.team)
        w.field("editable", false)
        w.field("size", 1024 + spec.fileId % 500_000)
        w.field("mode", "hosted")
        w.field("is_external", false)
        w.field("external_type", "")
        w.field("is_public", true)
        w.field("public_url_shared", false)
        w.field("display_as_bot", false)
        w.field("username", "")
        w.field("url_private", "https://files.slack.com/files-pri/\(ws.team)-\(fid)/\(fname)?t=xoxe-REDACTED")
        w.field("url_private_download", "https://files.slack.com/files-pri/\(ws.team)-\(fid)/download/\(fname)?t=xoxe-REDACTED")
        w.field("permalink", "https://example.slack.com/files/\(u.id)/\(fid)/\(fname)")
        w.field("is_starred", false)
        w.field("has_rich_preview", false)
        w.field("file_access", "visible")
        w.closeObject()
        w.closeArray()
        w.field("upload", spec.subtypeFileShare)
        w.field("display_as_bot", false)
    }
}
