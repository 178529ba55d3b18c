/// Turns Slack's message markup into readable text.
///
/// - `<@U123>` / `<@U123|alice>` → `@` + the user's handle from `users`, else
///   their display name, else the label, else the id;
/// - `<#C123>` / `<#C123|general>` → `#` + `channels(id)`, else the label, else the id;
/// - `<!here>`, `<!channel>`, `<!everyone>` → `@here`, `@channel`, `@everyone`;
///   `<!subteam^S1|@team>` → `@team`; other `<!…|label>` → the label, `<!x^…>` → `@x`;
/// - `<https://x|label>` → `label (https://x)`, `<https://x>` → `https://x`,
///   `<mailto:a@b|a@b>` → `a@b`, `<mailto:a@b>` → `a@b`;
/// - `&amp;`, `&lt;`, `&gt;` are unescaped in one pass (so `&amp;lt;` gives `&lt;`),
///   outside and inside markup. A `<` without its `>` stays as it is.
///
/// `*bold*`, `_italic_`, `~strike~` and code marks are left alone.
public enum SlackMarkup {
    public static func render(_ text: String, users: UserDirectory, channels: (String) -> String?) -> String {
        guard text.contains("<") || text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<") {
            out += unescape(rest[..<open])
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: ">") else {
                rest = rest[open...]
                break
            }
            out += element(rest[afterOpen..<close], users: users, channels: channels)
            rest = rest[rest.index(after: close)...]
        }
        out += unescape(rest)
        return out
    }

    /// One `<…>` element, without its angle brackets.
    static func element(_ body: Substring, users: UserDirectory, channels: (String) -> String?) -> String {
        let target: Substring
        let label: String?
        if let bar = body.firstIndex(of: "|") {
            target = body[..<bar]
            let l = unescape(body[body.index(after: bar)...])
            label = l.isEmpty ? nil : l
        } else {
            target = body
            label = nil
        }
        if target.hasPrefix("@") {
            let id = String(target.dropFirst())
            let entry = users.user(id: id)
            let name = [entry?.name, entry?.displayName].compactMap { $0 }.first { !$0.isEmpty }
            return "@" + (name ?? label.map(stripAt) ?? id)
        }
        if target.hasPrefix("#") {
            let id = String(target.dropFirst())
            return "#" + (channels(id) ?? label.map { $0.hasPrefix("#") ? String($0.dropFirst()) : $0 } ?? id)
        }
        if target.hasPrefix("!") {
            if let label { return label.hasPrefix("@") || target.hasPrefix("!date") ? label : "@" + label }
            let command = target.dropFirst().prefix { $0 != "^" }
            return "@" + command
        }
        let url = unescape(target)
        if url.hasPrefix("mailto:") {
            return label ?? String(url.dropFirst("mailto:".count))
        }
        guard let label, label != url else { return url }
        return "\(label) (\(url))"
    }

    private static func stripAt(_ s: String) -> String { s.hasPrefix("@") ? String(s.dropFirst()) : s }

    /// Replaces `&amp;`, `&lt;`, `&gt;` in a single left-to-right pass (also what `lethe serve`
    /// unescapes before it escapes for HTML).
    public static func unescape(_ s: Substring) -> String {
        guard s.contains("&") else { return String(s) }
        var out = ""
        var rest = s
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let tail = rest[amp...]
            if tail.hasPrefix("&amp;") {
                out += "&"
                rest = tail.dropFirst(5)
            } else if tail.hasPrefix("&lt;") {
                out += "<"
                rest = tail.dropFirst(4)
            } else if tail.hasPrefix("&gt;") {
                out += ">"
                rest = tail.dropFirst(4)
            } else {
                out += "&"
                rest = tail.dropFirst()
            }
        }
        out += rest
        return out
    }
}
