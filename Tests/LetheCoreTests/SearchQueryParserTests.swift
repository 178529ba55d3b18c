import Testing
@testable import LetheCore

@Suite struct SearchQueryParserTests {
    typealias P = SearchQuery.TermPattern

    private func day(_ s: String) -> Int64 { CivilDate(iso: s)?.unixSeconds ?? -1 }

    @Test func wordsPhrasesPrefixesAndExclusions() throws {
        let q = try QueryParser.parse(#"Budget "Q3 plan" deplo* -draft -"old news" e-mail"#)
        #expect(q.required == [
            P(terms: ["budget"], source: "Budget"),
            P(terms: ["q3", "plan"], source: "\"Q3 plan\""),
            P(terms: ["deplo"], isPrefix: true, source: "deplo*"),
            P(terms: ["e", "mail"], source: "e-mail"),
        ])
        #expect(q.excluded == [P(terms: ["draft"], source: "draft"), P(terms: ["old", "news"], source: "\"old news\"")])
        #expect(q.timeRange == SearchQuery.allTime)
    }

    @Test func smartQuotesAndCJKWords() throws {
        let q = try QueryParser.parse("“Café au lait” 東京")
        #expect(q.required.map(\.terms) == [["cafe", "au", "lait"], ["東", "京"]])
    }

    @Test func userAndChannelModifiers() throws {
        let q = try QueryParser.parse("from:@alice FROM:U123 from:<@U9|bob> in:#general in:random in:@carol in:<#C7|ops> in:<@U5>")
        #expect(q.fromUsers == ["alice", "U123", "U9"])
        #expect(q.channels == [.channel("general"), .channel("random"), .directMessageWith("carol"), .channel("C7"), .directMessageWith("U5")])
        #expect(q.required.isEmpty)
    }

    @Test func quotedModifierValuesMayHoldSpaces() throws {
        let q = try QueryParser.parse(#"in:"Riso Club/#general" IN:"Riso Club"/general from:"Ana Lima" in:“Zine Room/#events” riso"#)
        #expect(q.channels == [.inWorkspace(workspace: "Riso Club", channel: "general"), .inWorkspace(workspace: "Zine Room", channel: "events")])
        #expect(q.fromUsers == ["Ana Lima"])
        #expect(q.required.map(\.terms) == [["riso"]])
        // A quote inside a plain word is still part of the word; a phrase is still a phrase.
        #expect(try QueryParser.parse(#"say"hi "in:x y""#).required.map(\.terms) == [["say", "hi"], ["in", "x", "y"]])
    }

    @Test func datesResolveToHalfOpenUTCRanges() throws {
        #expect(try QueryParser.parse("before:2024-03-01").timeRange == Int64.min..<day("2024-03-01"))
        #expect(try QueryParser.parse("after:2024-03-01").timeRange == day("2024-03-02")..<Int64.max)
        #expect(try QueryParser.parse("on:2024-02-29").timeRange == day("2024-02-29")..<day("2024-03-01"))
        #expect(try QueryParser.parse("during:2024-02").timeRange == day("2024-02-01")..<day("2024-03-01"))
        #expect(try QueryParser.parse("during:2024-12").timeRange == day("2024-12-01")..<day("2025-01-01"))
        #expect(try QueryParser.parse("during:2023").timeRange == day("2023-01-01")..<day("2024-01-01"))
        #expect(try QueryParser.parse("during:2024-05-06").timeRange == day("2024-05-06")..<day("2024-05-07"))
        #expect(try QueryParser.parse("after:2024-01-01 before:2024-01-31").timeRange == day("2024-01-02")..<day("2024-01-31"))
        #expect(try QueryParser.parse("during:2024 on:2024-07-04").timeRange == day("2024-07-04")..<day("2024-07-05"))
        let empty = try QueryParser.parse("after:2024-05-01 before:2024-05-01").timeRange
        #expect(empty.isEmpty)
    }

    @Test func flags() throws {
        let q = try QueryParser.parse("is:thread has:file HAS:Reaction")
        #expect(q.requiresThread && q.requiresFile && q.requiresReaction)
    }

    @Test func unknownModifiersAreWords() throws {
        let q = try QueryParser.parse("foo:bar https://example.com 12:30")
        #expect(q.required.map(\.terms) == [["foo", "bar"], ["https", "example", "com"], ["12", "30"]])
    }

    @Test func punctuationOnlyWordsAreIgnored() throws {
        let q = try QueryParser.parse("budget -- !!! -")
        #expect(q.required.map(\.terms) == [["budget"]])
        #expect(q.ignoredWords == ["-", "!!!", "-"])
    }

    @Test func onlyExclusionsOrOnlyModifiersAreQueries() throws {
        #expect(try QueryParser.parse("-spam").excluded.count == 1)
        #expect(try QueryParser.parse("has:file").requiresFile)
    }

    @Test(arguments: [
        (#"budget "q3 plan"#, 8, "unterminated quote"),
        (#"a -"b"#, 4, "unterminated quote"),
        ("budget from:", 8, "from: needs a user"),
        ("from:@", 1, "from: needs a user"),
        ("in:# x", 1, "in: needs a channel or a user"),
        ("x before:2024-13-01", 3, "before: needs a date, not \"2024-13-01\""),
        ("after:yesterday", 1, "after: needs a date, not \"yesterday\""),
        ("on:2024-02-30", 1, "on: needs a date, not \"2024-02-30\""),
        ("a  during:24", 4, "during: needs a year, a month or a day, not \"24\""),
        ("during:2024-13", 1, "during: needs a year, a month or a day, not \"2024-13\""),
        ("is:banana", 1, "is:banana is not supported"),
        ("ok has:link", 4, "has:link is not supported"),
        ("a -from:@alice", 3, "from: cannot be negated"),
        ("東京 \"\" x", 4, "the phrase \"\" has nothing to search for"),
        ("", 1, "nothing to search for"),
        ("   ", 1, "nothing to search for"),
        ("  !!! ...", 3, "nothing to search for"),
        ("東京 is:x", 4, "is:x is not supported"),
        (#"riso in:"Riso Club"#, 9, "unterminated quote"),
    ])
    func syntaxErrorsPointAtTheirColumn(query: String, column: Int, reason: String) {
        do {
            _ = try QueryParser.parse(query)
            Issue.record("\(query) parsed")
        } catch let error as LetheError {
            #expect(error.kind == .usage)
            #expect(error.message == "query:\(column): \(reason)")
            #expect(error.hint?.isEmpty == false)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func requiredIndexTermsAreAnANDOfORs() throws {
        let users = UserDirectory([.init(id: "U1", name: "alice", displayName: "Alice A"), .init(id: "U2", name: "al", displayName: "alice")])
        let q = try QueryParser.parse(#"budget "budget plan" deplo* "x.y*" -secret from:@alice from:B99 is:thread has:file has:reaction in:#general after:2024-01-01 東京"#)
        #expect(q.requiredIndexTerms(users: users) == [
            ["budget"], ["plan"], ["x"], ["y"], ["東"], ["京"],
            ["from:alice", "from:b99", "from:u1", "from:u2"],
            ["is:thread"], ["has:file"], ["has:reaction"],
        ])
        #expect(try QueryParser.parse("deplo* -x in:#a").requiredIndexTerms(users: users).isEmpty)
    }
}
