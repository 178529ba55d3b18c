import Foundation

/// Writes one RSMF 2.0.0 file (Relativity Short Message Format) for one conversation's events.
///
/// The file is an RFC 5322 message (CRLF lines): `X-RSMF-Version: 2.0.0`, `X-RSMF-BeginDate`,
/// `X-RSMF-EndDate`, `X-RSMF-EventCount`, a readable `text/plain` part (quoted-printable
/// UTF-8) and exactly one attachment, `rsmf.zip` (base64), holding `rsmf_manifest.json` and a
/// slip sheet for each Slack file an event names (its content is not in the archive). The
/// mapping from Slack's fields is docs/EXPORT.md's table.
struct RSMFWriter {
    /// One message to write; `isContext` marks a thread parent brought in for a selected reply.
    struct Item {
        var message: Segment.Message
        var isContext: Bool
    }

    /// What a written file says about itself (the load file's row).
    struct Written {
        var bytes: [UInt8]
        var begin: String
        var end: String
        var events: Int
    }

    let conversation: Conversation
    let label: String
    let users: UserDirectory
    /// The Slack id of the selection's one person, if any (`Selection.custodian`).
    let custodian: String?
    let generator: String
    let producedAt: Date

    // MARK: - The manifest (field names as the 2.0.0 schema spells them)

    struct Custom: Encodable {
        var name: String
        var value: String
    }

    struct Participant: Encodable {
        var id: String
        var display: String?
        var email: String?
        var accountID: String
        var custom: [Custom]?
        enum CodingKeys: String, CodingKey { case id, display, email, accountID = "account_id", custom }
    }

    struct ConversationEntry: Encodable {
        var id: String
        var display: String
        var platform = "slack"
        var type: String
        var participants: [String]
        var custodian: String?
        var custom: [Custom]
    }

    struct Reaction: Encodable {
        var value: String
        var count: Int
        var participants: [String]?
    }

    struct Attachment: Encodable {
        var id: String
        var display: String
    }

    struct Edit: Encodable {
        var participant: String
        var timestamp: String?
    }

    struct Event: Encodable {
        var id: String
        var type: String
        var parent: String?
        var body: String
        var participant: String?
        var conversation: String
        var timestamp: String
        var deleted: Bool?
        var reactions: [Reaction]?
        var attachments: [Attachment]?
        var edits: [Edit]?
        var custom: [Custom]?
    }

    struct Manifest: Encodable {
        var version = "2.0.0"
        var participants: [Participant]
        var conversations: [ConversationEntry]
        var events: [Event]
    }

    // MARK: - Writing

