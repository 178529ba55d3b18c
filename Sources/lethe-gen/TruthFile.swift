import Foundation

extension Generator {
    /// The ground truth of what was generated, as JSON (schema "lethe-gen-truth/1").
    func truthJSON() -> [UInt8] {
        var w = PrettyJSON(capacity: 1 << 20)
        w.escapeSlash = false
        w.openObject()
        w.field("schema", "lethe-gen-truth/1")
        w.key("args"); w.openObject()
        w.field("messages", cfg.messages)
        w.field("channels", cfg.channels)
        w.field("users", cfg.users)
        w.field("days", cfg.days)
        w.key("seed"); w.raw(Array(String(cfg.seed).utf8))
        w.field("end", Civil.iso(days: cfg.endDay))
        w.closeObject()
        w.field("team", ws.team)
        w.field("first_day", Civil.iso(days: startDay))
        w.field("last_day", Civil.iso(days: cfg.endDay))
        w.field("escaped_before", Civil.iso(days: startDay + asciiBefore))
        w.field("messages", truth.total)
        w.field("day_file_count", truth.dayFiles.count)
        w.field("users_listed", ws.users.filter { !$0.external }.count + 1)
        w.key("users_missing"); w.openArray()
        for u in ws.users where u.external { w.item(); w.string(u.id) }
        w.item(); w.string("USLACKBOT")
        w.closeArray()
        w.key("threads"); w.openObject()
        w.field("parents", truth.parents)
        w.field("replies", truth.replies)
        w.field("broadcasts", truth.broadcasts)
        w.field("tombstones", truth.tombstones)
        w.closeObject()
        w.field("edited", truth.edited)
        w.field("with_files", truth.withFiles)
        w.field("with_reactions", truth.withReactions)
        w.key("subtypes"); w.openObject()
        for key in truth.subtypes.keys.sorted() {
            w.item()
            w.string(key)
            w.raw(": ")
            w.int(truth.subtypes[key] ?? 0)
        }
        w.closeObject()
        w.key("conversations"); w.openArray()
        for (i, c) in ws.conversations.enumerated() {
            w.item(); w.openObject()
            w.field("id", c.id)
            w.field("name", c.name)
            w.field("kind", c.kind.rawValue)
            w.field("folder", c.folder)
            w.field("archived", c.archived)
            w.field("members", c.memberCount)
            w.field("messages", truth.perChannel[i])
            w.closeObject()
        }
        w.closeArray()
        w.key("utc_days"); w.openObject()
        for (i, n) in truth.utcDays.enumerated() where n > 0 {
            w.item(); w.string(Civil.iso(days: startDay + i)); w.raw(": "); w.int(n)
        }
        w.closeObject()
        w.key("pacific_days"); w.openObject()
        for (i, n) in truth.pacificDays.enumerated() where n > 0 {
            w.item(); w.string(Civil.iso(days: startDay + i)); w.raw(": "); w.int(n)
        }
        w.closeObject()
        w.key("buckets"); w.openArray()
        for b in truth.buckets {
            w.item(); w.openObject()
            w.field("channel", ws.conversations[Int(b.channel)].id)
            w.field("utc_day", Civil.iso(days: Int(b.utcDay)))
            w.field("messages", Int(b.count))
            w.closeObject()
        }
        w.closeArray()
        w.key("day_files"); w.openArray()
        for f in truth.dayFiles {
            let c = ws.conversations[Int(f.channel)]
            w.item(); w.openObject()
            w.field("path", c.folder + "/" + Civil.iso(days: Int(f.day)) + ".json")
            w.field("channel", c.id)
            w.field("messages", Int(f.count))
            w.closeObject()
        }
        w.closeArray()
        w.key("markers"); w.openObject()
        for (m, spec) in Generator.markerWords.enumerated() {
            w.key(spec.word)
            w.openArray()
            for hit in truth.markers[m] {
                w.item(); w.openObject()
                w.field("channel", ws.conversations[Int(hit.channel)].id)
                w.fieldTs("ts", hit.micros)
                w.closeObject()
            }
            w.closeArray()
        }
        w.closeObject()
        w.closeObject()
        w.buf.append(0x0A)
        return w.buf
    }
}
