import Foundation

struct GenUser {
    var id: String
    var idBytes: [UInt8]
    var name: String
    var realName: String
    var firstName: String
    var lastName: String
    var culture: Int
    var deleted: Bool
    /// Slack Connect user of another team: posts, but is missing from users.json.
    var external: Bool
    var team: String
    var color: String
    /// The `user_profile` snapshot rendered at message depth, per escaping mode (raw, ASCII).
    var profileRaw: [UInt8] = []
    var profileASCII: [UInt8] = []
}

enum ConversationKind: String {
    case publicChannel = "public"
    case privateChannel = "private"
    case dm
    case mpim
}

struct GenConversation {
    var id: String
    var idBytes: [UInt8]
    var name: String
    var nameBytes: [UInt8]
    var folder: String
    var kind: ConversationKind
    /// Day offset after which nobody posts (archived channels), or Int.max.
    var lastDay: Int
    var archived: Bool
    var memberCount: Int
    var memberOffset: Int
    var memberStride: Int
    var created: Int64
    var creator: Int

    func member(_ j: Int, userCount: Int) -> Int {
        (memberOffset + j * memberStride) % userCount
    }
}

/// Everything about the synthetic workspace that is not a message.
struct Workspace {
    let team: String
    var users: [GenUser] = []
    var conversations: [GenConversation] = []
    let botUser: GenUser
    let botId = "B0APPDEPLOY"
    let appId = "A0APPDEPLOY"
    let hookBotId = "B0HOOKCI001"
    let startDay: Int
    let endDay: Int

    static let idSpace: Int64 = 101_559_956_668_416  // 36^9

    static func encodeId(prefix: String, index: Int, salt: UInt64) -> String {
        let digits = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        var h = salt &+ 0x9E37_79B9_7F4A_7C15
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 31
        // index ↦ index·M + offset is a bijection modulo 36^9 because M = 1_000_000_007 is prime to 6
        var x = (Int64(index % Int(idSpace)) * 1_000_000_007 % idSpace + Int64(h % UInt64(idSpace))) % idSpace
        var out = [Character](repeating: "0", count: 9)
        for i in stride(from: 8, through: 0, by: -1) {
            out[i] = digits[Int(x % 36)]
            x /= 36
        }
        return prefix + "0" + String(out)
    }

