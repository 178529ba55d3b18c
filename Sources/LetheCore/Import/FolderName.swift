/// The folder a conversation's day files are written to by `lethe export`.
///
/// In a Slack export the folder *is* the channel name (the id for DMs), and a hostile
/// export can name a channel `..`, `a/b`, `users.json` or 300 characters. The importer
/// maps every such name to one plain, portable path component, records it as the
/// conversation's `folder`, and warns; the exporter applies the same rule again to
/// whatever an archive holds (defence in depth for records of older archives).
public enum FolderName {
    /// Longest folder name kept, in UTF-8 bytes: under NAME_MAX (255) with room for a `-<id>` suffix.
    static let maxBytes = 200
    /// The files `lethe export` writes beside the folders (and `org_users.json`, which Slack
    /// may write), compared case-insensitively.
    static let reserved: Set<String> = ["channels.json", "groups.json", "dms.json", "mpims.json", "users.json", "org_users.json"]

    /// Why `name` cannot be written as it is, or nil when it is a safe folder name on its own.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name == "." || name == ".." { return "it is \"\(name)\"" }
        if name.unicodeScalars.contains(where: { $0 == "/" || $0 == "\\" }) { return "it contains a path separator" }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "it contains a NUL or control character" }
        if name.utf8.count > maxBytes { return "it is longer than \(maxBytes) bytes" }
        if reserved.contains(name.lowercased()) { return "it is the name of an export metadata file" }
        return nil
    }

    /// A safe name for `name` (a conversation's Slack folder) not yet in `taken`
    /// (lowercased: folders differing only by case collide on macOS and Windows);
    /// inserts it. Returns the name and why it differs from `name`, if it does.
    public static func assign(_ name: String, id: String, taken: inout Set<String>) -> (folder: String, reason: String?) {
        var reason = problem(name)
        var folder = reason == nil ? name : sanitized(name)
        if taken.contains(folder.lowercased()) {
            reason = reason ?? "another conversation's folder has the same name (ignoring case)"
            let base = folder
            folder = suffixed(base, "-" + sanitized(String(id.prefix(40))))
            var n = 2
            while taken.contains(folder.lowercased()) {
                folder = suffixed(base, "-\(n)")
                n += 1
            }
        }
        taken.insert(folder.lowercased())
        return (folder, reason)
    }

    /// `base` cut so that `suffix` fits within `maxBytes`, then `suffix`: the suffix always
    /// survives (cutting it off a 200-byte name gave the same name again, and the search for a
    /// free one never ended).
    static func suffixed(_ base: String, _ suffix: String) -> String {
        sanitized(cut(base, to: maxBytes - min(suffix.utf8.count, maxBytes / 2)) + suffix)
    }

    /// The longest prefix of `s` of at most `bytes` UTF-8 bytes, cut between scalars.
    static func cut(_ s: String, to bytes: Int) -> String {
        var out = ""
        for c in s.unicodeScalars {
            guard out.utf8.count + String(c).utf8.count <= bytes else { break }
            out.unicodeScalars.append(c)
        }
        return out
    }

    /// Separators and control characters become `_`, `.`/`..`/empty become underscores,
    /// metadata file names get a `_` prefix, and the result is cut to `maxBytes`.
    static func sanitized(_ name: String) -> String {
        var out = String(String.UnicodeScalarView(name.unicodeScalars.map {
            $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F ? "_" : $0
        }))
        if out.isEmpty || out == "." || out == ".." { out = String(repeating: "_", count: max(out.count, 1)) }
        if reserved.contains(out.lowercased()) { out = "_" + out }
        if out.utf8.count > maxBytes { out = cut(out, to: maxBytes) }
        return out
    }
}
