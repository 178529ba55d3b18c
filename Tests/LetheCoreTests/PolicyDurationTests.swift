import Testing
@testable import LetheCore

@Suite struct PolicyDurationTests {
    private func t(_ s: String) throws -> Int64 { try #require(RetentionTime.parse(s)) }

    @Test func parsesEverySpelling() {
        #expect(RetentionDuration(parsing: "30d") == .days(30))
        #expect(RetentionDuration(parsing: "12w") == .weeks(12))
        #expect(RetentionDuration(parsing: "18m") == .months(18))
        #expect(RetentionDuration(parsing: "7y") == .years(7))
        #expect(RetentionDuration(parsing: "forever") == .forever)
        #expect(RetentionDuration(parsing: "100000d") == .days(100_000))
        for bad in ["", "d", "30", "0d", "00d", "30D", "-3d", "+3d", " 3d", "3d ", "3.5d", "1e3d", "100001d",
                    "Forever", "forever ", "3dd", "3h", "３d"] {
            #expect(RetentionDuration(parsing: bad) == nil, "accepted \(bad)")
        }
        for d: RetentionDuration in [.days(1), .weeks(2), .months(18), .years(7), .forever] {
            #expect(RetentionDuration(parsing: d.description) == d)
        }
    }

    @Test func daysAndWeeksAreExactSeconds() throws {
        let now = try t("2024-03-10T12:34:56Z")
        #expect(RetentionDuration.days(30).cutoff(now: now) == now - 30 * 86_400)
        #expect(RetentionDuration.weeks(2).cutoff(now: now) == now - 14 * 86_400)
        #expect(RetentionDuration.forever.cutoff(now: now) == nil)
    }

    @Test func monthsClampToMonthEndAndKeepTimeOfDay() throws {
        let cases: [(String, RetentionDuration, String)] = [
            ("2024-03-31T10:20:30Z", .months(1), "2024-02-29T10:20:30Z"),   // leap February
            ("2025-03-31T10:20:30Z", .months(1), "2025-02-28T10:20:30Z"),   // common February
            ("2024-05-31T00:00:00Z", .months(1), "2024-04-30T00:00:00Z"),
            ("2025-08-31T23:59:59Z", .months(18), "2024-02-29T23:59:59Z"),
            ("2024-01-15T06:00:00Z", .months(1), "2023-12-15T06:00:00Z"),   // across a year
            ("2024-01-31T06:00:00Z", .months(13), "2022-12-31T06:00:00Z"),
            ("2024-02-29T08:00:00Z", .years(1), "2023-02-28T08:00:00Z"),    // Feb 29 → Feb 28
            ("2028-02-29T08:00:00Z", .years(4), "2024-02-29T08:00:00Z"),    // leap to leap
            ("2100-03-01T00:00:00Z", .years(100), "2000-03-01T00:00:00Z"),
            ("2024-12-31T00:00:00Z", .years(2), "2022-12-31T00:00:00Z"),
        ]
        for (now, keep, expected) in cases {
            #expect(keep.cutoff(now: try t(now)).map(RetentionTime.iso8601) == expected, "\(now) - \(keep)")
        }
    }

    @Test func comparesDurationsByCutoffAtNow() throws {
        // One month is longer than 30 days after a 31-day month, shorter after February.
        let afterMarch = try t("2024-04-30T00:00:00Z")  // 1m → 2024-03-30: 31 days
        let afterFeb = try t("2023-03-01T00:00:00Z")    // 1m → 2023-02-01: 28 days
        #expect(RetentionDuration.months(1).keepsLonger(than: .days(30), now: afterMarch))
        #expect(RetentionDuration.days(30).keepsLonger(than: .months(1), now: afterFeb))
        #expect(RetentionDuration.forever.keepsLonger(than: .years(100_000), now: afterFeb))
        #expect(!RetentionDuration.forever.keepsLonger(than: .forever, now: afterFeb))
        #expect(!RetentionDuration.weeks(4).keepsLonger(than: .days(28), now: afterFeb))
        #expect(!RetentionDuration.days(28).keepsLonger(than: .weeks(4), now: afterFeb))
    }

    @Test func isoTimesRoundTrip() throws {
        #expect(RetentionTime.iso8601(0) == "1970-01-01T00:00:00Z")
        #expect(RetentionTime.iso8601(-1) == "1969-12-31T23:59:59Z")
        #expect(try t("2024-06-30") == CivilDate(year: 2024, month: 6, day: 30).unixSeconds)
        #expect(try t("2024-06-30T01:00:00+01:00") == CivilDate(year: 2024, month: 6, day: 30).unixSeconds)
        #expect(try t("2024-06-29T23:00:00-01:00") == CivilDate(year: 2024, month: 6, day: 30).unixSeconds)
        #expect(try t("2024-06-30T00:00:00.999Z") == CivilDate(year: 2024, month: 6, day: 30).unixSeconds)
        for bad in ["2024-06-31", "2024-06-30T24:00:00Z", "2024-06-30T00:00:00", "2024-06-30T00:00Z", "yesterday"] {
            #expect(RetentionTime.parse(bad) == nil, "accepted \(bad)")
        }
        for s: Int64 in [0, 1, 86_399, 1_719_705_600, 4_102_444_799, -86_401] {
            #expect(RetentionTime.parse(RetentionTime.iso8601(s)) == s)
        }
    }
}