    init(config: GenConfig, rng: inout Rng) {
        startDay = config.endDay - config.days + 1
        endDay = config.endDay
        team = Workspace.encodeId(prefix: "T", index: 1, salt: config.seed &* 31)
        let salt = config.seed &* 0x9E37_79B9
        // users
        var cultureTable: [Int] = []
        for (c, share) in Vocabulary.culturePerMille.enumerated() {
            cultureTable.append(contentsOf: Array(repeating: c, count: share))
        }
        var perCulture = [Int](repeating: 0, count: Vocabulary.cultureCount)
        for i in 0..<config.users {
            let culture = i == 0 ? 0 : cultureTable[rng.below(cultureTable.count)]
            let k = perCulture[culture]
            perCulture[culture] += 1
            let firsts = Vocabulary.firstNames[culture], lasts = Vocabulary.lastNames[culture]
            let fi = k % firsts.count, li = (k / firsts.count) % lasts.count, gen = k / (firsts.count * lasts.count)
            let handleBase = Vocabulary.handles[culture][fi]
            let lastHandle = culture == 0 ? Vocabulary.lastNames[0][li] : "\(li)"
            let name = "\(handleBase).\(lastHandle)" + (gen > 0 ? "\(gen)" : "")
            let external = i > 0 && rng.chance(0.02)
            let deleted = i > 0 && !external && rng.chance(0.03)
            let id = external ? Workspace.encodeId(prefix: "W", index: i, salt: salt)
                : Workspace.encodeId(prefix: "U", index: i, salt: salt)
            let first = culture == 0 ? firsts[fi].capitalized : firsts[fi]
            let last = culture == 0 ? lasts[li].capitalized : lasts[li]
            let real = culture == 3 || culture == 4 ? "\(last) \(first)" : "\(first) \(last)"
            users.append(GenUser(id: id, idBytes: Array(id.utf8), name: name, realName: real, firstName: first,
                                 lastName: last, culture: culture, deleted: deleted, external: external,
                                 team: external ? Workspace.encodeId(prefix: "T", index: 2, salt: salt) : team,
                                 color: String(format: "%06x", rng.below(0xFFFFFF))))
        }
        let botID = Workspace.encodeId(prefix: "U", index: config.users, salt: salt)
        botUser = GenUser(id: botID, idBytes: Array(botID.utf8), name: "deploybot", realName: "Deploy Bot",
                          firstName: "Deploy", lastName: "Bot", culture: 0, deleted: false, external: false,
                          team: team, color: "4bbe2e")
        // conversations
        let u = config.users
        var usedNames = Set<String>()
        for c in 0..<config.channels {
            var kind: ConversationKind
            if c < 2 || u < 2 {
                kind = .publicChannel
            } else {
                let r = rng.below(20)
                kind = r < 11 ? .publicChannel : r < 14 ? .privateChannel : r < 18 ? .dm : (u >= 3 ? .mpim : .dm)
            }
            var memberCount: Int
            switch kind {
            case .dm: memberCount = 2
            case .mpim: memberCount = min(u, 3 + rng.below(2))
            case .publicChannel, .privateChannel:
                memberCount = c == 0 ? u : max(min(u, 2), min(u, 3 + (u * 2) / (3 + c) + rng.below(max(1, u / 10))))
            }
            memberCount = max(1, min(memberCount, u))
            let offset = c == 0 ? 0 : rng.below(kind == .dm || kind == .mpim ? u : min(u, 5))
            var stride = memberCount >= u ? 1 : 1 + rng.below(max(1, u - 1))
            while Workspace.gcd(stride, u) != 1 { stride += 1 }
            let prefix: String
            switch kind {
            case .dm: prefix = "D"
            case .mpim: prefix = rng.chance(0.5) ? "G" : "C"
            case .privateChannel: prefix = rng.chance(0.3) ? "G" : "C"
            case .publicChannel: prefix = "C"
            }
            let id = Workspace.encodeId(prefix: prefix, index: c, salt: salt &+ 7)
            var name: String
            var folder: String
            switch kind {
            case .dm:
                name = id
                folder = id
            case .mpim:
                let handles = (0..<memberCount).map { j in users[(offset + j * stride) % u].name }
                name = "mpdm-" + handles.joined(separator: "--") + "-1"
                folder = name
            case .publicChannel, .privateChannel:
                if c == 0 {
                    name = "general"
                } else if c == 1 {
                    name = "random"
                } else {
                    name = "\(rng.pick(Vocabulary.channelPrefixes))-\(rng.pick(Vocabulary.channelWords))"
                }
                folder = name
            }
            if usedNames.contains(name) {
                name += "-\(c)"
                folder = name
            }
            usedNames.insert(name)
            let archived = kind == .publicChannel && c >= 3 && rng.chance(0.08)
            let lastDay = archived ? max(0, config.days * 6 / 10 - rng.below(max(1, config.days / 5))) : Int.max
            let created = Pacific.midnight(day: startDay) - Int64(86_400 * (30 + rng.below(300))) + Int64(rng.below(80_000))
            conversations.append(GenConversation(id: id, idBytes: Array(id.utf8), name: name, nameBytes: Array(name.utf8),
                                                 folder: folder, kind: kind, lastDay: lastDay, archived: archived,
                                                 memberCount: memberCount, memberOffset: offset, memberStride: stride,
                                                 created: created, creator: (offset) % u))
        }
        for i in users.indices {
            users[i].profileRaw = Workspace.renderProfile(users[i], ascii: false)
            users[i].profileASCII = Workspace.renderProfile(users[i], ascii: true)
        }
    }

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }

    static func avatarURL(_ user: GenUser, size: Int) -> String {
        "https://secure.gravatar.com/avatar/\(user.name).jpg?s=\(size)&d=https%3A%2F%2Fa.slack-edge.com%2Fdf10d%2Fimg%2Favatars%2Fava_0001-\(size).png"
    }

    /// `"user_profile": {…}` value as it appears at message depth (object fields at depth 3).
    static func renderProfile(_ user: GenUser, ascii: Bool, depth: Int = 2) -> [UInt8] {
        var w = PrettyJSON(capacity: 512, depth: depth)
        w.asciiOnly = ascii
        w.openObject()
        w.field("avatar_hash", "g" + String(user.id.suffix(11).lowercased()))
        w.field("image_72", avatarURL(user, size: 72))
        w.field("first_name", user.firstName)
        w.field("real_name", user.realName)
        w.field("display_name", user.name)
        w.field("team", user.team)
        w.field("name", user.name)
        w.field("is_restricted", false)
        w.field("is_ultra_restricted", false)
        w.closeObject()
        return w.buf
    }

    // MARK: metadata files

    func usersJSON() -> [UInt8] {
        var w = PrettyJSON(capacity: 1 << 20)
        w.asciiOnly = true
        w.openArray()
        for user in users where !user.external {
            w.item()
            w.openObject()
            w.field("id", user.id)
            w.field("team_id", team)
            w.field("name", user.name)
            w.field("deleted", user.deleted)
            if !user.deleted {
                w.field("color", user.color)
                w.field("real_name", user.realName)
                let tz = Vocabulary.timeZones[user.culture]
                w.field("tz", tz.tz)
                w.field("tz_label", tz.label)
                w.field("tz_offset", tz.offset)
            }
            w.key("profile")
            w.openObject()
            w.field("title", "")
            w.field("phone", "")
            w.field("skype", "")
            w.field("real_name", user.realName)
            w.field("real_name_normalized", user.realName)
            w.field("display_name", user.name)
            w.field("display_name_normalized", user.name)
            w.key("fields"); w.null()
            w.field("status_text", "")
            w.field("status_emoji", "")
            w.field("avatar_hash", "g" + String(user.id.suffix(11).lowercased()))
            w.field("first_name", user.firstName)
            w.field("last_name", user.lastName)
            w.field("image_24", Workspace.avatarURL(user, size: 24))
            w.field("image_72", Workspace.avatarURL(user, size: 72))
            w.field("team", team)
            w.closeObject()
            if !user.deleted {
                w.field("is_admin", user.id == users[0].id)
                w.field("is_owner", user.id == users[0].id)
                w.field("is_primary_owner", user.id == users[0].id)
                w.field("is_restricted", false)
                w.field("is_ultra_restricted", false)
            }
            w.field("is_bot", false)
            w.field("is_app_user", false)
            w.field("updated", Int64(1_700_000_000))
            w.closeObject()
        }
        // the app's bot user
        w.item()
        w.openObject()
        w.field("id", botUser.id)
        w.field("team_id", team)
        w.field("name", botUser.name)
        w.field("deleted", false)
        w.field("color", botUser.color)
        w.field("real_name", botUser.realName)
        w.field("tz", "America/Los_Angeles")
        w.field("tz_label", "Pacific Standard Time")
        w.field("tz_offset", -28_800)
        w.key("profile")
        w.openObject()
        w.field("real_name", botUser.realName)
        w.field("display_name", "")
        w.field("bot_id", botId)
        w.field("api_app_id", appId)
        w.field("always_active", true)
        w.field("image_72", "https://avatars.slack-edge.com/2023-01-02/deploybot_72.png")
        w.field("team", team)
        w.closeObject()
        w.field("is_admin", false)
        w.field("is_owner", false)
        w.field("is_bot", true)
        w.field("is_app_user", false)
        w.field("updated", Int64(1_672_704_000))
        w.closeObject()
        w.closeArray()
        return w.buf
    }

    private func writeMembers(_ w: inout PrettyJSON, _ c: GenConversation) {
        w.key("members")
        w.openArray()
        for j in 0..<c.memberCount {
            w.item()
            w.string(users[c.member(j, userCount: users.count)].idBytes)
        }
        w.closeArray()
    }

    private func writeTopic(_ w: inout PrettyJSON, _ key: StaticString, _ value: String, _ c: GenConversation) {
        w.key(key)
        w.openObject()
        w.field("value", value)
        w.field("creator", value.isEmpty ? "" : users[c.creator].id)
        w.field("last_set", value.isEmpty ? 0 : c.created)
        w.closeObject()
    }

    func conversationsJSON(kind: ConversationKind) -> [UInt8] {
        var w = PrettyJSON(capacity: 1 << 16)
        w.openArray()
        for c in conversations where c.kind == kind {
            w.item()
            w.openObject()
            w.field("id", c.id)
            switch kind {
            case .dm:
                w.field("created", c.created)
                writeMembers(&w, c)
            case .mpim:
                w.field("name", c.name)
                w.field("created", c.created)
                w.field("creator", users[c.creator].id)
                w.field("is_archived", false)
                writeMembers(&w, c)
                writeTopic(&w, "topic", "", c)
                writeTopic(&w, "purpose", "Group messaging", c)
            case .publicChannel, .privateChannel:
                w.field("name", c.name)
                w.field("created", c.created)
                w.field("creator", users[c.creator].id)
                w.field("is_archived", c.archived)
                w.field("is_general", c.name == "general")
                writeMembers(&w, c)
                w.key("pins"); w.openArray(); w.closeArray()
                writeTopic(&w, "topic", c.name == "general" ? "Company-wide announcements & work-based matters" : "", c)
                writeTopic(&w, "purpose", "Conversations about \(c.name)", c)
            }
            w.closeObject()
        }
        w.closeArray()
        return w.buf
    }

    func integrationLogsJSON() -> [UInt8] {
        var w = PrettyJSON()
        w.openArray()
        let admin = users[0]
        let general = conversations[0]
        let t0 = Pacific.midnight(day: startDay) + 9 * 3600
        w.item(); w.openObject()
        w.field("user_id", admin.id); w.field("user_name", admin.name)
        w.field("date", String(t0)); w.field("change_type", "added")
        w.field("service_id", "5012345678901"); w.field("service_type", "Incoming WebHooks")
        w.field("scope", "incoming-webhook"); w.field("channel", general.id)
        w.closeObject()
        w.item(); w.openObject()
        w.field("user_id", admin.id); w.field("user_name", admin.name)
        w.field("date", String(t0 + 600)); w.field("change_type", "added")
        w.field("app_id", appId); w.field("app_type", "deploybot"); w.field("scope", "chat:write,channels:read")
        w.closeObject()
        w.closeArray()
        return w.buf
    }

    func canvasJSON() -> [UInt8] {
        var w = PrettyJSON()
        w.openArray()
        w.item(); w.openObject()
        let t = Pacific.midnight(day: startDay) + 10 * 3600
        w.field("id", "F0CANVAS001")
        w.field("created", t)
        w.field("timestamp", t)
        w.field("name", "Team handbook")
        w.field("title", "Team handbook")
        w.field("mimetype", "application/vnd.slack-docs")
        w.field("filetype", "quip")
        w.field("pretty_type", "Canvas")
        w.field("user", users[0].id)
        w.field("mode", "quip")
        w.field("url_private", "https://example.slack.com/docs/\(team)/F0CANVAS001?token=xoxe-REDACTED")
        w.field("is_channel_space", true)
        w.field("linked_channel_id", conversations[0].id)
        w.closeObject()
        w.closeArray()
        return w.buf
    }
}
