/// How time is cut into buckets: the unit of retention and of key destruction.
///
/// A bucket is a half-open UTC interval `[start, end)`; its number is stable and
/// is what the keystore and the data file store. Chosen once, at `lethe init`.
public enum BucketScheme: String, Sendable, CaseIterable, Codable {
    /// One UTC calendar day; bucket n starts at n × 86400.
    case day
    /// One ISO week, Monday 00:00 UTC to the next Monday; bucket 0 starts 1969-12-29.
    case week
    /// One UTC calendar month; bucket n is month n counted from 1970-01.
    case month

    /// The bucket holding a Unix time.
    public func bucket(containing seconds: Int64) -> Int64 {
        let day = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        switch self {
        case .day: return day
        case .week: return floorDiv(day + 3, 7)
        case .month:
            let c = CivilDate(dayNumber: day)
            return Int64(c.year - 1970) * 12 + Int64(c.month - 1)
        }
    }

    /// The UTC interval `[start, end)` of bucket `b`, in Unix seconds.
    public func range(of b: Int64) -> (start: Int64, end: Int64) {
        switch self {
        case .day: return (b * 86400, (b + 1) * 86400)
        case .week: return ((b * 7 - 3) * 86400, (b * 7 + 4) * 86400)
        case .month:
            let start = monthStart(b)
            return (start, monthStart(b + 1))
        }
    }

    /// A human label: `2024-05-01` (day), `2024-04-29/w` (week starting that Monday), `2024-05` (month).
    public func label(of b: Int64) -> String {
        let start = CivilDate(unixSeconds: range(of: b).start)
        switch self {
        case .day: return start.description
        case .week: return start.description + "/w"
        case .month: return String(start.description.prefix(7))
        }
    }

    private func monthStart(_ b: Int64) -> Int64 {
        let y = floorDiv(b, 12)
        let m = b - y * 12
        return CivilDate(year: Int(1970 + y), month: Int(m) + 1, day: 1).unixSeconds
    }
}

@inline(__always)
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
