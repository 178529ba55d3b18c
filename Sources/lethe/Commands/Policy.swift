import ArgumentParser
import Foundation
import LetheCore

struct Policy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Work with retention policy files.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate a policy file and show its rules.",
            discussion: """
                Exits 6 with file:line:column and a reason when the policy is invalid. With an archive (--archive or LETHE_ARCHIVE) and a secret, also prints for every channel the rule that governs it, its keep, and every rule that matched. Changes nothing.
                """)

        @Argument(help: ArgumentHelp("The policy file (YAML).", valueName: "file"))
        var file: String
        @OptionGroup var access: ArchiveAccess
        @Option(name: .long, help: ArgumentHelp("Evaluate durations as of this UTC time (default: now).", valueName: "time"))
        var now: String?
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var file: String
            var valid: Bool
            var policyDigest: String
            var rules: [RuleLine]
            var holds: [String]
            var channels: [RetentionJob.Governance]?
        }

        struct RuleLine: Encodable {
            var name: String
            var keep: String
        }

        func run() throws {
            try reporting {
                let policy = try RetentionJob.loadPolicy(URL(fileURLWithPath: file))
                let rules = policy.allRules.map { RuleLine(name: $0.name, keep: $0.keep.description) }
                var channels: [RetentionJob.Governance]?
                if (access.location.archive ?? ProcessInfo.processInfo.environment["LETHE_ARCHIVE"]) != nil {
                    let instant = try Retention.Common.parse(now)
                    let archive = try access.open(mode: .read, command: "lethe policy check", roles: [.retention])
                    channels = try RetentionJob.governance(archive, policy: policy, now: instant)
                }
                if output.json {
                    try printJSON(Report(file: file, valid: true, policyDigest: policy.sourceDigest, rules: rules,
                                         holds: policy.holds.map(\.name), channels: channels))
                    return
                }
                printLine("\(file): valid (version \(policy.version), digest \(policy.sourceDigest.prefix(16))…)")
                for r in rules { printLine("  rule \(r.name): keep \(r.keep)") }
                for h in policy.holds { printLine("  hold \(h.name)\(h.caseName.map { " (\($0))" } ?? "")") }
                if let channels {
                    printLine("Channels:")
                    for c in channels {
                        let matched = c.matchingRules.isEmpty ? "no rule matched" : "matched: " + c.matchingRules.joined(separator: ", ")
                        printLine("  \(c.label) (\(c.kind.rawValue)): \(c.rule), keep \(c.keep) — \(matched)\(c.holds.isEmpty ? "" : "; holds: " + c.holds.joined(separator: ", "))")
                    }
                }
            }
        }
    }
}
