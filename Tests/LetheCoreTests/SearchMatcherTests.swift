import Testing
@testable import LetheCore

@Suite struct SearchMatcherTests {
    let users = UserDirectory([
        .init(id: "U1", name: "alice", displayName: "Alice Liddell"),
        .init(id: "U2", name: "bob", displayName: "Bobby"),
        .init(id: "U3", name: "carol", displayName: nil),
    ])
    let general = Conversation(id: "C1", name: "general", kind: .publicChannel)
    let finance = Conversation(id: "C2", name: "Finance", kind: .privateChannel)
    let dmBob = Conversation(id: "D1", name: nil, kind: .dm, memberIDs: ["U1", "U2"])
    let groupBob = Conversation(id: "G1", name: "mpdm-alice--bob--carol-1", kind: .groupDM, memberIDs: ["U1", "U2", "U3"])

    func msg(_ text: String, user: String? = "U1", ts: String = "1712173142.143619", thread: String? = nil,
             files: Bool = false, reactions: Bool = false) -> MessageFields {
        MessageFields(ts: SlackTimestamp(ts) ?? SlackTimestamp("0")!, user: user, text: text, threadTS: thread,
                      hasFiles: files, hasReactions: reactions)
    }

    func hits(_ query: String, _ m: MessageFields, in channel: Conversation? = nil) throws -> Bool {
        let q = try QueryParser.parse(query)
        return Matcher().matches(q, m, channel: channel ?? general, users: users) != nil
    }

    @Test func wordsAreWholeWordsAfterFolding() throws {
        let m = msg("The Café budget for Q3, deployed.")
        #expect(try hits("budget", m))
        #expect(try hits("CAFE", m))
        #expect(try hits("cafe\u{301}", m))
        #expect(try hits("café budget", m))
        #expect(try !hits("budg", m))
        #expect(try hits("budg*", m))
        #expect(try hits("deplo*", m))
        #expect(try !hits("deployment", m))
        #expect(try !hits("budget missing", m))
    }

    @Test func phrasesNeedConsecutiveTerms() throws {
        let m = msg("ship the new plan, then the old plan")
        #expect(try hits(#""new plan""#, m))
        #expect(try hits(#""plan then""#, m))  // punctuation between terms does not matter
        #expect(try !hits(#""new old""#, m))
        #expect(try !hits(#""plan new""#, m))
        #expect(try hits("plan,then", m))
    }

    @Test func exclusionsVeto() throws {
        let m = msg("budget draft v2")
        #expect(try !hits("budget -draft", m))
        #expect(try hits("budget -final", m))
        #expect(try !hits(#"budget -"draft v2""#, m))
        #expect(try hits(#"budget -"v2 draft""#, m))
        #expect(try !hits("budget -dra*", m))
        #expect(try !hits("-budget", m))
        #expect(try hits("-nothing", m))
    }

    @Test func fromMatchesIdHandleOrDisplayName() throws {
        let m = msg("hello", user: "U1")
        #expect(try hits("from:@alice", m))
        #expect(try hits("from:ALICE", m))
        #expect(try hits("from:u1", m))
        #expect(try hits("from:<@U1>", m))
        #expect(try !hits("from:@bob", m))
        #expect(try hits("from:@bob from:@alice", m))  // alternatives
        #expect(try hits("from:@bobby", msg("x", user: "U2")))
        #expect(try !hits("from:@alice", msg("x", user: nil)))
        #expect(try hits("from:GitHub", msg("build failed", user: "github")))  // bot username
    }

    @Test func inMatchesChannelsAndDMs() throws {
        let m = msg("numbers")
        #expect(try hits("in:#general", m, in: general))
        #expect(try hits("in:General", m, in: general))
        #expect(try hits("in:C2", m, in: finance))
        #expect(try hits("in:#finance", m, in: finance))
        #expect(try !hits("in:#finance", m, in: general))
        #expect(try hits("in:#finance in:#general", m, in: general))
        #expect(try hits("in:@bob", m, in: dmBob))
        #expect(try hits("in:@Bobby", m, in: dmBob))
        #expect(try hits("in:<@U2>", m, in: dmBob))
        #expect(try !hits("in:@bob", m, in: groupBob))  // 1:1 DMs only
        #expect(try !hits("in:@carol", m, in: dmBob))
        #expect(try !hits("in:@bob", m, in: general))
    }

