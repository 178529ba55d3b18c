import ArgumentParser
import Foundation
import LetheCore

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Decrypt the archive back into a Slack-format export folder.",
        discussion: """
            Writes users.json, channels.json, groups.json, dms.json, mpims.json and one <folder>/<YYYY-MM-DD>.json per conversation and day, each message in the day file it was imported from, in ts order. The output is plaintext: treat it accordingly.
            """)

    @OptionGroup var archiveOptions: ArchiveOptions
    @OptionGroup var secrets: SecretOptions
    @Option(name: .long, help: ArgumentHelp("Folder to write (must be new or empty).", valueName: "dir"))
    var out: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reporting {
            let archive = try archiveOptions.open(secrets, mode: .read, command: "lethe export")
            let report = try Exporter(archive: archive, progress: TerminalProgress())
                .run(to: URL(fileURLWithPath: (out as NSString).expandingTildeInPath))
            if output.json {
                try printJSON(report)
            } else {
                printLine("Exported \(grouped(report.messages)) messages in \(grouped(report.dayFiles)) day files, \(report.channels) conversations, \(report.users) users to \(report.out).")
            }
        }
    }
}
