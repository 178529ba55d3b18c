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
        @OptionGroup var archiveOptions: ArchiveOptions
        @OptionGroup var secrets: SecretOptions
        @Option(name: .long, help: ArgumentHelp("Evaluate durations as of this UTC time (default: now).", valueName: "time"))
        var now: String?
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var file: String
            var valid: Bool
            var policyDigest: String
            var rules: [RuleLine]
            var holds: [String]
            var channels: [ChannelLine]?
        }

        struct ChannelLine: Encodable {
            var channelID: String
            var name: String?
            var kind: String
            var rule: String
            var keep: String
            var matchingRules: [String]
            var holds: [String]
        }

        struct RuleLine: Encodable {
            var name: String
            var keep: String
        }

        func run() throws {
            try reporting {
                let policy = try RetentionJob.loadPolicy(URL(fileURLWithPath: file))
                let rules = policy.allRules.map { RuleLine(name: $0.name, keep: $0.keep.description) }
                var channels: [ChannelLine]?
                if (archiveOptions.archive ?? ProcessInfo.processInfo.environment["LETHE_ARCHIVE"]) != nil {
                    let instant = try Retention.Common.parse(now)
                    let archive = try archiveOptions.open(secrets, mode: .read, command: "lethe policy check")
                    channels = try RetentionJob.channels(archive).map { c in
                        let choice = policy.ruleFor(channel: c, now: instant)
                        return ChannelLine(channelID: c.id, name: c.name, kind: c.kind.rawValue, rule: choice.rule.name,
                                           keep: choice.rule.keep.description, matchingRules: choice.matchingRules,
                                           holds: policy.holdsFor(channel: c).map(\.name))
                    }
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
                        let label = c.kind == "public" || c.kind == "private" ? "#" + (c.name ?? c.channelID) : (c.name ?? c.channelID)
                        let matched = c.matchingRules.isEmpty ? "no rule matched" : "matched: " + c.matchingRules.joined(separator: ", ")
                        printLine("  \(label) (\(c.kind)): \(c.rule), keep \(c.keep) — \(matched)\(c.holds.isEmpty ? "" : "; holds: " + c.holds.joined(separator: ", "))")
                    }
                }
            }
        }
    }
}
