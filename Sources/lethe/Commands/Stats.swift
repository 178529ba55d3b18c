import ArgumentParser
import Foundation
import LetheCore

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Show what the archive holds and how big it is.")

    @OptionGroup var access: ArchiveAccess
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reporting {
            let archive = try access.open(mode: .read, command: "lethe stats")
            let s = try ArchiveStats.compute(archive)
            if output.json {
                try printJSON(s)
                return
            }
            printLine("Archive \(archive.directory.path) (format \(s.formatVersion), \(s.bucketScheme) buckets)")
            printLine("  messages   \(grouped(s.messages))")
            let kinds = s.channelsByKind.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            printLine("  channels   \(grouped(s.channels))\(kinds.isEmpty ? "" : " (\(kinds))")")
            printLine("  users      \(grouped(s.users))")
            printLine("  buckets    \(grouped(s.buckets))\(s.firstBucket.map { " from \($0) to \(s.lastBucket ?? $0)" } ?? "")")
            printLine("  shredded   \(grouped(s.shreddedBuckets)) buckets")
            printLine("  files      \(grouped(s.files)) (\(formatBytes(s.fileBytes)) stored)\(s.filesMissing > 0 ? ", \(grouped(s.filesMissing)) missing (shared in messages, not in the export)" : "")")
            printLine("  size       \(formatBytes(s.totalBytes)) (\(s.bytes.sorted { $0.key < $1.key }.map { "\($0.key) \(formatBytes($0.value))" }.joined(separator: ", ")))")
        }
    }
}
