import Foundation
import LetheCore

/// HTML escaping: the one way any text from the archive reaches a page. Every message
/// field, name, query and error goes through `esc`, in element content and in attribute
/// values alike (both quotes are escaped, so a value cannot end its attribute).
enum HTML {
    static func esc(_ s: some StringProtocol) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A query-string value: everything but unreserved characters percent-encoded.
    static func query(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// The anchor of a message on its day's page: `m1712345678-000100`.
    static func anchor(_ ts: String) -> String { "m" + ts.replacingOccurrences(of: ".", with: "-") }

    /// An ISO 8601 UTC time for `<time datetime>`; the page's script shows it in the viewer's zone.
    /// (By hand: a Foundation date formatter costs more to make than a page's messages to render.)
    static func isoTime(_ seconds: Int64) -> String {
        let s = ((seconds % 86400) + 86400) % 86400
        return CivilDate(unixSeconds: seconds).description + String(format: "T%02d:%02d:%02dZ", s / 3600, (s / 60) % 60, s % 60)
    }

    /// `14:05 UTC`: what a page shows without script.
    static func utcClock(_ seconds: Int64) -> String {
        let s = ((seconds % 86400) + 86400) % 86400
        return String(format: "%02d:%02d UTC", s / 3600, (s / 60) % 60)
    }

    static func utcDay(_ seconds: Int64) -> String { CivilDate(unixSeconds: seconds).description }

    /// One or two letters for an avatar: "Alice Smith" → "AS", "bob" → "B".
    static func initials(_ name: String) -> String {
        let words = name.split { !$0.isLetter && !$0.isNumber }
        let letters = words.prefix(2).compactMap(\.first).map { String($0).uppercased() }
        return letters.isEmpty ? "?" : letters.joined()
    }

    /// A stable colour (one of eight CSS classes) for a user id.
    static func avatarClass(_ id: String) -> String {
        var h: UInt32 = 2166136261
        for b in id.utf8 { h = (h ^ UInt32(b)) &* 16777619 }
        return "av\(h % 8)"
    }
}
