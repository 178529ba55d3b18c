import Foundation
import LetheTestSupport
import LetheCore

/// A simple, deterministic Slack export written by the tests themselves, sized at will.
enum SyntheticExport {
    /// Writes `channels` public channels × `days` days × `perDay` messages, starting 2024-01-01.
    /// Returns the total message count.
    @discardableResult
    static func write(to root: URL, channels: Int, days: Int, perDay: Int, seed: UInt64 = 1) throws -> Int {
        let fm = FileManager.default
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: seed)
        func next() -> UInt64 { rng.next() }
        let words = ["deploy", "budget", "review", "lunch", "incident", "release", "café", "東京", "привет", "data", "ship", "meeting"]
        var chans: [String] = []
        var users: [String] = []
        for u in 0..<8 { users.append(#"{"id":"U\#(u)","name":"user\#(u)","real_name":"User Number\#(u)"}"#) }
        try Data(("[" + users.joined(separator: ",") + "]").utf8).write(to: root.appendingPathComponent("users.json"))
        var total = 0
        for c in 0..<channels {
            let name = "chan-\(c)"
            chans.append(#"{"id":"C\#(1000 + c)","name":"\#(name)","created":1500000000,"is_archived":false,"members":[]}"#)
            let dir = root.appendingPathComponent(name)
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            for d in 0..<days {
                let dayStart: Int64 = 1_704_067_200 + Int64(d) * 86400 + 8 * 3600  // Pacific midnight, roughly
                var msgs: [String] = []
                for i in 0..<perDay {
                    let ts = "\(dayStart + Int64(i * (86000 / max(perDay, 1)))).\(String(format: "%06d", Int(next() % 1_000_000)))"
                    let text = (0..<8).map { _ in words[Int(next() % UInt64(words.count))] }.joined(separator: " ")
                    msgs.append(#"{"type":"message","user":"U\#(next() % 8)","text":"\#(text) n\#(total)","ts":"\#(ts)"}"#)
                    total += 1
                }
                let date = CivilDateText.from(dayNumber: (dayStart - 8 * 3600) / 86400)
                try Data(("[\n" + msgs.joined(separator: ",\n") + "\n]").utf8).write(to: dir.appendingPathComponent(date + ".json"))
            }
        }
        try Data(("[" + chans.joined(separator: ",") + "]").utf8).write(to: root.appendingPathComponent("channels.json"))
        return total
    }
}

enum CivilDateText {
    static func from(dayNumber: Int64) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(dayNumber * 86400)))
    }
}

/// An archive with something to shred: a synthetic export of `channels` × `days` days from
/// 2024-01-01, imported, and a policy keeping 100 days; `plan` is `retention plan --json` at `now`.
struct ShredScenario {
    let root: URL
    let export: URL
    let policy: URL
    let now: String
    let archive: TestArchive
    let plan: RetentionPlan

    init(_ name: String, channels: Int = 4, days: Int = 300, perDay: Int = 4, now: String = "2024-12-31T00:00:00Z") throws {
        root = Harness.tempDir(name)
        export = root.appendingPathComponent("export")
        try SyntheticExport.write(to: export, channels: channels, days: days, perDay: perDay)
        policy = root.appendingPathComponent("p.yml")
        try Data("version: 1\ndefault:\n  keep: 100d\n".utf8).write(to: policy)
        self.now = now
        archive = try Harness.makeArchive(name)
        try archive.importExport(export)
        plan = try archive.run(["retention", "plan", "--policy", policy.path, "--now", now, "--json"]).decode(RetentionPlan.self)
    }
}
