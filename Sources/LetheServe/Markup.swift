import Foundation
import LetheCore

/// Slack's message markup as HTML, for `lethe serve`.
///
/// Everything from the message is escaped; the only tags on the page are the ones made
/// here: `<a>` (http, https and mailto links only; conversation links stay on this
/// server), `<span class=mention>`, `<strong>`, `<em>`, `<del>`, `<code>`, `<pre>`, `<br>`.
/// `&amp;`, `&lt;`, `&gt;` (how Slack stores those characters) are unescaped first, then
/// escaped again, so `&lt;script&gt;` in an export shows as `<script>`, as text.
struct SlackHTML {
    var users: UserDirectory
    /// A conversation id → its label and whether this archive has it (then it is linked).
    var channel: (String) -> String?

    func render(_ text: String) -> String {
        var out = ""
        // 1. ``` fenced blocks: code, nothing inside is interpreted.
        let fences = text.components(separatedBy: "```")
        for (i, part) in fences.enumerated() {
            if i % 2 == 1 && i < fences.count - 1 {
                out += "<pre><code>" + HTML.esc(Self.unescape(Substring(part))) + "</code></pre>"
            } else {
                let piece = (i % 2 == 1) ? "```" + part : part
                out += inlineCode(piece)
            }
        }
        return out
    }

    /// 2. `inline code`, then links and mentions, then emphasis, in what is left.
    private func inlineCode(_ text: String) -> String {
        var out = ""
        let parts = text.components(separatedBy: "`")
        for (i, part) in parts.enumerated() {
            if i % 2 == 1 && i < parts.count - 1 && !part.isEmpty && !part.contains("\n") {
                out += "<code>" + HTML.esc(Self.unescape(Substring(part))) + "</code>"
            } else {
                out += elements((i % 2 == 1 ? "`" : "") + part)
            }
        }
        return out
    }

