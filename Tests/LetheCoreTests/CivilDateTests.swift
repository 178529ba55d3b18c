import Testing
@testable import LetheCore

@Suite struct CivilDateTests {
    @Test func roundTripsEveryDayOverFourCenturies() {
        var previous = CivilDate(dayNumber: -146_097 - 1)
        for n in Int64(-146_097)...Int64(146_097) {
            let d = CivilDate(dayNumber: n)
            #expect(d.dayNumber == n)
            #expect(previous < d)
            previous = d
        }
    }

    @Test func knownDates() {
        #expect(CivilDate(year: 1970, month: 1, day: 1).dayNumber == 0)
        #expect(CivilDate(year: 2000, month: 3, day: 1).dayNumber == 11_017)
        #expect(CivilDate(unixSeconds: 1_712_173_142).description == "2024-04-03")
        #expect(CivilDate(unixSeconds: -1).description == "1969-12-31")
        #expect(CivilDate(iso: "2024-02-30") == nil)
        #expect(CivilDate(iso: "2024-02-29")?.dayNumber == CivilDate(year: 2024, month: 2, day: 29).dayNumber)
        #expect(CivilDate(year: 2024, month: 3, day: 31).addingMonths(-1).description == "2024-02-29")
        #expect(CivilDate(year: 2023, month: 1, day: 31).addingMonths(13).description == "2024-02-29")
    }

    @Test func slackTimestampsOrderAsDecimals() throws {
        let a = try #require(SlackTimestamp("5.09"))
        let b = try #require(SlackTimestamp("5.1"))
        #expect(a < b)
        #expect(SlackTimestamp("1712173142.143619")?.micros == 143_619)
        #expect(SlackTimestamp("1e5") == nil)
        #expect(SlackTimestamp("") == nil)
        #expect(SlackTimestamp("12.") == nil)
    }

    /// Found by the export-reader fuzz target: 20 integer digits overflowed Int64 (a trap)
    /// before the 12-digit limit was checked.
    @Test func slackTimestampsRefuseLongIntegersWithoutOverflow() {
        #expect(SlackTimestamp("999999999999")?.seconds == 999_999_999_999)
        #expect(SlackTimestamp("9999999999999") == nil)
        #expect(SlackTimestamp("99999999999999999999") == nil)
        #expect(SlackTimestamp("99999999999999999999.1") == nil)
    }
}
