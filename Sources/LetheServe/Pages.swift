import Foundation
import LetheCore

/// The pages of `lethe serve`, as HTML strings. Every value from the archive goes through
/// `HTML.esc` or `SlackHTML` (which escapes); nothing here writes the archive.
struct Pages {
    let opened: ArchiveSession.Opened
    let options: ServeOptions
    var archive: Archive { opened.archive }
    var scheme: BucketScheme { opened.archive.scheme }

    // MARK: - Layout

    static func layout(title: String, body: String, query: String = "", locked: Bool = false) -> String {
        var h = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        h += "<title>\(HTML.esc(title)) · lethe</title>"
        h += "<link rel=\"stylesheet\" href=\"/assets/lethe.css\"><script src=\"/assets/lethe.js\" defer></script></head><body>"
        h += "<header class=\"top\"><a class=\"brand\" href=\"/\">lethe</a>"
        if !locked {
            h += "<form class=\"search\" action=\"/search\" method=\"get\" role=\"search\">"
            h += "<input id=\"q\" name=\"q\" type=\"search\" value=\"\(HTML.esc(query))\" placeholder=\"Search — from:@alice in:#general during:2024-03 (press /)\" aria-label=\"Search\"></form>"
            h += "<nav><a href=\"/\">Conversations</a><a href=\"/retention\">Retention</a><a href=\"/audit\">Audit</a>"
            h += "<form method=\"post\" action=\"/lock\"><button type=\"submit\" title=\"Forget the keys now\">Lock</button></form></nav>"
        }
        h += "</header><main>" + body + "</main></body></html>\n"
        return h
    }

    static func unlockForm(next: String, asksPassphrase: Bool, error: String?) -> String {
        var b = "<section class=\"locked\"><h1>Locked</h1>"
        b += "<p>The archive is locked: its keys are not in memory (idle lock, the Lock button, or a failed unlock). "
        b += asksPassphrase ? "Type the passphrase to open it again.</p>" : "Unlocking reads the key or passphrase file <code>lethe serve</code> was started with again.</p>"
        if let error { b += "<p class=\"error\" role=\"alert\">\(HTML.esc(error))</p>" }
        b += "<form id=\"unlock\" method=\"post\" action=\"/unlock\"><input type=\"hidden\" name=\"next\" value=\"\(HTML.esc(next))\">"
        if asksPassphrase {
            b += "<label>Passphrase <input id=\"passphrase\" type=\"password\" name=\"passphrase\" autocomplete=\"current-password\" autofocus required></label> "
        }
        b += "<button type=\"submit\">Unlock</button></form></section>"
        return layout(title: "Locked", body: b, locked: true)
    }

    // MARK: - Names

    func userName(_ id: String?, fallback: String? = nil) -> String {
        guard let id else { return fallback ?? "unknown" }
        if let u = opened.users.user(id: id) {
            return [u.displayName, u.name].compactMap { $0 }.first { !$0.isEmpty } ?? fallback ?? id
        }
        return fallback ?? id
    }

    /// Channels by `#name`; DMs and group DMs by their members' display names.
    func label(_ c: Conversation) -> String {
        switch c.kind {
        case .publicChannel, .privateChannel: return "#" + (c.name ?? c.id)
        case .fileConversation, .workspace: return c.label(users: opened.users)
        case .dm, .groupDM:
            let names = c.memberIDs.map { userName($0) }
            return names.isEmpty ? c.label(users: opened.users) : names.joined(separator: ", ")
        }
    }

    static func kindName(_ k: ConversationKind) -> String {
        switch k {
        case .publicChannel: return "channel"
        case .privateChannel: return "private channel"
        case .dm: return "DM"
        case .groupDM: return "group DM"
        case .fileConversation: return "file conversation"
        case .workspace: return "workspace"
        }
    }

    /// A bucket's first day, `2024-03-05`: what `?day=` takes.
    func dayParam(_ bucket: Int64) -> String { CivilDate(unixSeconds: scheme.range(of: bucket).start).description }

    func bucketTitle(_ bucket: Int64) -> String {
        guard scheme == .day else { return scheme.label(of: bucket) + " (\(scheme.rawValue))" }
        // A bucket is a UTC day while times show in the viewer's zone: say so, or a message at
        // 02:00 in Tokyo would seem to sit under the wrong date.
        return Self.dayTitle.string(from: Date(timeIntervalSince1970: TimeInterval(scheme.range(of: bucket).start))) + " (UTC)"
    }