    /// The RSMF file for `items` (in ts order, at least one).
    func write(_ items: [Item]) throws -> Written {
        var participantIDs: [String] = []
        var seen = Set<String>()
        var hints: [String: String] = [:]  // display names for ids missing from users.json
        func participant(_ id: String?) -> String? {
            guard let id, !id.isEmpty else { return nil }
            if seen.insert(id).inserted { participantIDs.append(id) }
            return id
        }
        let inFile = Set(items.map(\.message.ts.string))
        var events: [Event] = []
        var slips: [(name: String, text: String)] = []
        var slipNames = Set<String>()
        var text: [String] = []

        for item in items {
            let m = item.message
            let object = (try? JSONSerialization.jsonObject(with: Data(m.json))) as? [String: Any] ?? [:]
            let fields = MessageFields(m)
            let author = participant(fields.user)
            if let author, users.user(id: author) == nil, hints[author] == nil {
                let profile = object["user_profile"] as? [String: Any]
                let bot = object["bot_profile"] as? [String: Any]
                hints[author] = [profile?["real_name"], profile?["display_name"], object["username"], bot?["name"]]
                    .compactMap { $0 as? String }.first { !$0.isEmpty }
            }
            let subtype = object["subtype"] as? String
            let type: String
            switch subtype {
            case "channel_join", "group_join": type = "join"
            case "channel_leave", "group_leave": type = "leave"
            default: type = "message"
            }
            let body = SlackMarkup.render(object["text"] as? String ?? "", users: users, channels: { _ in nil })
            var event = Event(id: m.ts.string, type: type, body: body, participant: author, conversation: conversation.id,
                              timestamp: RSMFWriter.timestamp(m.ts))
            var custom = [Custom(name: "Slack ts", value: m.ts.string)]
            if let subtype, !subtype.isEmpty { custom.append(Custom(name: "Slack subtype", value: subtype)) }
            if let thread = fields.threadTS, thread != m.ts.string {
                if inFile.contains(thread) { event.parent = thread }
                custom.append(Custom(name: "Slack thread_ts", value: thread))
            }
            if item.isContext { custom.append(Custom(name: "Lethe selection", value: "context: the parent of a selected reply")) }
            if subtype == "tombstone" { event.deleted = true }
            if let edited = object["edited"] as? [String: Any] {
                let by = participant(edited["user"] as? String) ?? author
                if let by {
                    let when = (edited["ts"] as? String).flatMap(SlackTimestamp.init).map(RSMFWriter.timestamp)
                    event.edits = [Edit(participant: by, timestamp: when)]
                }
            }
            if let reactions = object["reactions"] as? [[String: Any]], !reactions.isEmpty {
                event.reactions = reactions.compactMap { r in
                    guard let name = r["name"] as? String, !name.isEmpty else { return nil }
                    let who = (r["users"] as? [String] ?? []).compactMap(participant)
                    return Reaction(value: ":\(name):", count: r["count"] as? Int ?? who.count, participants: who.isEmpty ? nil : who)
                }
            }
            var files = object["files"] as? [[String: Any]] ?? []
            if let single = object["file"] as? [String: Any] { files.append(single) }
            var attachments: [Attachment] = []
            for f in files {
                guard let fileID = f["id"] as? String, !fileID.isEmpty else { continue }
                let display = [f["name"], f["title"]].compactMap { $0 as? String }.first { !$0.isEmpty } ?? fileID
                let name = "attachments/" + RSMFWriter.safeName(fileID) + ".txt"
                if slipNames.insert(name).inserted { slips.append((name, RSMFWriter.slipSheet(f, id: fileID))) }
                attachments.append(Attachment(id: name, display: display))
            }
            if !attachments.isEmpty { event.attachments = attachments }
            event.custom = custom
            events.append(event)
            text.append(line(event, attachments: attachments, context: item.isContext))
        }

        let direct = conversation.kind == .dm || conversation.kind == .groupDM
        if direct { for member in conversation.memberIDs { _ = participant(member) } }
        let custodianID = custodian.flatMap { seen.contains($0) ? $0 : nil }
        var conversationCustom = [Custom(name: "Slack channel id", value: conversation.id), Custom(name: "Slack kind", value: conversation.kind.rawValue)]
        if let name = conversation.name, !name.isEmpty { conversationCustom.append(Custom(name: "Slack name", value: name)) }
        if conversation.isArchived { conversationCustom.append(Custom(name: "Slack archived", value: "true")) }
        let entry = ConversationEntry(id: conversation.id, display: label, type: direct ? "direct" : "channel",
                                      participants: participantIDs, custodian: custodianID, custom: conversationCustom)
        let manifest = Manifest(participants: participantIDs.map { describe($0, hint: hints[$0]) }, conversations: [entry], events: events)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var zip = ZipWriter()
        try zip.add("rsmf_manifest.json", Array(try encoder.encode(manifest)))
        for slip in slips { try zip.add(slip.name, Array(slip.text.utf8)) }

        let begin = RetentionTime.iso8601(items.first?.message.ts.seconds ?? 0)
        let end = RetentionTime.iso8601(items.last?.message.ts.seconds ?? 0)
        let boundary = "=_lethe_" + Array(KDF.digest(Array((conversation.id + begin + end).utf8)).prefix(12)).hexString
        let headline = "\(label) (Slack \(conversation.id)), \(begin) to \(end), \(events.count) event\(events.count == 1 ? "" : "s")"
        let plain = "\(headline)\nProduced by \(generator) on \(ISO8601DateFormatter().string(from: producedAt)).\n\n" + text.joined(separator: "\n") + "\n"
        var mime = ""
        mime += "From: Lethe <lethe@lethe.invalid>\r\n"
        mime += "Date: \(RSMFWriter.rfc5322Date(producedAt))\r\n"
        mime += "Subject: \(RSMFWriter.encodedWord(headline))\r\n"
        mime += "MIME-Version: 1.0\r\n"
        mime += "X-RSMF-Version: 2.0.0\r\n"
        mime += "X-RSMF-Generator: \(generator)\r\n"
        mime += "X-RSMF-BeginDate: \(begin)\r\n"
        mime += "X-RSMF-EndDate: \(end)\r\n"
        mime += "X-RSMF-EventCount: \(events.count)\r\n"
        mime += "Content-Type: multipart/mixed; boundary=\"\(boundary)\"\r\n\r\n"
        mime += "--\(boundary)\r\n"
        mime += "Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        mime += RSMFWriter.quotedPrintable(plain) + "\r\n"
        mime += "--\(boundary)\r\n"
        mime += "Content-Type: application/octet-stream; name=\"rsmf.zip\"\r\n"
        mime += "Content-Disposition: attachment; filename=\"rsmf.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        mime += Data(zip.finished()).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        mime += "\r\n--\(boundary)--\r\n"
        return Written(bytes: Array(mime.utf8), begin: begin, end: end, events: events.count)
    }

