import ArgumentParser
import Foundation

@main
struct LetheGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lethe-gen",
        abstract: "Generate a deterministic, realistic Slack workspace export of any size.",
        discussion: """
            Writes a standard Slack export with DMs (channels.json, groups.json, dms.json, mpims.json, \
            users.json, integration_logs.json and one folder of day files per conversation), day files cut \
            in US Pacific time. The same arguments always give byte-identical output.
            """)

    enum Profile: String, ExpressibleByArgument, CaseIterable {
        /// 20 conversations, 50 users, one year: busy channels, many messages per day.
        case standard
        /// 300 conversations, 400 users, two years: most channels quiet, ~2–3 messages per
        /// conversation-day, as in real workspaces (the hard case for compression).
        case thin

        var defaults: (channels: Int, users: Int, days: Int) {
            switch self {
            case .standard: (20, 50, 365)
            case .thin: (300, 400, 730)
            }
        }
    }

    @Option(help: "The shape of the workspace when --channels, --users and --days are not given: standard (20 conversations, 50 users, 365 days) or thin (300, 400, 730: ~2-3 messages per conversation-day with 150,000 messages).")
    var profile: Profile = .standard

    @Option(help: "Total number of messages (thread replies included).")
    var messages: Int = 10_000

    @Option(help: "Number of conversations: public and private channels, DMs and group DMs (default: the profile's).")
    var channels: Int?

    @Option(help: "Number of users (default: the profile's).")
    var users: Int?

    @Option(help: "Number of Pacific days covered, ending at --end (default: the profile's).")
    var days: Int?

    @Option(help: "Last Pacific day of the export (YYYY-MM-DD).")
    var end: String = "2026-10-31"

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "Output directory (created; must be empty or absent).")
    var out: String

    @Option(help: "Also write a deflate zip of the export to this path.")
    var zip: String?

    @Option(help: "Write the ground truth (counts, buckets, markers) as JSON to this path.")
    var truth: String?

    @Flag(help: "Print timing to standard error.")
    var verbose = false

    func validate() throws {
        guard messages >= 0 else { throw ValidationError("--messages must be >= 0") }
        guard (channels ?? 1) >= 1 else { throw ValidationError("--channels must be >= 1") }
        guard (users ?? 2) >= 2 else { throw ValidationError("--users must be >= 2") }
        guard (days ?? 1) >= 1 else { throw ValidationError("--days must be >= 1") }
        guard Civil.parseISO(end) != nil else { throw ValidationError("--end must be YYYY-MM-DD") }
    }

    func run() throws {
        guard let endDay = Civil.parseISO(end) else { throw ValidationError("--end must be YYYY-MM-DD") }
        let d = profile.defaults
        let cfg = GenConfig(messages: messages, channels: channels ?? d.channels, users: users ?? d.users, days: days ?? d.days, seed: seed,
                            endDay: endDay, out: out)
        let t0 = Date()
        let gen = Generator(config: cfg)
        try gen.run()
        let t1 = Date()
        if verbose {
            FileHandle.standardError.write(Data(String(
                format: "generated %d messages in %d day files in %.2f s\n",
                gen.truth.total, gen.truth.dayFiles.count, t1.timeIntervalSince(t0)).utf8))
        }
        if let truth {
            try Data(gen.truthJSON()).write(to: URL(fileURLWithPath: truth))
        }
        if let zip {
            let date = Date(timeIntervalSince1970: TimeInterval(Pacific.midnight(day: endDay + 1)))
            try ZipExport.write(exportDir: out, to: zip, date: date)
            if verbose {
                FileHandle.standardError.write(Data(String(
                    format: "zipped in %.2f s\n", Date().timeIntervalSince(t1)).utf8))
            }
        }
    }
}
