import ArgumentParser
import Foundation
import LetheCore

struct Compact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Fold what role-key imports wrote into the archive (needs the full secret).",
        discussion: "An import run with an import role key (`lethe key issue --role import`) cannot open the archive's buckets, so it writes each bucket's new or changed messages as a delta segment under a key sealed to the archive, and new conversation and user records sealed the same way. Every command run with the full secret folds them in first, when it can have the archive to itself: each bucket's deltas merged into it in order with the import's own rules (the newer version of a message wins, an older export rolls nothing back, shredded buckets stay shredded), the search filters updated, the delta keys destroyed. This command does only that, and says what it did.")

    @OptionGroup var access: ArchiveAccess
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reporting {
            let archive = try access.open(mode: .write, command: "lethe compact")
            let r = archive.compaction ?? CompactReport()
            if output.json {
                try printJSON(r)
                return
            }
            if r.isEmpty {
                printLine("Nothing to fold in: no role-key import since the last full-key command.")
            } else {
                printLine("Folded in \(grouped(r.deltaSegments)) delta segments into \(grouped(r.buckets)) buckets: \(grouped(r.messagesAdded)) messages added, \(grouped(r.messagesUpdated)) updated, \(grouped(r.messagesUnchanged)) unchanged; \(r.records) records, \(r.channelKeysRewrapped) conversation keys rewrapped.")
            }
        }
    }
}
