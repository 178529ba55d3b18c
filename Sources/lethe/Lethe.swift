import ArgumentParser
import Foundation
import LetheCore

struct Lethe: ParsableCommand {

    static let configuration = CommandConfiguration(
        commandName: "lethe",
        abstract: "An encrypted archive of chat workspace exports, with retention that really deletes.",
        discussion: """
            Lethe keeps Slack exports in an encrypted, compressed archive (a folder
            given by --archive or LETHE_ARCHIVE). Every message is sealed under a key
            per channel and time bucket; retention destroys those keys, so expired
            content is gone from every copy of the archive.

            Secrets never go on the command line: set LETHE_PASSPHRASE, or pass
            --passphrase-file FILE or --key-file FILE; otherwise lethe asks on the terminal.

            Typical use:
              lethe init --key-file ~/.lethe.key
              lethe import slack-export.zip
              lethe stats
              lethe verify
              lethe export --out ./restored

            Exit codes:
            \(ExitCodes.table.map { "  \($0.1)  \($0.2)" }.joined(separator: "\n"))
            """,
        subcommands: [Init.self, Import.self, Stats.self, Verify.self, Export.self, Policy.self, Retention.self, Forget.self, Audit.self, Key.self, Search.self, Compact.self, Serve.self])
}
