import LetheCore

/// The search query parser: the bytes are a query (invalid UTF-8 repaired, as the
/// command line does). Every refusal must be `LetheError(.usage)`; a query that
/// parses is matched and highlighted against a fixed message.
enum FuzzQueryParser {
    static let users = UserDirectory([.init(id: "U0001", name: "alice", displayName: "Alice"),
                                      .init(id: "U0002", name: "bob", displayName: nil)])
    static let channel = Conversation(id: "C0001", name: "general", kind: .publicChannel)
    static let message = MessageFields(
        ts: SlackTimestamp("1712173142.143619")!, user: "U0001",
        text: "Budget *review* for <@U0002|bob> in <#C0001|general>: café 東京 https://example.com/x?y=1 :tada: 12:30",
        threadTS: "1712173142.143619", replyCount: 2, hasFiles: true, hasReactions: true)

    static func run(_ input: [UInt8]) {
        let query: SearchQuery
        do {
            query = try QueryParser.parse(String(decoding: input, as: UTF8.self))
        } catch let error as LetheError {
            require(error.kind == .usage, "a query refused with \(error.kind), not usage")
            return
        } catch {
            fatalError("a query refused with \(type(of: error)), not LetheError")
        }
        _ = query.requiredIndexTerms(users: users)
        _ = query.wantsChannel(channel, users: users)
        if let match = Matcher().matches(query, message, channel: channel, users: users) {
            for range in match.highlights {
                require(range.lowerBound >= match.text.startIndex && range.upperBound <= match.text.endIndex,
                        "a highlight outside the text")
            }
        }
        _ = Highlighter.ansi(message.text, query: query)
    }
}
