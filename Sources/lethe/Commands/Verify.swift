import ArgumentParser
import Foundation
import LetheCore

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that every record authenticates and decodes.",
        discussion: "Exits 0 when all is well, 8 when any record fails, naming its channel and bucket.")

    @OptionGroup var access: ArchiveAccess
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reporting {
            let archive = try access.open(mode: .read, command: "lethe verify")
            let report = try Verifier(archive: archive, progress: TerminalProgress()).run()
            if output.json {
                try printJSON(report)
            } else if report.ok {
                printLine("OK: \(grouped(report.messages)) messages\(report.items > 0 ? " and \(grouped(report.items)) items" : "") in \(grouped(report.buckets)) buckets, \(report.channels) channels, \(report.users) users\(report.files > 0 ? ", \(grouped(report.files)) attached files (\(formatBytes(report.fileBytes)))" : "") authenticate.")
            } else {
                for f in report.failures { printError(f.reason, hint: nil) }
                printLine("FAILED: \(report.failures.count) record(s) do not verify; \(grouped(report.messages)) messages in good buckets.")
            }
            if !report.ok { throw ExitCode(ExitCodes.code(for: .integrity)) }
        }
    }
}
