import ArgumentParser
import Foundation
import LetheCore

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the audit chain of shreds and productions, and check it with --verify.",
        discussion: "Each shred entry records when, under which policy digest and rules, which channel ids and date ranges were shredded, and counts; each production entry (kind production: lethe export with a selection or --format) records when, the format, counts, the SHA-256 of its load file and the selection. No content. Which channels were shredded or held, and a production's selection, are sealed in the entry (a secret reads them); times, rules, counts and digests are readable from keys.db without one. --verify exits 8 when any link is broken or entries were deleted.")

    @OptionGroup var access: ArchiveAccess
    @Flag(name: .long, help: "Recompute every link of the hash chain.")
    var verify = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reporting {
            let archive = try access.open(mode: .read, command: "lethe audit", roles: [.retention])
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
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            func line(_ e: AuditEntry) throws -> String {
                guard let view = AuditEntryView(e) else { return e.json }  // not an entry lethe wrote: shown as stored
                return String(decoding: try encoder.encode(view), as: UTF8.self)
            }
            if output.json {
                for e in entries { printLine(try line(e)) }
                return
            }
            if entries.isEmpty { printLine("No shreds or productions recorded.") }
            for e in entries { printLine("#\(e.seq) \(try line(e))") }
        }
    }
}