    /// 3. `<…>` elements: mentions, conversation links, links.
    private func elements(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<") {
            out += prose(Self.unescape(rest[..<open]))
            let after = rest.index(after: open)
            guard let close = rest[after...].firstIndex(of: ">") else {
                rest = rest[open...]
                break
            }
            out += element(rest[after..<close])
            rest = rest[rest.index(after: close)...]
        }
        out += prose(Self.unescape(rest))
        return out
    }

    private func element(_ body: Substring) -> String {
        let target: Substring
        var label: String?
        if let bar = body.firstIndex(of: "|") {
            target = body[..<bar]
            let l = Self.unescape(body[body.index(after: bar)...])
            label = l.isEmpty ? nil : l
        } else {
            target = body
        }
        if target.hasPrefix("@") {
            let id = String(target.dropFirst())
            let u = users.user(id: id)
            let name = [u?.displayName, u?.name].compactMap { $0 }.first { !$0.isEmpty } ?? label.map { $0.hasPrefix("@") ? String($0.dropFirst()) : $0 } ?? id
            return "<span class=\"mention\" title=\"\(HTML.esc(id))\">@\(HTML.esc(name))</span>"
        }
        if target.hasPrefix("#") {
            let id = String(target.dropFirst())
            if let known = channel(id) {
                return "<a class=\"mention\" href=\"/c/\(HTML.query(id))\">\(HTML.esc(known))</a>"
            }
            let name = label.map { $0.hasPrefix("#") ? String($0.dropFirst()) : $0 } ?? id
            return "<span class=\"mention\">#\(HTML.esc(name))</span>"
        }
        if target.hasPrefix("!") {
            let shown = label.map { $0.hasPrefix("@") || target.hasPrefix("!date") ? $0 : "@" + $0 } ?? "@" + target.dropFirst().prefix { $0 != "^" }
            return "<span class=\"mention\">\(HTML.esc(shown))</span>"
        }
        let url = Self.unescape(target)
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") || lower.hasPrefix("mailto:") else {
            // Not a link scheme this page follows (javascript:, data:, …): shown as text.
            return HTML.esc("<" + Self.unescape(body) + ">")
        }
        let shown = label ?? (lower.hasPrefix("mailto:") ? String(url.dropFirst(7)) : url)
        return "<a href=\"\(HTML.esc(url))\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">\(HTML.esc(shown))</a>"
    }

    /// 4. Plain text: *bold*, _italic_, ~strike~, :emoji:, line breaks; everything escaped.
    private func prose(_ text: String) -> String {
        guard !text.isEmpty else { return "" }
        var out = ""
        let chars = Array(text)
        var i = 0
        var run = ""
        func flush() {
            out += Self.emoji(HTML.esc(run)).replacingOccurrences(of: "\n", with: "<br>")
            run = ""
        }
        while i < chars.count {
            let c = chars[i]
            if let tag = Self.emphasis[c], i == 0 || Self.isBoundary(chars[i - 1]),
               i + 1 < chars.count, !chars[i + 1].isWhitespace,
               let j = chars[(i + 1)...].firstIndex(where: { $0 == c || $0 == "\n" }), chars[j] == c, j > i + 1,
               !chars[j - 1].isWhitespace, j + 1 == chars.count || Self.isBoundary(chars[j + 1]) {
                flush()
                out += "<\(tag)>" + prose(String(chars[(i + 1)..<j])) + "</\(tag)>"
                i = j + 1
                continue
            }
            run.append(c)
            i += 1
        }
        flush()
        return out
    }

    private static let emphasis: [Character: String] = ["*": "strong", "_": "em", "~": "del"]
    private static func isBoundary(_ c: Character) -> Bool { !(c.isLetter || c.isNumber) }

    /// `:name:` shortcodes of common emoji, in escaped text (names are [a-z0-9_+-]).
    static func emoji(_ escaped: String) -> String {
        guard escaped.contains(":") else { return escaped }
        var out = ""
        var rest = Substring(escaped)
        while let a = rest.firstIndex(of: ":") {
            let after = rest.index(after: a)
            guard let b = rest[after...].firstIndex(of: ":") else { break }
            let name = rest[after..<b]
            if let e = emojiNames[String(name)] {
                out += rest[..<a] + "<span class=\"emoji\" title=\":\(name):\">\(e)</span>"
                rest = rest[rest.index(after: b)...]
            } else {
                out += rest[..<b]
                rest = rest[b...]
            }
        }
        return out + rest
    }

    /// Common Slack shortcodes; others stay as `:name:`.
    static let emojiNames: [String: String] = [
        "smile": "😄", "smiley": "😃", "grinning": "😀", "joy": "😂", "laughing": "😆", "wink": "😉", "blush": "😊",
        "slightly_smiling_face": "🙂", "thinking_face": "🤔", "neutral_face": "😐", "confused": "😕", "cry": "😢",
        "sob": "😭", "scream": "😱", "sweat_smile": "😅", "heart_eyes": "😍", "sunglasses": "😎", "upside_down_face": "🙃",
        "+1": "👍", "thumbsup": "👍", "-1": "👎", "thumbsdown": "👎", "clap": "👏", "pray": "🙏", "wave": "👋",
        "raised_hands": "🙌", "ok_hand": "👌", "muscle": "💪", "point_up": "☝️", "eyes": "👀", "heart": "❤️",
        "broken_heart": "💔", "fire": "🔥", "tada": "🎉", "rocket": "🚀", "star": "⭐", "sparkles": "✨", "100": "💯",
        "white_check_mark": "✅", "heavy_check_mark": "✔️", "x": "❌", "warning": "⚠️", "bulb": "💡", "memo": "📝",
        "calendar": "📅", "coffee": "☕", "beer": "🍺", "pizza": "🍕", "bug": "🐛", "zap": "⚡", "boom": "💥",
        "question": "❓", "exclamation": "❗", "lock": "🔒", "key": "🔑", "ship": "🚢", "wrench": "🔧", "hammer": "🔨",
        "chart_with_upwards_trend": "📈", "email": "📧", "link": "🔗", "rotating_light": "🚨", "hourglass": "⌛",
        "see_no_evil": "🙈", "party_popper": "🎉", "partying_face": "🥳", "facepalm": "🤦", "shrug": "🤷",
    ]

    /// Slack's three entities, in one pass (`&amp;lt;` gives `&lt;`): the search's own rule.
    static func unescape(_ s: Substring) -> String { SlackMarkup.unescape(s) }
}