    static let dayTitle: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEEE d MMMM yyyy"
        return f
    }()

    // MARK: - Conversation list

    func conversationList() -> String {
        var b = "<h1>Conversations</h1>"
        let total = opened.index.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.messages } }
        b += "<p class=\"meta\">\(opened.conversations.count) conversations, \(total) messages. Times are shown in your time zone.</p>"
        let sections: [(ConversationKind, String)] = [(.publicChannel, "Channels"), (.privateChannel, "Private channels"), (.dm, "Direct messages"), (.groupDM, "Group DMs"),
                                                       (.fileConversation, "File conversations"), (.workspace, "Workspace (canvases, lists, logs)")]
        for (kind, title) in sections {
            let list = opened.conversations.filter { $0.kind == kind }.map { ($0, label($0)) }.sorted { $0.1.lowercased() < $1.1.lowercased() }
            guard !list.isEmpty else { continue }
            b += "<section><h2>\(title)</h2><table class=\"conversations\"><thead><tr><th>Name</th><th>Kind</th><th class=\"num\">Messages</th><th>From</th><th>To</th></tr></thead><tbody>"
            for (c, name) in list {
                let buckets = c.cno.flatMap { opened.index[$0] } ?? []
                let n = buckets.reduce(0) { $0 + $1.messages }
                let from = buckets.first.map { scheme.label(of: $0.bucket) } ?? "—"
                let to = buckets.last.map { scheme.label(of: $0.bucket) } ?? "—"
                b += "<tr class=\"conv\" data-id=\"\(HTML.esc(c.id))\" data-kind=\"\(c.kind.rawValue)\" data-messages=\"\(n)\">"
                b += "<td><a href=\"/c/\(HTML.query(c.id))\">\(HTML.esc(name))</a>\(c.isArchived ? " <span class=\"tag\">archived</span>" : "")</td>"
                b += "<td>\(Self.kindName(c.kind))</td><td class=\"num\">\(n)</td><td>\(from)</td><td>\(to)</td></tr>"
            }
            b += "</tbody></table></section>"
        }
        // Emptied conversations have no record left to name them: say how many, when, under which rule.
        let emptied = (try? archive.emptiedConversations()) ?? []
        if !emptied.isEmpty {
            var byRule: [String: Int] = [:]
            // Their rule is recorded as "(whole conversation)": the buckets' own tombstones went with the record.
            for e in emptied { byRule["shredded on \(HTML.utcDay(e.shreddedAt))" + (e.rule.hasPrefix("(") ? "" : " under \(e.rule)"), default: 0] += 1 }
            let lines = byRule.sorted { $0.key < $1.key }.map { "\($0.value) conversation\($0.value == 1 ? "" : "s") \($0.key)" }
            b += "<p class=\"shredded\" id=\"emptied\">Emptied by retention, with their names: \(HTML.esc(lines.joined(separator: "; "))).</p>"
        }
        if opened.conversations.isEmpty { b += "<p>The archive holds no conversations yet: <code>lethe import EXPORT</code> adds them.</p>" }
        return Self.layout(title: "Conversations", body: b)
    }

    // MARK: - A conversation, one bucket at a time

    func conversation(id: String, day: String?, jump: String?, thread: String?) -> String? {
        guard let c = opened.byID[id] else { return nil }
        let buckets = c.cno.flatMap { opened.index[$0] } ?? []
        let name = label(c)
        let shreds = (try? archive.shredRecords(of: c)) ?? []
        var b = "<h1>\(HTML.esc(name))</h1>"
        let n = buckets.reduce(0) { $0 + $1.messages }
        b += "<p class=\"meta\">\(Self.kindName(c.kind)) · \(n) messages"
        if let f = buckets.first, let l = buckets.last { b += " · \(scheme.label(of: f.bucket)) to \(scheme.label(of: l.bucket))" }
        b += "</p>"
        b += shreddedSummary(shreds)

        // Which bucket: ?day= exactly, ?date= the nearest with messages, else the newest.
        var note: String?
        var current: Int64?
        if let day, let d = CivilDate(iso: day) {
            current = scheme.bucket(containing: d.unixSeconds)
        } else if let jump, !jump.isEmpty {
            if let d = CivilDate(iso: jump) {
                let want = scheme.bucket(containing: d.unixSeconds)
                if let hit = buckets.first(where: { $0.bucket >= want }) {
                    current = hit.bucket
                    if hit.bucket != want { note = "No messages on \(d); showing the next \(scheme == .day ? "day" : scheme.rawValue) with messages." }
                } else if let last = buckets.last {
                    current = last.bucket
                    note = "No messages on or after \(d); showing the last \(scheme == .day ? "day" : scheme.rawValue) with messages."
                }
                if let s = shreds.first(where: { $0.bucket == want }) {
                    note = "The messages of \(scheme.label(of: want)) were \(shredText(s)). " + (note ?? "")
                }
            } else {
                note = "“\(jump)” is not a date (use YYYY-MM-DD)."
            }
        }
        if current == nil { current = buckets.last?.bucket }
        guard let bucket = current else {
            b += "<p>No messages are left in this conversation.</p>"
            return Self.layout(title: name, body: b)
        }
        let position = buckets.firstIndex { $0.bucket >= bucket }
        let prev = buckets.last { $0.bucket < bucket }
        let next = buckets.first { $0.bucket > bucket }
        let path = "/c/" + HTML.query(c.id)

        b += "<nav class=\"days\" aria-label=\"Days\">"
        b += prev.map { "<a rel=\"prev\" id=\"prev\" href=\"\(path)?day=\(dayParam($0.bucket))\" title=\"Previous (key [)\">← \(scheme.label(of: $0.bucket))</a>" } ?? "<span class=\"muted\">← first</span>"
        b += "<form class=\"jump\" method=\"get\" action=\"\(path)\"><label>Jump to <input type=\"date\" name=\"date\" value=\"\(dayParam(bucket))\"></label> <button type=\"submit\">Go</button></form>"
        b += next.map { "<a rel=\"next\" id=\"next\" href=\"\(path)?day=\(dayParam($0.bucket))\" title=\"Next (key ])\">\(scheme.label(of: $0.bucket)) →</a>" } ?? "<span class=\"muted\">last →</span>"
        b += "</nav>"
        if let note { b += "<p class=\"note\" role=\"status\">\(HTML.esc(note))</p>" }

        var main = "<section class=\"day\" data-bucket=\"\(scheme.label(of: bucket))\"><h2>\(HTML.esc(bucketTitle(bucket)))</h2>"
        if let s = shreds.first(where: { $0.bucket == bucket }) {
            main += "<p class=\"shredded\">The messages of \(scheme.label(of: bucket)) were \(HTML.esc(shredText(s))).</p>"
        }
        if position == nil || buckets[position!].bucket != bucket {
            if !shreds.contains(where: { $0.bucket == bucket }) { main += "<p class=\"muted\">No messages on \(scheme.label(of: bucket)).</p>" }
        } else {
            do {
                let messages = try archive.browseSegment(of: c, bucket: bucket)?.messages ?? []
                main += "<ol class=\"messages\">"
                for m in messages where m.item == nil { main += message(MessageView(m), in: c, day: dayParam(bucket)) }  // items are not shown (docs/SERVE.md)
                main += "</ol>"
            } catch {
                main += "<p class=\"error\">This \(scheme.rawValue)'s messages do not open (damaged): \(HTML.esc("\(error)"))</p>"
            }
        }
        main += "</section>"
        if let thread, let aside = threadPanel(c, parent: thread, day: dayParam(bucket)) {
            b += "<div class=\"with-thread\">" + main + aside + "</div>"
        } else {
            b += main
        }
        return Self.layout(title: name, body: b)
    }

    func shredText(_ s: ShredRecord) -> String { "shredded on \(HTML.utcDay(s.shreddedAt)) under \(s.rule)" }

    /// Shredded ranges, contiguous buckets with the same date and rule folded into one line.
    func shreddedSummary(_ shreds: [ShredRecord]) -> String {
        guard !shreds.isEmpty else { return "" }
        var lines: [String] = []
        if let whole = shreds.first(where: { $0.bucket == nil }) { lines.append("The whole conversation was \(shredText(whole)).") }
        var run: (first: Int64, last: Int64, s: ShredRecord)?
        func close() {
            guard let r = run else { return }
            let span = r.first == r.last ? scheme.label(of: r.first) : "\(scheme.label(of: r.first)) to \(scheme.label(of: r.last))"
            lines.append("\(span): \(shredText(r.s))")
        }
        for s in shreds {
            guard let bk = s.bucket else { continue }
            if let r = run, bk == r.last + 1, r.s.rule == s.rule, HTML.utcDay(r.s.shreddedAt) == HTML.utcDay(s.shreddedAt) {
                run!.last = bk
            } else {
                close()
                run = (bk, bk, s)
            }
        }
        close()
        let shown = lines.prefix(50).map { "<li>\(HTML.esc($0))</li>" }.joined()
        let more = lines.count > 50 ? "<li>and \(lines.count - 50) more ranges</li>" : ""
        // The summary: one line per (rule, day of the shred), the list of ranges inside.
        var groups: [String: (n: Int, first: Int64, last: Int64)] = [:]
        for s in shreds { if let bk = s.bucket {
            let key = shredText(s)
            let g = groups[key] ?? (0, bk, bk)
            groups[key] = (g.n + 1, min(g.first, bk), max(g.last, bk))
        } }
        let unit = scheme == .day ? "day" : scheme.rawValue
        let summary = groups.sorted { $0.value.first < $1.value.first }.map { key, g in
            "\(g.n) \(unit)\(g.n == 1 ? "" : "s") \(g.n == 1 ? "(\(scheme.label(of: g.first)))" : "from \(scheme.label(of: g.first)) to \(scheme.label(of: g.last))"): \(key)"
        }.joined(separator: "; ")
        return "<details class=\"shredded\"><summary>Shredded, gone for good: \(HTML.esc(summary.isEmpty ? lines.first ?? "" : summary))</summary><ul>\(shown)\(more)</ul></details>"
    }

    func message(_ m: MessageView, in c: Conversation, day: String, showThreadLinks: Bool = true) -> String {
        let author = userName(m.userID, fallback: m.fallbackName)
        let render = SlackHTML(users: opened.users) { id in opened.byID[id].map { label($0) } }
        let anchor = HTML.anchor(m.ts.string)
        let path = "/c/" + HTML.query(c.id)
        var classes = ["msg"]
        if m.isReply { classes.append("reply") }
        if m.subtype != nil && m.subtype != "thread_broadcast" && m.subtype != "bot_message" { classes.append("system") }
        var h = "<li class=\"\(classes.joined(separator: " "))\" id=\"\(anchor)\" data-ts=\"\(HTML.esc(m.ts.string))\" tabindex=\"-1\">"
        h += "<span class=\"avatar \(HTML.avatarClass(m.userID ?? author))\" aria-hidden=\"true\">\(HTML.esc(HTML.initials(author)))</span>"
        h += "<div class=\"body\"><div class=\"head\"><span class=\"author\" title=\"\(HTML.esc(m.userID ?? ""))\">\(HTML.esc(author))</span> "
        // In a thread, replies can be days apart: the date too.
        let clock = showThreadLinks ? "<time datetime=\"\(HTML.isoTime(m.ts.seconds))\">\(HTML.utcClock(m.ts.seconds))</time>"
            : "<time datetime=\"\(HTML.isoTime(m.ts.seconds))\" data-full>\(HTML.utcDay(m.ts.seconds)) \(HTML.utcClock(m.ts.seconds))</time>"
        h += "<a class=\"time\" href=\"\(path)?day=\(day)#\(anchor)\">\(clock)</a>"
        if let e = m.edited, let ets = SlackTimestamp(e) {
            h += " <span class=\"edited\" title=\"edited \(HTML.isoTime(ets.seconds))\">(edited)</span>"
        }
        if showThreadLinks, m.isReply, let t = m.threadTS, let tts = SlackTimestamp(t) {
            let pday = CivilDate(unixSeconds: tts.seconds).description
            h += " <a class=\"in-thread\" href=\"\(path)?day=\(pday)&amp;thread=\(HTML.query(t))#\(HTML.anchor(t))\">reply in thread</a>"
        }
        h += "</div><div class=\"text\">\(render.render(m.text))</div>"
        if !m.files.isEmpty {
            h += "<ul class=\"files\">" + m.files.map { f in
                "<li>📎 \(HTML.esc(f.name))\(f.mimetype.map { " <span class=\"muted\">\(HTML.esc($0))</span>" } ?? "")\(f.size.map { " <span class=\"muted\">\(Self.size($0))</span>" } ?? "")</li>"
            }.joined() + "</ul>"
        }
        if !m.reactions.isEmpty {
            h += "<ul class=\"reactions\">" + m.reactions.map { r in
                let who = r.users.map { userName($0) }.joined(separator: ", ")
                let face = SlackHTML.emojiNames[r.name].map { HTML.esc($0) } ?? ":" + HTML.esc(r.name) + ":"
                return "<li title=\"\(HTML.esc(":\(r.name): " + who))\">\(face) <span class=\"count\">\(r.count)</span></li>"
            }.joined() + "</ul>"
        }
        if showThreadLinks, m.isThreadParent {
            let n = max(m.replyCount, m.replyTS.count)
            h += "<a class=\"replies\" href=\"\(path)?day=\(day)&amp;thread=\(HTML.query(m.ts.string))#\(anchor)\">\(n) repl\(n == 1 ? "y" : "ies")</a>"
        }
        h += "</div></li>"
        return h
    }

    static func size(_ n: Int) -> String {
        n >= 1 << 20 ? String(format: "%.1f MB", Double(n) / 1048576) : n >= 1024 ? "\(n / 1024) KB" : "\(n) B"
    }

    /// A thread beside its parent's day: the parent, then every reply in order. Replies are
    /// looked for from the parent's bucket to its latest reply's (or 31 buckets on).
    func threadPanel(_ c: Conversation, parent: String, day: String) -> String? {
        guard let pts = SlackTimestamp(parent) else { return nil }
        let buckets = c.cno.flatMap { opened.index[$0] } ?? []
        let first = scheme.bucket(containing: pts.seconds)
        var last = first + 31
        var found: [MessageView] = []
        var parentView: MessageView?
        var boundKnown = false
        for bk in buckets where bk.bucket >= first {
            if bk.bucket > last { break }
            guard let seg = try? archive.browseSegment(of: c, bucket: bk.bucket) else { continue }
            for m in seg.messages where m.item == nil {
                let v = MessageView(m)
                if v.ts == pts {
                    parentView = v
                    let newest = ([v.latestReply].compactMap { $0 } + v.replyTS).compactMap(SlackTimestamp.init).max()
                    if let newest, !boundKnown { last = scheme.bucket(containing: newest.seconds); boundKnown = true }
                } else if v.threadTS == parent {
                    found.append(v)
                }
            }
        }
        found.sort { $0.ts < $1.ts }
        let path = "/c/" + HTML.query(c.id)
        var h = "<aside class=\"thread\" id=\"thread\" aria-label=\"Thread\"><div class=\"thread-head\"><h2>Thread</h2>"
        h += "<a id=\"close-thread\" href=\"\(path)?day=\(day)#\(HTML.anchor(parent))\" title=\"Close (Esc)\">Close ✕</a></div>"
        if let p = parentView {
            h += "<ol class=\"messages parent\">" + message(p, in: c, day: CivilDate(unixSeconds: p.ts.seconds).description, showThreadLinks: false) + "</ol>"
        } else {
            h += "<p class=\"muted\">The parent message is not in the archive (shredded, or not exported).</p>"
        }
        h += "<p class=\"meta\">\(found.count) repl\(found.count == 1 ? "y" : "ies")</p><ol class=\"messages replies-list\">"
        for r in found { h += message(r, in: c, day: CivilDate(unixSeconds: r.ts.seconds).description, showThreadLinks: false) }
        h += "</ol></aside>"
        return h
    }

    // MARK: - Search

    func search(_ query: String, limit: Int) -> String {
        var b = "<h1>Search</h1>"
        b += "<p class=\"meta\">The syntax of <code>lethe search</code>: words (all must match), \"a phrase\", -word, prefix*, from:@alice, in:#channel, in:workspace/#channel (Enterprise Grid), in:@bob, before:/after:/on:/during: dates, is:thread, has:file, has:reaction. Newest first.</p>"
        guard !query.trimmingCharacters(in: .whitespaces).isEmpty else { return Self.layout(title: "Search", body: b) }
        let limit = min(max(limit, 1), 1000)
        do {
            let q = try QueryParser.parse(query)
            let engine = try SearchEngine(archive: archive)
            let (hits, stats) = try engine.search(q, options: SearchOptions(limit: limit, sort: .newest, context: 0))
            b += "<p class=\"count\" id=\"count\">\(hits.count) result\(hits.count == 1 ? "" : "s")\(hits.count == limit ? " (the newest \(limit))" : "") · \(String(format: "%.0f", stats.milliseconds)) ms</p>"
            b += "<ol class=\"hits\">"
            for h in hits {
                let m = h.message
                let day = CivilDate(unixSeconds: m.ts.seconds).description
                var href = "/c/\(HTML.query(h.channelID))?day=\(day)"
                if let t = m.threadTS, t != m.ts.string { href += "&amp;thread=\(HTML.query(t))" }
                href += "#" + HTML.anchor(m.ts.string)
                let channelName = opened.byID[h.channelID].map { label($0) } ?? h.channel
                b += "<li class=\"hit\" data-channel=\"\(HTML.esc(h.channelID))\" data-ts=\"\(HTML.esc(m.ts.string))\">"
                b += "<div class=\"head\"><a class=\"context\" href=\"\(href)\">\(HTML.esc(channelName))</a> · "
                b += "<span class=\"author\">\(HTML.esc(userName(m.userID, fallback: m.user)))</span> · "
                b += "<time datetime=\"\(HTML.isoTime(m.ts.seconds))\" data-full>\(day) \(HTML.utcClock(m.ts.seconds))</time>"
                if let t = m.threadTS, t != m.ts.string { b += " · <span class=\"muted\">in a thread</span>" }
                b += "</div><div class=\"text\">\(Self.highlighted(m.text, h.highlights))</div></li>"
            }
            b += "</ol>"
            if hits.isEmpty { b += "<p>No results.</p>" }
        } catch let e as LetheError {
            b += "<p class=\"error\" role=\"alert\">\(HTML.esc(e.message))\(e.hint.map { " — " + HTML.esc($0) } ?? "")</p>"
        } catch {
            b += "<p class=\"error\" role=\"alert\">\(HTML.esc("\(error)"))</p>"
        }
        return Self.layout(title: "Search: \(query)", body: b, query: query)
    }

    static func highlighted(_ text: String, _ ranges: [Range<String.Index>]) -> String {
        var out = ""
        var at = text.startIndex
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) where r.lowerBound >= at && r.upperBound <= text.endIndex {
            out += HTML.esc(text[at..<r.lowerBound]) + "<mark>" + HTML.esc(text[r]) + "</mark>"
            at = r.upperBound
        }
        out += HTML.esc(text[at...])
        return out.replacingOccurrences(of: "\n", with: "<br>")
    }

    // MARK: - Retention plan and audit chain

    func retention() -> String {
        var b = "<h1>Retention plan</h1>"
        guard let policy = options.policy else {
            b += "<p>No policy given. Start <code>lethe serve --policy FILE</code> to see what <code>lethe retention apply</code> would shred now.</p>"
            return Self.layout(title: "Retention", body: b)
        }
        let now = Int64(Date().timeIntervalSince1970)
        b += "<p class=\"meta\">Policy <code>\(HTML.esc(options.policyPath ?? ""))</code>, evaluated as of \(HTML.esc(HTML.isoTime(now))). What <code>lethe retention apply</code> would do now; nothing is changed here.</p>"
        do {
            let plan = try RetentionJob.plan(archive: archive, policy: policy, now: now)
            b += "<pre class=\"plan\" id=\"plan\">\(HTML.esc(plan.render()))</pre>"
        } catch let e as LetheError {
            b += "<p class=\"error\">\(HTML.esc(e.message))</p>"
        } catch {
            b += "<p class=\"error\">\(HTML.esc("\(error)"))</p>"
        }
        return Self.layout(title: "Retention", body: b)
    }

    func audit() -> String {
        var b = "<h1>Audit log</h1>"
        do {
            let v = try archive.verifyAudit()
            b += v.ok ? "<p class=\"ok\" id=\"audit-status\">The hash chain of \(v.entries) entries verifies.</p>"
                : "<p class=\"error\" id=\"audit-status\">The chain is broken at entry \(v.firstBadSeq ?? 0): \(HTML.esc(v.reason ?? "")).</p>"
            let entries = try archive.auditEntries()
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            if entries.isEmpty { b += "<p>No shreds or productions recorded.</p>" }
            b += "<ol class=\"audit\">"
            for e in entries.reversed() {
                let json = AuditEntryView(e).flatMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) } ?? e.json
                b += "<li class=\"entry\" data-seq=\"\(e.seq)\"><h2>#\(e.seq)</h2><pre>\(HTML.esc(json))</pre></li>"
            }
            b += "</ol>"
        } catch let e as LetheError {
            b += "<p class=\"error\">\(HTML.esc(e.message))</p>"
        } catch {
            b += "<p class=\"error\">\(HTML.esc("\(error)"))</p>"
        }
        return Self.layout(title: "Audit", body: b)
    }
}
