import ArgumentParser
import Foundation
import LetheCore

struct Policy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with retention policy files.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a policy file and show its rules.",
            discussion: "Exits 6 with file:line:column and a reason when the policy is invalid. Touches no archive.")

        @Argument(help: ArgumentHelp("The policy file (YAML).", valueName: "file"))
        var file: String
        @OptionGroup var output: OutputOptions

        struct Report: Encodable {
            var file: String
            var valid: Bool
            var policyDigest: String
            var rules: [RuleLine]
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
                if output.json {
                    try printJSON(Report(file: file, valid: true, policyDigest: policy.sourceDigest, rules: rules, holds: policy.holds.map(\.name)))
                    return
                }
                printLine("\(file): valid (version \(policy.version), digest \(policy.sourceDigest.prefix(16))…)")
                for r in rules { printLine("  rule \(r.name): keep \(r.keep)") }
                for h in policy.holds { printLine("  hold \(h.name)\(h.caseName.map { " (\($0))" } ?? "")") }
            }
        }
    }
}
