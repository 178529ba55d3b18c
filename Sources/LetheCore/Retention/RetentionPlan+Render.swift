extension RetentionPlan {
    /// The plan as text for a terminal: totals, a table of rules, then one table of
    /// channels per rule with the date ranges to shred, then what legal holds keep.
    public func render() -> String {
        var out: [String] = []
        let digest = policyDigest.isEmpty ? "digest not set" : policyDigest
        out.append("Retention plan at \(RetentionTime.iso8601(now)) (policy \(digest))")
        out.append("Would shred \(count(buckets, "bucket")) holding \(count(messages, "message")); "
            + "legal holds keep \(count(heldBuckets, "expired bucket")) holding \(count(heldMessages, "message")).")
        out.append("")

        var ruleTable = PlanTextTable(header: ["Rule", "Keep", "Cutoff", "Channels", "Buckets", "Messages", "Held"],
                                      rightAligned: [3, 4, 5, 6])
        for r in rules {
            ruleTable.add([r.name, r.keep, r.cutoff.map(RetentionTime.iso8601) ?? "never",
                           "\(r.channels)", "\(r.buckets)", "\(r.messages)", "\(r.heldBuckets)"])
        }
        out.append(contentsOf: ruleTable.lines())

        for r in rules {
            let shredded = channels.filter { $0.rule == r.name && $0.buckets > 0 }
            guard !shredded.isEmpty else { continue }
            out.append("")
            out.append("Rule \"\(r.name)\" (keep \(r.keep)): shred")
            var table = PlanTextTable(header: ["Channel", "Id", "Kind", "Buckets", "Messages", "From", "To"],
                                      rightAligned: [3, 4])
            for c in shredded {
                table.add([c.label, c.channelID, c.kind.rawValue, "\(c.buckets)", "\(c.messages)",
                           c.firstDate?.description ?? "", c.lastDate?.description ?? ""])
            }
            out.append(contentsOf: table.lines(indent: "  "))
        }

        if !held.isEmpty {
            out.append("")
            out.append("Kept by legal holds (expired, not shredded)")
            var table = PlanTextTable(header: ["Channel", "Id", "Rule", "Buckets", "Messages", "From", "To", "Holds"],
                                      rightAligned: [3, 4])
            var labels: [String: String] = [:]
            for c in channels { labels[c.channelID] = c.label }
            var i = 0
            while i < held.count {
                var j = i
                while j < held.count, held[j].channelID == held[i].channelID { j += 1 }
                let group = held[i..<j]
                var holdNames: [String] = []
                for b in group { for h in b.holds where !holdNames.contains(h) { holdNames.append(h) } }
                let unverified = group.contains { $0.unverified } ? " (authors not checked)" : ""
                let first = group.map(\.start).min() ?? 0
                let last = (group.map(\.end).max() ?? 1) - 1
                table.add([labels[held[i].channelID] ?? held[i].channelID, held[i].channelID, held[i].rule,
                           "\(group.count)", "\(group.reduce(0) { $0 + $1.messageCount })",
                           CivilDate(unixSeconds: first).description, CivilDate(unixSeconds: last).description,
                           holdNames.joined(separator: ", ") + unverified])
                i = j
            }
            out.append(contentsOf: table.lines(indent: "  "))
        }
        return out.joined(separator: "\n") + "\n"
    }

    private func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}

/// A plain-text table with padded columns.
private struct PlanTextTable {
    var header: [String]
    var rightAligned: Set<Int>
    var rows: [[String]] = []

    init(header: [String], rightAligned: Set<Int>) {
        self.header = header
        self.rightAligned = rightAligned
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    func lines(indent: String = "") -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { col in all.map { $0[col].count }.max() ?? 0 }
        return all.map { row in
            let cells = row.indices.map { col -> String in
                let pad = String(repeating: " ", count: widths[col] - row[col].count)
                return rightAligned.contains(col) ? pad + row[col] : row[col] + pad
            }
            var line = indent + cells.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }
    }
}
