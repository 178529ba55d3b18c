import Foundation
import LetheCore
import LetheTestSupport
import Testing

/// `lethe retention plan` (text and --json) and `retention apply --json` on the bundled
/// sample export with Policies/standard.yml, compared exactly with Tests/Golden/. The
/// invariants are checked first, so a golden file cannot bless a plan that does not add up.
/// `LETHE_UPDATE_GOLDEN=1` rewrites the files (see `Golden`).
@Suite(.serialized) struct RetentionGoldenTests {
    static let now = "2026-11-27T00:00:00Z"
    static let policy = Repository.policy("standard.yml").path

    func sample(_ name: String) throws -> TestArchive {
        let a = try Harness.makeArchive(name)
        try a.importFixture("slack-sample")
        return a
    }

    /// What every plan must satisfy, whatever the golden file says.
    static func checkInvariants(_ plan: RetentionPlan) {
        #expect(plan.buckets == plan.shred.count)
        #expect(plan.messages == plan.shred.reduce(0) { $0 + $1.messageCount })
        #expect(plan.heldBuckets == plan.held.count)
        #expect(plan.heldMessages == plan.held.reduce(0) { $0 + $1.messageCount })
        #expect(plan.rules.reduce(0) { $0 + $1.buckets } == plan.buckets, "the rules account for every bucket")
        #expect(plan.channels.reduce(0) { $0 + $1.buckets } == plan.buckets, "the channels account for every bucket")
        #expect(plan.shred.allSatisfy(\.holds.isEmpty) && plan.held.allSatisfy { !$0.holds.isEmpty })
        #expect(plan.now == RetentionTime.parse(now))
    }

    @Test func planTextAndJSONMatchTheGoldenFiles() throws {
        let a = try sample("golden-plan")
        let before = Harness.snapshot(a.dir)
        let json = try a.run(["retention", "plan", "--policy", Self.policy, "--now", Self.now, "--json"]).expectSuccess("retention plan --json")
        let plan = try json.decode(RetentionPlan.self)
        Self.checkInvariants(plan)
        #expect(plan.buckets > 0 && !plan.rules.isEmpty && !plan.channels.isEmpty, "the sample has something to shred")
        #expect(json.stdout.split(separator: "\n").count == 1, "--json prints one line")

        let text = try a.run(["retention", "plan", "--policy", Self.policy, "--now", Self.now]).expectSuccess("retention plan")
        #expect(text.stdout == plan.render() + "\n", "the text is the rendering of the JSON's plan")
        #expect(Harness.snapshot(a.dir) == before, "plan changes nothing")

        try Golden.check(text.stdout, "retention-plan-standard.txt")
        try Golden.check(try Golden.json(json.stdout), "retention-plan-standard.json")

        // The comparison itself can fail: one changed count in either file is caught.
        if Golden.updating {
            print("SKIP: golden-mismatch check: LETHE_UPDATE_GOLDEN=1 rewrites instead of comparing")
        } else {
            let changedText = text.stdout.replacingOccurrences(of: "Would shred \(plan.buckets) ", with: "Would shred \(plan.buckets + 1) ")
            #expect(changedText != text.stdout)
            #expect(throws: TestFailure.self) { try Golden.check(changedText, "retention-plan-standard.txt") }
            let changedJSON = json.stdout.replacingOccurrences(of: "\"held_messages\":\(plan.heldMessages)", with: "\"held_messages\":\(plan.heldMessages + 1)")
            #expect(changedJSON != json.stdout)
            #expect(throws: TestFailure.self) { try Golden.check(try Golden.json(changedJSON), "retention-plan-standard.json") }
        }
    }

    @Test func applyJSONMatchesTheGoldenFile() throws {
        let a = try sample("golden-apply")
        let planned = try a.run(["retention", "plan", "--policy", Self.policy, "--now", Self.now, "--json"]).decode(RetentionPlan.self)
        let r = try a.run(["retention", "apply", "--policy", Self.policy, "--now", Self.now, "--json"]).expectSuccess("retention apply --json")
        let report = try ApplyReport(r)
        Self.checkInvariants(report.plan)
        #expect(report.plan == planned, "apply executes the plan that `plan` showed")
        #expect(report.result.buckets == planned.buckets && report.result.messages == planned.messages)
        #expect(report.result.damaged.isEmpty && report.result.auditSeq == 1)
        // The duration differs from run to run.
        try Golden.check(try Golden.json(r.stdout, replacing: ["seconds": 0]), "retention-apply-standard.json")
    }
}