    @Test func datesAreUTCDays() throws {
        // 2024-04-03T19:39:02Z
        let m = msg("x", ts: "1712173142.143619")
        #expect(try hits("on:2024-04-03", m))
        #expect(try !hits("on:2024-04-04", m))
        #expect(try hits("after:2024-04-02", m))
        #expect(try !hits("after:2024-04-03", m))
        #expect(try hits("before:2024-04-04", m))
        #expect(try !hits("before:2024-04-03", m))
        #expect(try hits("during:2024-04", m))
        #expect(try hits("during:2024", m))
        #expect(try !hits("during:2023", m))
        // Edges: the first and last microsecond of a day.
        #expect(try hits("on:2024-04-03", msg("x", ts: "1712102400.000000")))
        #expect(try hits("on:2024-04-03", msg("x", ts: "1712188799.999999")))
        #expect(try !hits("on:2024-04-03", msg("x", ts: "1712188800.000000")))
        #expect(try hits("before:2024-04-04", msg("x", ts: "1712188799.999999")))
        #expect(try !hits("before:2024-04-04", msg("x", ts: "1712188800")))
    }

    @Test func flagsMatchTheirFields() throws {
        #expect(try hits("is:thread", msg("x", thread: "1712173000.000100")))
        #expect(try !hits("is:thread", msg("x")))
        #expect(try hits("has:file", msg("x", files: true)))
        #expect(try !hits("has:file", msg("x")))
        #expect(try hits("has:reaction x", msg("x", reactions: true)))
        #expect(try !hits("has:reaction", msg("x")))
    }

    @Test func markupIsSearchedAsRendered() throws {
        let m = msg("AT&amp;T &lt;3 <https://example.com/q3|Q3 report> <@U2|bob> <#C9|ops>")
        #expect(try hits(#""at t""#, m))
        #expect(try hits(#""q3 report""#, m))
        #expect(try hits("example.com", m))
        #expect(try hits("bob ops", m))
        #expect(try !hits("amp", m))
        #expect(try !hits("lt", m))
    }

    @Test func unicodeAcrossScripts() throws {
        #expect(try hits("東京", msg("明日は東京都に行きます")))
        #expect(try hits("京都", msg("明日は東京都に行きます")))
        #expect(try !hits("大阪", msg("明日は東京都に行きます")))
        #expect(try hits("كتاب", msg("هذا كِتَابٌ جميل")))
        #expect(try hits("ЙОГУРТ", msg("Купи йогурт")))
        #expect(try hits("иогурт", msg("Купи йогурт")))  // й folds to и (documented)
        #expect(try hits("🚀", msg("shipped🚀")))
        #expect(try hits("shipped", msg("shipped🚀")))
        #expect(try !hits("👍", msg("👍🏽")))  // a skin tone is part of the emoji
        #expect(try hits("straße", msg("STRASSE")))
    }

    @Test func highlightsPointIntoTheSearchableText() throws {
        let q = try QueryParser.parse(#"café "q3 plan" deplo*"#)
        let m = msg("CAFE\u{301} and the Q3  Plan were deployed; Café!")
        let match = try #require(Matcher().matches(q, m, channel: general, users: users))
        #expect(match.highlights.map { String(match.text[$0]) } == ["CAFE\u{301}", "Q3  Plan", "deployed", "Café"])
        let ansi = Highlighter.ansi(match.text, query: q)
        #expect(ansi == "\u{1B}[1;33mCAFE\u{301}\u{1B}[0m and the \u{1B}[1;33mQ3  Plan\u{1B}[0m were \u{1B}[1;33mdeployed\u{1B}[0m; \u{1B}[1;33mCafé\u{1B}[0m!")
    }

    @Test func highlightsSurviveLengthChangingFolds() throws {
        let q = try QueryParser.parse("strasse file 東京")
        let text = "Die ＳＴＲＡẞＥ, the ﬁle, 東京都"
        let ranges = Highlighter.ranges(of: q.required, in: text)
        #expect(ranges.map { String(text[$0]) } == ["ＳＴＲＡẞＥ", "ﬁle", "東京"])
        #expect(Highlighter.ansi("nothing here", query: q) == "nothing here")
    }
}
