import ArgumentParser
import Foundation
import LetheCore

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import Slack exports (zip files or unpacked folders), or slackdump's own formats.",
        discussion: """
            Re-importing an overlapping or later export adds what is new, updates what was edited, duplicates nothing, and never brings back a bucket retention shredded (those messages are counted as skipped_shredded).

            Every file of an export is imported or listed as not imported, with why (files_unread in --json: a workspace.json, search results, avatars …); --strict fails on any. An export without channels.json is imported with its folders taken as public channels (a note names each).

            Canvases, lists, huddle transcripts, file conversations (FC_… folders) and integration logs are archived as items of the conversation they name (else of the workspace conversation, kind workspace): sealed in its buckets, searchable, shredded by retention with it, exported back to their files.

            Malformed records (a message without ts, a field of the wrong type) are skipped with a warning naming the file, and counted; --strict fails instead. A file that is not JSON, nests too deep, or breaks a size limit fails the import. Zip entries that would escape the export (.., absolute paths, symlinks) and duplicate entries are skipped with a warning.

            A channel whose name cannot be a folder (.., a path, a NUL, users.json, a case-only twin of another, over 200 bytes) keeps all its messages and is exported to a safe folder name instead; the warning names the channel id and that folder.

            Attached files are archived with their messages: slackdump's layouts (<channel folder>/attachments/<FILE_ID>-<name>, __uploads/<FILE_ID>/<name>) are read and matched to messages by files[].id, each file encrypted in 1 MiB chunks under a key that only its bucket's key opens, so retention shreds it with the bucket. The same bytes in one bucket are stored once. A file no message shares is listed in files_unread; a file a message shares that the export does not hold is counted as files_missing. Slack's own exports hold only links: --fetch-files downloads them with the token in $SLACK_TOKEN (never an argument), over https only, --fetch-concurrency at a time, retrying on HTTP 429 (honouring Retry-After) and 5xx; each downloaded file is committed when complete, so an interrupted run is resumed by running it again. What could not be fetched is listed with why.

            slackdump's own formats are read too, recognised by their contents: a dump (a folder or zip of <channel id>.json files), a chunk archive (*.json.gz) and its SQLite database (slackdump.sqlite, or its folder; opened read-only). Each message is kept once, the last copy slackdump fetched; thread replies become messages of their own, as in a Slack export; lethe export writes it all back as a Slack export.

            An import is one transaction: when it fails or is killed, the archive is exactly as it was, and it can simply be run again.
            """)

    @OptionGroup var access: ArchiveAccess
    @Flag(name: .long, help: "Fail on the first malformed record, or any file not imported, instead of skipping it.")
    var strict = false
    @Option(name: .long, help: ArgumentHelp("Refuse an export file bigger than this uncompressed (default 512M).", valueName: "size"))
    var maxFileSize: String?
    @Option(name: .long, help: ArgumentHelp("Refuse an export bigger than this in all, uncompressed (default 64G).", valueName: "size"))
    var maxTotalSize: String?
    @Option(name: .long, help: ArgumentHelp("Refuse a zip entry over 1 MiB that inflates more than N times its size (default 200: zip bombs).", valueName: "n"))
    var maxRatio: Int?
    @Option(name: .long, help: ArgumentHelp("Commit after about this much new ciphertext (e.g. 64M). By default an import is one transaction: one that fails or is killed leaves the archive as it was; with this, a killed import keeps what it committed, at the price of a partial import after an error.", valueName: "size"))
    var commitEvery: String?
    @Flag(name: .long, help: "Download the files messages link to (files[].url_private_download) that the export does not hold, with the token in $SLACK_TOKEN.")
    var fetchFiles = false
    @Option(name: .long, help: ArgumentHelp("Refuse an attached file bigger than this, in the export or downloaded (default 1G).", valueName: "size"))
    var maxAttachmentSize: String?
    @Option(name: .long, help: ArgumentHelp("Downloads at once with --fetch-files (default 4).", valueName: "n"))
    var fetchConcurrency: Int?
    @Option(name: .long, help: ArgumentHelp("Give up on a download attempt after this many seconds without data (default 60).", valueName: "seconds"))
    var fetchTimeout: Double?
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp("Export zip files or folders, imported in order.", valueName: "export"))
    var paths: [String]

    func run() throws {
        try reporting {
            var options = ImportOptions()
            options.strict = strict
            if let maxFileSize {
                options.limits.maxFileBytes = Int(clamping: try ByteSize.parse(maxFileSize, option: "--max-file-size"))
            }
            if let maxTotalSize { options.limits.maxTotalBytes = try ByteSize.parse(maxTotalSize, option: "--max-total-size") }
            if let commitEvery { options.commitEveryBytes = Int(try ByteSize.parse(commitEvery, option: "--commit-every")) }
            if let maxRatio {
                guard maxRatio > 0 else { throw LetheError(.usage, "--max-ratio must be at least 1") }
                options.limits.maxCompressionRatio = maxRatio
            }
            if let maxAttachmentSize { options.maxAttachmentBytes = try ByteSize.parse(maxAttachmentSize, option: "--max-attachment-size") }
            if fetchFiles {
                guard let token = ProcessInfo.processInfo.environment["SLACK_TOKEN"], !token.isEmpty else {
                    throw LetheError(.usage, "--fetch-files needs a Slack token in $SLACK_TOKEN", hint: "export SLACK_TOKEN=xoxp-… (a token that can read the workspace's files); it is never taken as an argument")
                }
                options.fetchFiles = true
                options.fetch = FetchOptions(token: token)
                if let fetchConcurrency {
                    guard (1...32).contains(fetchConcurrency) else { throw LetheError(.usage, "--fetch-concurrency must be between 1 and 32") }
                    options.fetch.concurrency = fetchConcurrency
                }
                if let fetchTimeout {
                    guard fetchTimeout > 0 else { throw LetheError(.usage, "--fetch-timeout must be more than 0 seconds") }
                    options.fetch.timeout = fetchTimeout
                }
            } else if fetchConcurrency != nil || fetchTimeout != nil {
                throw LetheError(.usage, "--fetch-concurrency and --fetch-timeout apply to --fetch-files only")
            }
            let archive = try access.open(mode: .write, command: "lethe import", roles: [.importer])
            let progress = TerminalProgress()
            let report = try Importer(archive: archive, options: options, progress: progress)
                .run(paths.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) })
            if output.json {
                try printJSON(report)
                return
            }
            printLine("Imported \(report.sources.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")) in \(String(format: "%.1f", report.seconds)) s:")
            printLine("  \(grouped(report.messagesAdded)) added, \(grouped(report.messagesUpdated)) updated, \(grouped(report.messagesUnchanged)) unchanged")
            if let role = report.roleKey {
                printLine("  \(grouped(report.messagesDeferred)) new or changed messages and \(report.recordsDeferred) records written sealed, for the full key to fold in (role key \(role); audit entry #\(report.auditSeq ?? 0))")
            }
            if report.messagesSkippedShredded > 0 { printLine("  \(grouped(report.messagesSkippedShredded)) skipped: their buckets were shredded by retention") }
            if report.messagesSkippedInvalid > 0 { printLine("  \(grouped(report.messagesSkippedInvalid)) skipped: malformed (see warnings)") }
            if report.messagesSkippedDuplicate > 0 { printLine("  \(grouped(report.messagesSkippedDuplicate)) duplicates merged") }
            printLine("  \(report.channels) conversations (\(report.channelsAdded) new), \(report.usersAdded) new users, \(grouped(report.dayFiles)) day files, \(grouped(report.bucketsWritten)) buckets written")
            if !report.itemsRead.isEmpty {
                var line = "  \(grouped(report.itemsRead.values.reduce(0, +))) items of \(report.itemsRead.count) files (canvases, lists, logs …): \(grouped(report.itemsAdded)) added, \(grouped(report.itemsUpdated)) updated, \(grouped(report.itemsUnchanged)) unchanged"
                if report.itemsSkippedShredded > 0 { line += ", \(grouped(report.itemsSkippedShredded)) skipped (shredded)" }
                if report.itemsDeferred > 0 { line += ", \(grouped(report.itemsDeferred)) written sealed" }
                printLine(line)
            }
            if report.filesAdded + report.filesDeduplicated + report.filesUnchanged + report.filesMissing + report.filesFetched > 0 {
                var line = "  \(grouped(report.filesAdded)) files stored (\(formatBytes(report.fileBytes)))"
                if report.filesFetched > 0 { line += ", \(grouped(report.filesFetched)) of them downloaded" }
                if report.filesDeduplicated > 0 { line += ", \(grouped(report.filesDeduplicated)) shared again (stored once)" }
                if report.filesUnchanged > 0 { line += ", \(grouped(report.filesUnchanged)) already archived" }
                if report.filesMissing > 0 { line += ", \(grouped(report.filesMissing)) missing (shared in messages, not in the export\(fetchFiles ? " and not downloaded" : "; --fetch-files downloads linked ones"))" }
                printLine(line)
            }
            if !report.filesNotFetched.isEmpty {
                printLine("  \(grouped(report.filesNotFetched.count)) file(s) could not be downloaded (run the import again to retry):")
                for f in report.filesNotFetched.prefix(20) { printLine("    \(f.file): \(f.reason)") }
                if report.filesNotFetched.count > 20 { printLine("    … and \(report.filesNotFetched.count - 20) more (see --json)") }
            }
            if !report.filesUnread.isEmpty {
                printLine("  \(grouped(report.filesUnread.count)) file(s) not imported:")
                for f in report.filesUnread.prefix(20) { printLine("    \(f.path): \(f.reason)") }
                if report.filesUnread.count > 20 { printLine("    … and \(report.filesUnread.count - 20) more (see --json)") }
            }
            for n in report.notes.prefix(20) { printNote(n) }
            if report.notes.count > 20 { printNote("… and \(report.notes.count - 20) more (see --json)") }
            for w in report.warnings.prefix(20) { printWarning(w) }
            if report.warnings.count > 20 { printWarning("… and \(report.warnings.count - 20) more (see --json)") }
        }
    }
}
