/// How long a rule keeps messages: `Nd`, `Nw`, `Nm` (calendar months), `Ny` (calendar years) or `forever`.
///
/// A duration turns into a *cutoff* for a given `now`: every bucket whose end is at or
/// before the cutoff is expired. Months and years count on the UTC calendar, clamp the
/// day to the end of the target month (2024-03-31 minus 1m is 2024-02-29) and keep the
/// time of day.
public enum RetentionDuration: Sendable, Hashable, CustomStringConvertible {
    case days(Int)
    case weeks(Int)
    case months(Int)
    case years(Int)
    case forever

    /// The largest count accepted for any unit (100,000 years is already absurd).
    public static let maximumCount = 100_000

    /// Parses the policy-file spelling (`30d`, `12w`, `18m`, `7y`, `forever`); nil if malformed.
    public init?(parsing text: String) {
        if text == "forever" {
            self = .forever
            return
        }
        guard let unit = text.last, text.count >= 2, text.count <= 7 else { return nil }
        let digits = text.dropLast()
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits),
              n >= 1, n <= RetentionDuration.maximumCount
        else { return nil }
        switch unit {
        case "d": self = .days(n)
        case "w": self = .weeks(n)
        case "m": self = .months(n)
        case "y": self = .years(n)
        default: return nil
        }
    }

    /// The spelling used in policy files.
    public var description: String {
        switch self {
        case .days(let n): return "\(n)d"
        case .weeks(let n): return "\(n)w"
        case .months(let n): return "\(n)m"
        case .years(let n): return "\(n)y"
        case .forever: return "forever"
        }
    }

    /// `now - self` in Unix seconds (UTC), or nil for `forever` (nothing ever expires).
    public func cutoff(now: Int64) -> Int64? {
        switch self {
        case .days(let n): return now - Int64(n) * 86_400
        case .weeks(let n): return now - Int64(n) * 7 * 86_400
        case .months(let n): return RetentionDuration.subtractingMonths(n, from: now)
        case .years(let n): return RetentionDuration.subtractingMonths(n * 12, from: now)
        case .forever: return nil
        }
    }

    private static func subtractingMonths(_ n: Int, from now: Int64) -> Int64 {
        let date = CivilDate(unixSeconds: now)
        let timeOfDay = now - date.unixSeconds
        return date.addingMonths(-n).unixSeconds + timeOfDay
    }

    /// True when `self` keeps longer than `other` at `now` (its cutoff is earlier; `forever` is longest).
    public func keepsLonger(than other: RetentionDuration, now: Int64) -> Bool {
        switch (cutoff(now: now), other.cutoff(now: now)) {
        case (nil, nil): return false
        case (nil, _): return true
        case (_, nil): return false
        case let (a?, b?): return a < b
        }
    }
}
