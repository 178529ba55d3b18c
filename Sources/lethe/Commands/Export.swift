import ArgumentParser
import Foundation
import LetheCore

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Decrypt the archive back into a Slack-format export folder.",
        discussion: """
            Writes users.json, channels.json, groups.json, dms.json, mpims.json and one <folder>/<YYYY-MM-DD>.json per conversation and day, each message in the day file it was imported from, in ts order. The output is plaintext: treat it accordingly.

            --out must be a new path or an empty folder. An existing file, a folder with anything in it, or a symbolic link is refused with exit 64 and left as it is: export never deletes or overwrites. The export is written into a hidden .NAME.lethe-partial-PID folder beside it and renamed into place only when complete.
            """)

    @OptionGroup var archiveOptions: ArchiveOptions
    @OptionGroup var secrets: SecretOptions
    @Option(name: .long, help: ArgumentHelp("Folder to write (must be new, or an empty folder).", valueName: "dir"))
    var out: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reporting {
            let target = URL(fileURLWithPath: (out as NSString).expandingTildeInPath)
            try Exporter.checkTarget(target)  // before the slow unlock
            let archive = try archiveOptions.open(secrets, mode: .read, command: "lethe export")
            let report = try Exporter(archive: archive, progress: TerminalProgress()).run(to: target)
            for w in report.warnings { printWarning(w) }
            if output.json {
                try printJSON(report)
            } else {
                printLine("Exported \(grouped(report.messages)) messages in \(grouped(report.dayFiles)) day files, \(report.channels) conversations, \(report.users) users to \(report.out).")
            }
        }
    }
}
