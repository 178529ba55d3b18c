import ArgumentParser
import Foundation
import LetheCore

struct Forget: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Erase one person's messages, one message, or every match of a query, now and for good.",
        discussion: """
            For an erasure request (GDPR Art. 17), a harassment message, a leaked password: every bucket holding a forgotten message is re-sealed without it under a new key, and the old key is destroyed as retention destroys keys, so no copy of data.db from before can give it back. Search filters are rebuilt without its words, a keyed tombstone stops a later import of an old export from bringing it back, and the audit chain records the run (the reason and the scope sealed). See docs/ERASURE.md.

            Give exactly one of --user, --message, --query. Legal holds win: with --policy, if a hold of the policy covers any message the forget would remove, nothing is forgotten and lethe exits 11 naming the holds. --no-policy skips that check (the audit records it).

            --dry-run lists what would go (per conversation and day; for --query the messages themselves) and changes nothing. On a terminal the real run asks for confirmation unless --yes.

            Examples:
              lethe forget --user U024BE7LH --policy /etc/lethe/policy.yml --reason "GDPR request 2026-118" --dry-run
              lethe forget --message C01ABCD/1712173142.143619 --policy policy.yml --reason "doxxing"
              lethe forget --message https://acme.slack.com/archives/C01ABCD/p1712173142143619 --policy policy.yml --reason "leak"
              lethe forget --query 'AKIA in:#deploys' --policy policy.yml --reason "leaked AWS key"
            """)

    @OptionGroup var access: ArchiveAccess
    @Option(name: .long, help: ArgumentHelp("Forget every message this Slack user (or bot id, or bot username) wrote.", valueName: "id"))
    var user: String?
    @Option(name: .long, help: ArgumentHelp("Forget one message: CHANNEL/TS or a Slack permalink.", valueName: "message"))
    var message: String?
    @Option(name: .long, help: ArgumentHelp("Forget every message this search query matches (lethe search's syntax, no limit).", valueName: "query"))
    var query: String?
    @Flag(name: .long, help: "With --message on a thread's parent: forget its replies too.")
    var withReplies = false
    @Flag(name: .long, help: "With --user: remove their name, display name and profile from the directory too.")
    var includeProfile = false
    @Option(name: .long, help: ArgumentHelp("The retention policy whose legal holds must not be broken.", valueName: "file"))
    var policy: String?
    @Flag(name: .long, help: "Forget without checking legal holds (recorded in the audit).")
    var noPolicy = false
    @Option(name: .long, help: ArgumentHelp("Why: recorded, sealed, in the audit chain (e.g. \"GDPR request 2026-118\").", valueName: "text"))
    var reason: String
    @Flag(name: .long, help: "Show what would be forgotten; change nothing.")
    var dryRun = false
    @Flag(name: .long, help: "Do not ask for confirmation on a terminal.")
    var yes = false
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard [user, message, query].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --user, --message, --query")
        }
        guard (policy != nil) != noPolicy else { throw ValidationError("give --policy FILE (its legal holds are respected) or --no-policy") }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--reason must say why") }
        guard !includeProfile || user != nil else { throw ValidationError("--include-profile goes with --user") }
    }

    func scope() throws -> ForgetScope {
        if let user { return .user(user) }
        if let message { return try ForgetScope.message(message, withReplies: withReplies) }
        return .query(try QueryParser.parse(query ?? ""), text: query ?? "")
    }

    func run() throws {
        try reporting {
            let scope = try scope()  // syntax errors before any secret is asked for
            let loaded = try policy.map { try RetentionJob.loadPolicy(URL(fileURLWithPath: $0)) }
            let listMatches = query != nil && dryRun
            if !dryRun && !yes && isatty(STDIN_FILENO) == 1 {
                // What would go first, then the question.
                let preview = try access.open(mode: .read, command: "lethe forget --dry-run")
                let r = try ForgetJob.run(preview, scope: scope, policy: loaded, reason: reason, dryRun: true)
                OpenedArchive.current = nil
                show(r)
                FileHandle.standardError.write(Data("Forget these \(grouped(r.messages)) messages for good? Type yes: ".utf8))
                guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                    printLine("Nothing forgotten.")
                    return
                }
            }
            let archive = try access.open(mode: dryRun ? .read : .write, command: "lethe forget")
            let report: ForgetReport
            do {
                report = try ForgetJob.run(archive, scope: scope, policy: loaded, reason: reason, dryRun: dryRun, listMatches: listMatches,
                                           includeProfile: includeProfile)
            } catch let held as HeldByLegalHold {
                let list = held.holds.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value) messages)" }.joined(separator: ", ")
                throw LetheError(.held, "legal holds cover messages this forget would remove: \(list); nothing was forgotten",
                                 hint: "release the hold in the policy first if the erasure must go ahead (deleting held data is spoliation)")
            }
            if output.json { try printJSON(report) } else { show(report) }
        }
    }

    func show(_ r: ForgetReport) {
        for m in r.matches ?? [] { printLine("  \(m.channel)  \(m.ts)  \(m.user ?? "?"): \(m.text)") }
        for c in r.channels {
            let days = c.days.sorted { $0.key < $1.key }
            let range = days.first.map { $0.key + (days.count > 1 ? " … " + days.last!.key : "") } ?? ""
            printLine("  \(c.label) (\(c.channelID)): \(grouped(c.messages)) messages on \(days.count) day\(days.count == 1 ? "" : "s") \(range)")
        }
        if r.profileForgotten == true { printLine(r.dryRun ? "  and their profile (name, display name, avatar)" : "  Their profile is removed from the directory too.") }
        if r.dryRun {
            printLine("Would forget \(grouped(r.messages)) messages, rewriting \(grouped(r.bucketsRewritten)) buckets. Nothing was changed.")
        } else {
            printLine("Forgot \(grouped(r.messages)) messages: \(grouped(r.bucketsRewritten)) buckets rewritten under new keys, their old keys destroyed"
                      + (r.auditSeq.map { "; audit entry #\($0)." } ?? "."))
        }
    }
}
