#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import LetheCore

@Suite struct PolicyGlobTests {
    private func m(_ pattern: String, _ name: String) throws -> Bool { try ChannelGlob(pattern).matches(name) }

    @Test func edgeCases() throws {
        #expect(try m("proj-*", "proj-"))
        #expect(try m("proj-*", "proj-alpha"))
        #expect(try !m("proj-*", "proj"))
        #expect(try !m("proj-*", "Proj-alpha"))       // case-sensitive
        #expect(try !m("proj-*", "xproj-alpha"))      // anchored at both ends
        #expect(try m("*", ""))
        #expect(try m("*", "anything"))
        #expect(try m("random", "random"))
        #expect(try !m("random", "random2"))
        #expect(try m("a?c", "abc"))
        #expect(try !m("a?c", "ac"))
        #expect(try !m("a?c", "abbc"))
        #expect(try m("[abc]x", "bx"))
        #expect(try !m("[abc]x", "dx"))
        #expect(try m("[a-c]x", "cx"))
        #expect(try m("[!a-c]x", "dx"))
        #expect(try !m("[!a-c]x", "ax"))
        #expect(try m("[^a]x", "bx"))
        #expect(try m("[]]x", "]x"))
        #expect(try m("[!]]x", "ax"))
        #expect(try m("[a-]x", "-x"))
        #expect(try m("*a*b", "xxaxxb"))
        #expect(try !m("*a*b", "xxbxxa"))
        #expect(try m("**", "x"))
        #expect(try m("é*", "équipe"))
        #expect(try m("?quipe", "équipe"))
        // Pathological backtracking stays fast.
        #expect(try !m("a*a*a*a*a*a*a*a*b", String(repeating: "a", count: 5_000)))
        for bad in ["", "#general", "[ab", "[]", "[z-a]"] {
            #expect(throws: ChannelGlob.SyntaxError.self, "accepted \(bad)") { try ChannelGlob(bad) }
        }
    }

    @Test func channelsGlobNeverMatchesANamelessDM() throws {
        let dm = Conversation(id: "D1", name: nil, kind: .dm, isArchived: false)
        #expect(!ChannelMatch(channels: [try ChannelGlob("*")]).matches(dm))
        #expect(ChannelMatch(kinds: [.dm]).matches(dm))
        #expect(ChannelMatch(ids: ["D1"], kinds: [.dm], archived: false).matches(dm))
        #expect(!ChannelMatch(ids: ["D1"], archived: true).matches(dm))
        #expect(ChannelMatch().matches(dm))
    }

    /// Compares with the C library's fnmatch(3) over every pattern × name drawn from a small alphabet.
    @Test func agreesWithFnmatch() throws {
        let patterns = ["*", "?", "a*", "*a", "a?b", "[ab]*", "[!ab]?", "*[a-c]*", "a*b*c", "??*", "[b-c]a*",
                        "ab", "*b?", "[]a]*", "a[!b]c", "*-*", "proj-*", "c*-?"]
        let alphabet: [Character] = ["a", "b", "c", "-", "]"]
        var names = [""]
        var frontier = [""]
        for _ in 0..<4 {
            frontier = frontier.flatMap { s in alphabet.map { s + String($0) } }
            names += frontier
        }
        names.append("proj-x")
        for p in patterns {
            let glob = try ChannelGlob(p)
            for n in names {
                let expected = fnmatch(p, n, 0) == 0
                #expect(glob.matches(n) == expected, "pattern \(p) name \(n)")
            }
        }
    }
}
