import Foundation
import Testing
@testable import LetheCore
import LetheTestSupport

/// The reader thread hands the day files over in the conversations' order, and stopping it
/// with files read ahead and never taken (an import that fails part-way) leaves nothing
/// broken behind: libdispatch kills the process when a semaphore is freed below its start.
struct DayFilePrefetcherTests {
    static func export() throws -> (SlackExport, Int) {
        let export = try SlackExport.open(Repository.fixture("slack-sample"))
        let count = export.conversations.reduce(0) { $0 + export.dayFiles(of: $1).count }
        return (export, count)
    }

    @Test func filesComeInTheConversationsOrder() throws {
        let (export, count) = try Self.export()
        #expect(count > 10, "the fixture has \(count) day files")
        let reader = DayFilePrefetcher(export: export, conversations: export.conversations, count: count, depth: 3)
        defer { reader.cancel() }
        for conversation in export.conversations {
            for day in export.dayFiles(of: conversation) {
                let got = try #require(try reader.nextFile(), "\(day.path)")
                #expect(got.messages == (try export.readMessages(day)).messages, "\(day.path)")
            }
        }
        #expect(try reader.nextFile() == nil)
    }

    @Test func stoppingWithFilesReadAheadAndNeverTakenIsClean() throws {
        let (export, count) = try Self.export()
        for taken in [0, 1, 2] {
            var reader: DayFilePrefetcher? = DayFilePrefetcher(export: export, conversations: export.conversations, count: count, depth: 4)
            for _ in 0..<taken { _ = try reader?.nextFile() }
            // Let the reader fill its slots ahead of us.
            Thread.sleep(forTimeInterval: 0.2)
            reader?.cancel()
            reader = nil  // freed here: before the fix, SIGILL in _dispatch_semaphore_dispose
        }
    }
}
