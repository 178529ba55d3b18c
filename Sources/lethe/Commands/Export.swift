import ArgumentParser
import Foundation
import LetheCore

extension ProductionFormat: ExpressibleByArgument {}
extension ProductionSplit: ExpressibleByArgument {}
extension Exporter.FilesLayout: ExpressibleByArgument {}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Decrypt the archive, or a selection of it, into a Slack export or an RSMF production.",
        discussion: """
            Without selection options or --format: writes the whole archive back as a Slack export: users.json, channels.json, groups.json, dms.json, mpims.json and one <folder>/<YYYY-MM-DD>.json per conversation and day, each message in the day file it was imported from, in ts order; and the attached files, byte for byte, in the layout each was imported from (<folder>/attachments/<ID>-<name> or __uploads/<ID>/<name>; downloaded ones in the first), or all in one with --files-layout, or none with --no-files. Each file's digest is checked as it is written; one that does not open is left out and named.

            A production (any of --channel, --user, --from, --to, --query, --hold, --format, --split, --dry-run) writes the selected messages as RSMF 2.0.0 files (--format rsmf: one per conversation and UTC day, or per --split week|month|conversation, at most 10,000 events each) or as a smaller Slack export (--format slack), with loadfile.csv (one row per file, with its SHA-256) and manifest.json beside them, and records the production in the audit chain (`lethe audit`). Every criterion given must hold; repeated values of one option are alternatives. --channel takes a policy's channel globs (a leading # is dropped), --user a Slack user or bot id as holds name them, --from/--to UTC days (inclusive), --query lethe search's syntax (every match), --hold NAME --policy FILE every bucket that hold covers. A selected reply brings its thread parent, marked as context, unless --no-context. --dry-run reports what would be produced and changes nothing. docs/EXPORT.md has the details and the Slack to RSMF mapping.

            The output is plaintext: treat it accordingly. --out must be a new path or an empty folder. An existing file, a folder with anything in it, or a symbolic link is refused with exit 64 and left as it is: export never deletes or overwrites. The export is written into a hidden .NAME.lethe-partial-PID folder beside it and renamed into place only when complete. A production reads under the shared lock and takes the exclusive one only at the end, to append its audit entry (--wait SECONDS waits for it).
            """)

    @OptionGroup var access: ArchiveAccess
    @Option(name: .long, help: ArgumentHelp("Folder to write (must be new, or an empty folder).", valueName: "dir"))
    var out: String
    @Option(name: .long, help: ArgumentHelp("A production's format: rsmf or slack (default slack).", valueName: "format"))
    var format: ProductionFormat?
    @Option(name: .long, help: ArgumentHelp("RSMF files per conversation and: day (default), week, month, or conversation.", valueName: "unit"))
    var split: ProductionSplit?
    @Option(name: .long, help: ArgumentHelp("Conversations whose name matches this glob (repeatable).", valueName: "glob"))
    var channel: [String] = []
    @Option(name: .long, help: ArgumentHelp("Messages by this Slack user or bot id (repeatable).", valueName: "id"))
    var user: [String] = []
    @Option(name: .long, help: ArgumentHelp("First UTC day (inclusive).", valueName: "YYYY-MM-DD"))
    var from: String?
    @Option(name: .long, help: ArgumentHelp("Last UTC day (inclusive).", valueName: "YYYY-MM-DD"))
    var to: String?
    @Option(name: .long, help: ArgumentHelp("Messages matching this search query (repeatable: any of them).", valueName: "query"))
    var query: [String] = []
    @Option(name: .long, help: ArgumentHelp("Exactly what this legal hold of --policy covers.", valueName: "name"))
    var hold: String?
    @Option(name: .long, help: ArgumentHelp("The policy file defining --hold.", valueName: "file"))
    var policy: String?
    @Flag(name: .long, help: "Leave out the thread parents of selected replies.")
    var noContext = false
    @Option(name: .long, help: ArgumentHelp("Where attached files go: as-imported (default: each where its export had it), standard (<folder>/attachments/<ID>-<name>) or mattermost (__uploads/<ID>/<name>).", valueName: "layout"))
    var filesLayout: Exporter.FilesLayout?
    @Flag(name: .long, help: "Write the messages only, not the attached files.")
    var noFiles = false
    @Flag(name: .long, help: "Report what would be produced; write nothing.")
    var dryRun = false
    @OptionGroup var output: OutputOptions

    var isProduction: Bool {
        format != nil || split != nil || !channel.isEmpty || !user.isEmpty || from != nil || to != nil || !query.isEmpty
            || hold != nil || policy != nil || noContext || dryRun
    }

    func validate() throws {
        if (filesLayout != nil || noFiles) && isProduction { throw ValidationError("--files-layout and --no-files apply to a whole export (a production does not write attached files yet)") }
        if filesLayout != nil && noFiles { throw ValidationError("--files-layout and --no-files exclude each other") }
        if split != nil && format != .rsmf { throw ValidationError("--split applies to --format rsmf only") }
    }

    func run() throws {
        try reporting {
            let target = URL(fileURLWithPath: (out as NSString).expandingTildeInPath)
            guard isProduction else { return try exportAll(target) }
            let selection = try Selection(channels: channel, users: user, from: from, to: to, queries: query, hold: hold,
                                          policy: policy.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) }, context: !noContext)
            try Exporter.checkTarget(target)  // before the slow unlock
            let archive = try access.open(mode: .read, command: "lethe export")
            let production = Production(archive: archive, selection: selection, format: format ?? .slack, split: split ?? .day,
                                        progress: TerminalProgress())
            let report = try production.run(to: target, dryRun: dryRun, waitSeconds: access.location.wait)
            if output.json { return try printJSON(report) }
            let what = "\(grouped(report.messages)) messages (and \(grouped(report.contextMessages)) thread parents as context) from \(report.conversations) conversations, \(grouped(report.days)) conversation-days"
            if report.dryRun {
                printLine("Would produce \(what) as \(grouped(report.files)) \(report.format.rawValue) files in \(report.out); nothing was written.")
            } else {
                printLine("Produced \(what) as \(grouped(report.files)) \(report.format.rawValue) files in \(report.out), recorded as audit entry \(report.auditSeq ?? 0); load file SHA-256 \(report.loadFileSha256 ?? "").")
            }
        }
    }

    private func exportAll(_ target: URL) throws {
        try Exporter.checkTarget(target)  // before the slow unlock
        let archive = try access.open(mode: .read, command: "lethe export")
        let exporter = Exporter(archive: archive, progress: TerminalProgress())
        exporter.filesLayout = noFiles ? .none : filesLayout ?? .asImported
        let report = try exporter.run(to: target)
        for w in report.warnings { printWarning(w) }
        if output.json {
            try printJSON(report)
        } else {
            printLine("Exported \(grouped(report.messages)) messages in \(grouped(report.dayFiles)) day files, \(report.channels) conversations, \(report.users) users, \(grouped(report.files)) attached files (\(formatBytes(report.fileBytes))) to \(report.out).")
        }
    }
}
