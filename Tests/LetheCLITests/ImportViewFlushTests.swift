import Foundation
import LetheTestSupport
import Testing

/// Issue 18, goal 2 (peak RSS): the importer writes each conversation's retention view when it is
/// done with the conversation, inside the import's transaction, instead of holding every view
/// until the commit. Two exports in one `lethe import` write the same conversations' views twice
/// in one transaction; the result must be what two separate imports give.
@Suite(.serialized) struct ImportViewFlushTests {
    @Test func viewsWrittenPerConversationMatchSeparateImports() throws {
        let sample = Repository.fixture("slack-sample"), update = Repository.fixture("slack-sample-update")
        let one = try Harness.makeArchive("one-run")
        try one.run(["import", "--json", sample.path, update.path]).expectSuccess("import both in one run")
        let two = try Harness.makeArchive("two-runs")
        try two.importExport(sample)
        try two.importExport(update)

        let policy = Repository.policy("standard.yml").path
        let args = ["retention", "plan", "--policy", policy, "--now", "2026-06-01T00:00:00Z", "--json"]
        var plans: [NSDictionary] = []
        for a in [one, two] {
            // verify compares every conversation's view with what its segments hold.
            try a.run(["verify"]).expectSuccess("verify \(a.dir.lastPathComponent)")
            // A full-key import leaves one base view per conversation, however often it wrote it.
            #expect(try a.scalar(file: "keys.db", "SELECT COUNT(*) FROM retention_views WHERE seq != 0") == 0)
            #expect(try a.scalar(file: "keys.db", "SELECT COUNT(*) FROM retention_views") ==
                    a.scalar(file: "keys.db", "SELECT COUNT(DISTINCT cno) FROM retention_views"))
            let retentionKey = a.root.appendingPathComponent("retention-\(a.dir.lastPathComponent).key")
            try a.run(["key", "issue", "--role", "retention", "--out", retentionKey.path]).expectSuccess("issue retention key")
            // The retention role plans from the views alone.
            plans.append(try RetentionRoleTests.comparable(try RoleImportTests.roleRun(a, retentionKey, args)))
        }
        #expect(plans[0] == plans[1], "one import of both exports plans as two imports do")
        #expect(try one.stats().messages == two.stats().messages)
    }
}
