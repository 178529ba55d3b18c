import Testing
@testable import LetheCore

@Suite struct SearchMarkupTests {
    let users = UserDirectory([.init(id: "U123", name: "alice", displayName: "Alice"), .init(id: "U7", name: nil, displayName: "Seven")])
    func channels(_ id: String) -> String? { id == "C123" ? "general" : nil }
    func render(_ s: String) -> String { SlackMarkup.render(s, users: users, channels: channels) }

    @Test func mentions() {
        #expect(render("hi <@U123>") == "hi @alice")
        #expect(render("hi <@U123|old-name>") == "hi @alice")
        #expect(render("hi <@U999|zed>") == "hi @zed")
        #expect(render("hi <@U999>") == "hi @U999")
        #expect(render("<@U7>") == "@Seven")
        #expect(render("<@W42>") == "@W42")
        #expect(render("see <#C123|general> and <#C123>") == "see #general and #general")
        #expect(render("<#C9|random> <#C9>") == "#random #C9")
    }

    @Test func specialMentions() {
        #expect(render("<!here> <!channel> <!everyone>") == "@here @channel @everyone")
        #expect(render("<!here|here>") == "@here")
        #expect(render("<!subteam^S1|@team> <!subteam^S2>") == "@team @subteam")
        #expect(render("<!date^1392734382^{date_pretty}|Feb 18, 2014>") == "Feb 18, 2014")
    }

    @Test func links() {
        #expect(render("<https://x.org/a?b=1&amp;c=2|the label>") == "the label (https://x.org/a?b=1&c=2)")
        #expect(render("<https://x.org>") == "https://x.org")
        #expect(render("<https://x.org|https://x.org>") == "https://x.org")
        #expect(render("<mailto:a@b.org|a@b.org>") == "a@b.org")
        #expect(render("<mailto:a@b.org>") == "a@b.org")
    }

    @Test func entitiesUnescapeInOnePass() {
        #expect(render("a &amp; b &lt;tag&gt;") == "a & b <tag>")
        #expect(render("&amp;lt; stays &amp;lt;") == "&lt; stays &lt;")
        #expect(render("&amp;amp;") == "&amp;")
        #expect(render("&unknown; & &") == "&unknown; & &")
    }

    @Test func brokenMarkupStaysReadable() {
        #expect(render("a < b") == "a < b")
        #expect(render("x <@U123") == "x <@U123")
        #expect(render("<>") == "")
        #expect(render("*bold* _it_ ~s~ `code`") == "*bold* _it_ ~s~ `code`")
        #expect(render("") == "")
        #expect(render("東京 👍🏽 <@U123>") == "東京 👍🏽 @alice")
    }
}
