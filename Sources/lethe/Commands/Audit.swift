import ArgumentParser
import Foundation
import LetheCore

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the audit chain of shreds, and check it with --verify.",
        discussion: "Each entry records when, under which policy digest and rules, which channel ids and date ranges were shredded, and counts. No content, no names. --verify exits 8 when any link is broken.")

    @OptionGroup var archiveOptions: ArchiveOptions
    @OptionGroup var secrets: SecretOptions
    @Flag(name: .long, help: "Recompute every link of the hash chain.")
    var verify = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reporting {
            let archive = try archiveOptions.open(secrets, mode: .read, command: "lethe audit")
            if verify {
                let v = try archive.verifyAudit()
                if output.json { try printJSON(v) } else if v.ok {
                    printLine("OK: the audit chain of \(v.entries) entries verifies.")
                } else {
                    printError("audit chain broken at entry \(v.firstBadSeq ?? 0): \(v.reason ?? "")", hint: nil)
                }
                if !v.ok { throw ExitCode(ExitCodes.code(for: .integrity)) }
                return
            }
            let entries = try archive.auditEntries()
            if output.json {
                for e in entries { printLine(e.json) }
                return
            }
            if entries.isEmpty { printLine("No shreds recorded.") }
            for e in entries { printLine("#\(e.seq) \(e.json)") }
        }
    }
}
