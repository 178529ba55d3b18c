/// Civil-date arithmetic and the US Pacific time rule, done by hand so that the
/// generator never depends on the host's time-zone database.
enum Civil {
    /// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func date(days z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday).
    static func weekday(days: Int) -> Int {
        ((days % 7) + 7 + 4) % 7
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// "YYYY-MM-DD" as bytes.
    static func isoBytes(days: Int) -> [UInt8] {
        let (y, m, d) = date(days: days)
        var out = [UInt8]()
        out.reserveCapacity(10)
        appendPadded(&out, y, width: 4)
        out.append(UInt8(ascii: "-"))
        appendPadded(&out, m, width: 2)
        out.append(UInt8(ascii: "-"))
        appendPadded(&out, d, width: 2)
        return out
    }

    static func iso(days: Int) -> String {
        String(decoding: isoBytes(days: days), as: UTF8.self)
    }

    static func parseISO(_ s: String) -> Int? {
        let parts = s.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        return days(year: y, month: m, day: d)
    }

    static func appendPadded(_ out: inout [UInt8], _ value: Int, width: Int) {
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
        var v = value
        var i = width - 1
        while i >= 0 {
            digits[i] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
            i -= 1
        }
        out.append(contentsOf: digits)
    }
}

/// America/Los_Angeles under the US rule in force since 2007: daylight time from the
/// second Sunday of March, 02:00 PST, to the first Sunday of November, 02:00 PDT.
/// Slack cuts export day files on this clock.
enum Pacific {
    static let pst: Int64 = 8 * 3600
    static let pdt: Int64 = 7 * 3600

    /// Local dates (days since epoch) of the two transition Sundays of a year.
    static func transitions(year: Int) -> (dstStart: Int, dstEnd: Int) {
        let march1 = Civil.days(year: year, month: 3, day: 1)
        let firstSundayMarch = march1 + (7 - Civil.weekday(days: march1)) % 7
        let nov1 = Civil.days(year: year, month: 11, day: 1)
        let firstSundayNov = nov1 + (7 - Civil.weekday(days: nov1)) % 7
        return (firstSundayMarch + 7, firstSundayNov)
    }

    /// UTC epoch second of local midnight starting the Pacific date `day`.
    /// At midnight the transition (at 02:00) has not happened yet that day.
    static func midnight(day: Int) -> Int64 {
        let year = Civil.date(days: day).year
        let t = transitions(year: year)
        let dst = day > t.dstStart && day <= t.dstEnd
        return Int64(day) * 86_400 + (dst ? pdt : pst)
    }

    /// Pacific date that contains the instant `epoch` (seconds).
    static func day(epoch: Int64) -> Int {
        var d = Int(Civil.floorDiv(epoch - pst, 86_400))
        if epoch >= midnight(day: d + 1) { d += 1 }
        return d
    }
}
