import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// The fast field reader agrees with Foundation's JSONSerialization on every fixture message.
@Suite struct MessageExtractTests {
    @Test func agreesWithJSONSerializationOnFixturesAndCorpus() throws {
        var dirs = [Repository.fixture("slack-sample"), Repository.fixture("slack-sample-update")]
        var minimum = 200  // the fixtures hold 218 messages
        let corpus = SharedCorpus.slackExports(skipping: "checking the repository fixtures only")
        if !corpus.isEmpty {
            dirs += corpus
            minimum = 300
        }
        var checked = 0
        for dir in dirs {
            let export = try SlackExport.open(dir)
            for c in export.conversations {
                for day in export.dayFiles(of: c) {
                    for m in try export.readMessages(day).messages {
                        let e = MessageExtract.extract(m.json)
                        let o = try #require(try JSONSerialization.jsonObject(with: Data(m.json)) as? [String: Any])
                        #expect(e.text == (o["text"] as? String ?? ""), "\(day.path) \(m.ts)")
                        #expect(e.user == o["user"] as? String)
                        #expect(e.botID == o["bot_id"] as? String)
                        #expect(e.subtype == o["subtype"] as? String)
                        #expect(e.threadTS == o["thread_ts"] as? String)
                        #expect(e.replyCount == (o["reply_count"] as? Int ?? 0))
                        #expect(e.hasReactions == !((o["reactions"] as? [Any]) ?? []).isEmpty)
                        #expect(e.hasFiles == (o["files"] != nil || o["file"] != nil))
                        let attachmentText = ((o["attachments"] as? [[String: Any]]) ?? []).flatMap { a in
                            ["pretext", "title", "text", "fallback"].compactMap { a[$0] as? String }
                        }
                        #expect(Set(attachmentText).isSubset(of: Set(e.extra)), "\(day.path) \(m.ts)")
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > minimum, "messages compared: \(checked)")
    }

    @Test func escapesAndMalformedInput() {
        let e = MessageExtract.extract(Array(#"{"text":"a\u00e9\ud83d\ude00\"\/\n","user":"U1","reply_count":12,"reactions":[],"x":{"text":"nested"}}"#.utf8))
        #expect(e.text == "aé😀\"/\n")
        #expect(e.replyCount == 12)
        #expect(e.hasReactions == false)
        for bad in [#"{"text":"unterminated"#, "", "[1,2]", #"{"text":}"#, #"{"a":[{"b":"#] {
            _ = MessageExtract.extract(Array(bad.utf8))  // must not crash
        }
    }
}
