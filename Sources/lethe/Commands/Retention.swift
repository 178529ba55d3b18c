import ArgumentParser
import Foundation
import LetheCore

struct Retention: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Plan or apply a retention policy (crypto-shredding).",
        discussion: """
            `plan` shows exactly what `apply` would shred and changes nothing. `apply` destroys the keys of expired buckets (legal holds always win), deletes their ciphertext, leaves tombstones so no later import brings them back, and appends one entry to the audit chain. Both take --now to make a run reproducible. Shredding cannot be undone.

            Nightly, from cron:
              lethe retention apply --policy /etc/lethe/policy.yml --key-file /etc/lethe/key
            """,
        subcommands: [Plan.self, Apply.self])

    struct Common: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("The retention policy file (YAML).", valueName: "file"))
        var policy: String
        @Option(name: .long, help: ArgumentHelp("Evaluate as of this UTC time (ISO 8601, e.g. 2026-01-31T00:00:00Z, or a date). Default: now.", valueName: "time"))
        var now: String?

        func instant() throws -> Int64 { try Common.parse(now) }

        static func parse(_ now: String?) throws -> Int64 {
            guard let now else { return Int64(Date().timeIntervalSince1970) }
            if let t = RetentionTime.parse(now) { return t }
            if let d = CivilDate(iso: now) { return d.unixSeconds }
            throw LetheError(.usage, "--now \(now) is not an ISO 8601 UTC time", hint: "use 2026-01-31T00:00:00Z or 2026-01-31")
        }
    }

    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "plan", abstract: "Show what `apply` would shred; change nothing.")
        @OptionGroup var access: ArchiveAccess
        @OptionGroup var common: Common
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reporting {
                let policy = try RetentionJob.loadPolicy(URL(fileURLWithPath: common.policy))
                let now = try common.instant()
                let archive = try access.open(mode: .read, command: "lethe retention plan", roles: [.retention])
                let plan = try RetentionJob.plan(archive: archive, policy: policy, now: now)
                if output.json { try printJSON(plan) } else { printLine(plan.render()) }
            }
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "apply", abstract: "Shred what the policy says is expired. Irreversible.")
        @OptionGroup var access: ArchiveAccess
        @OptionGroup var common: Common
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var plan: RetentionPlan
            var result: ShredResult
        }

        func run() throws {
            try reporting {
                let policy = try RetentionJob.loadPolicy(URL(fileURLWithPath: common.policy))
                let now = try common.instant()
                let archive = try access.open(mode: .write, command: "lethe retention apply", roles: [.retention])
                let (plan, result) = try RetentionJob.apply(archive: archive, policy: policy, now: now)
                if output.json {
                    try printJSON(Report(plan: plan, result: result))
                    return
                }
                printLine(plan.render())
                printLine("Shredded \(grouped(result.buckets)) buckets (\(grouped(result.messages)) messages)"
                          + (result.channelsDestroyed > 0 ? ", and \(result.channelsDestroyed) emptied conversations" : "")
                          + "; audit entry #\(result.auditSeq).")
            }
        }
    }
}