    /// A participant: the user record's real name (else display name, handle), email and
    /// handle; an id missing from users.json gets what its messages say about it.
    private func describe(_ id: String, hint: String?) -> Participant {
        var p = Participant(id: id, display: hint, accountID: id)
        guard let user = users.user(id: id) else { return p }
        let object = (try? JSONSerialization.jsonObject(with: Data(user.rawJSON))) as? [String: Any] ?? [:]
        let profile = object["profile"] as? [String: Any] ?? [:]
        p.display = [profile["real_name"], object["real_name"], user.displayName, user.name].compactMap { $0 as? String }.first { !$0.isEmpty } ?? hint
        if let email = profile["email"] as? String, email.contains("@") { p.email = email }
        if let handle = user.name, !handle.isEmpty { p.custom = [Custom(name: "Slack handle", value: handle)] }
        return p
    }

    /// One line of the readable part.
    private func line(_ e: Event, attachments: [Attachment], context: Bool) -> String {
        let who = e.participant.map { users.user(id: $0).map { $0.displayName ?? $0.name ?? $0.id } ?? $0 } ?? "(unknown)"
        var marks: [String] = []
        if context { marks.append("context") }
        if e.parent != nil { marks.append("reply to \(e.parent ?? "")") }
        if e.type != "message" { marks.append(e.type) }
        if e.edits != nil { marks.append("edited") }
        if e.deleted == true { marks.append("deleted") }
        var s = "[\(e.timestamp)] \(who)" + (marks.isEmpty ? "" : " (\(marks.joined(separator: ", ")))") + ": " + e.body
        for a in attachments { s += "\n    [file: \(a.display)]" }
        if let r = e.reactions, !r.isEmpty { s += "\n    [reactions: " + r.map { "\($0.value) \($0.count)" }.joined(separator: ", ") + "]" }
        return s
    }

    // MARK: - Encodings

    /// ISO 8601 UTC with the message's microseconds: `2024-03-05T18:14:07.278437Z`.
    static func timestamp(_ ts: SlackTimestamp) -> String {
        let base = RetentionTime.iso8601(ts.seconds)
        return String(base.dropLast()) + String(format: ".%06dZ", ts.micros)
    }

    static func safeName(_ s: String) -> String {
        String(s.unicodeScalars.map { ($0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_")) ? Character($0) : "_" })
    }

    /// What stands in for a Slack file's content, which the archive does not hold.
    static func slipSheet(_ f: [String: Any], id: String) -> String {
        var s = "This Slack file's content is not part of this production: Lethe archives messages, not file content.\n"
        s += "Slack file id: \(id)\n"
        for key in ["name", "title", "mimetype", "filetype", "size"] {
            if let v = f[key], !(v is NSNull) { s += "\(key): \(v)\n" }
        }
        return s
    }

    static func rfc5322Date(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return f.string(from: d)
    }

    /// An RFC 2047 encoded word when the header text is not plain ASCII.
    static func encodedWord(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) && s.utf8.count < 900 { return s }
        return "=?UTF-8?B?" + Data(s.utf8).base64EncodedString() + "?="
    }

    /// RFC 2045 quoted-printable with CRLF line breaks: lines of at most 76 characters.
    static func quotedPrintable(_ s: String) -> String {
        var out: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() {
            var column = 0
            let bytes = Array(line.utf8)
            for (j, b) in bytes.enumerated() {
                let last = j == bytes.count - 1
                let literal = (b >= 33 && b <= 126 && b != UInt8(ascii: "=")) || ((b == 32 || b == 9) && !last)
                let piece: [UInt8] = literal ? [b] : [UInt8(ascii: "="), hex[Int(b >> 4)], hex[Int(b & 15)]]
                if column + piece.count > 75 {
                    out += [UInt8(ascii: "="), 13, 10]
                    column = 0
                }
                out += piece
                column += piece.count
            }
            if i < lines.count - 1 { out += [13, 10] }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
