/// UTC timestamps as retention reads and writes them: ISO 8601 in, ISO 8601 out.
public enum RetentionTime {
    /// `2025-06-01T00:00:00Z` for Unix seconds.
    public static func iso8601(_ seconds: Int64) -> String {
        let date = CivilDate(unixSeconds: seconds)
        let t = seconds - date.unixSeconds
        return "\(date)T\(two(t / 3600)):\(two(t / 60 % 60)):\(two(t % 60))Z"
    }

    /// Parses `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DDTHH:MM:SSZ` or `…±HH:MM`
    /// (a `T` or space separator; fractional seconds are truncated). Nil if malformed.
    public static func parse(_ text: String) -> Int64? {
        let chars = Array(text)
        guard chars.count >= 10, let date = CivilDate(iso: String(chars[0..<10])) else { return nil }
        if chars.count == 10 { return date.unixSeconds }
        guard chars.count >= 20, chars[10] == "T" || chars[10] == " ",
              chars[13] == ":", chars[16] == ":",
              let h = number(chars[11..<13]), let m = number(chars[14..<16]), let s = number(chars[17..<19]),
              h < 24, m < 60, s < 60
        else { return nil }
        var i = 19
        if i < chars.count, chars[i] == "." {
            i += 1
            let digitsStart = i
            while i < chars.count, chars[i].isASCII, chars[i].isNumber { i += 1 }
            guard i > digitsStart else { return nil }
        }
        var offset: Int64 = 0
        let rest = chars[i...]
        if rest == ["Z"] || rest == ["z"] {
            offset = 0
        } else if rest.count == 6, rest.first == "+" || rest.first == "-", rest[i + 3] == ":",
                  let oh = number(rest[(i + 1)..<(i + 3)]), let om = number(rest[(i + 4)..<(i + 6)]),
                  oh < 24, om < 60 {
            offset = (oh * 3600 + om * 60) * (rest.first == "-" ? -1 : 1)
        } else {
            return nil
        }
        return date.unixSeconds + h * 3600 + m * 60 + s - offset
    }

    private static func number(_ chars: ArraySlice<Character>) -> Int64? {
        guard chars.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(String(chars))
    }

    private static func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
}
