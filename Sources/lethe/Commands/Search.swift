import ArgumentParser
import Foundation
import LetheCore

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search the archive, with Slack's query syntax.",
        discussion: """
            Words must all match, as whole words, ignoring case and accents; a trailing * matches a prefix. "exact phrase", -word and -"phrase" exclude. Modifiers, as in Slack:
              from:@alice  from:U123      in:#channel  in:@bob (the DM with bob)
              in:acme-eng/#general (a channel of one Grid workspace, team or guild)
              in:"Zine Club/#general"  from:"Ana Lima" (quote a value that holds spaces)
              before:2024-04-01  after:2024-03-01  on:2024-03-05  during:2024-03 (or 2024)
              is:thread  has:file  has:reaction
            Results are newest first (--sort relevance ranks by matched words). On a terminal, matches are highlighted; --json prints one object per result line.
            Examples:
              lethe search 'deploy from:@alice in:#eng-deploys during:2024-03'
              lethe search '"exact phrase" -draft' --limit 20
            """)

    @OptionGroup var access: ArchiveAccess
    @Argument(help: "The query.")
    var query: String
    @Option(name: .long, help: "At most this many results (default 50).")
    var limit = 50
    @Option(name: .long, help: "The order of results.")
    var sort: SearchSort = .newest
    @Option(name: .long, help: "Show this many messages before and after each result.")
    var context = 0
    @Flag(name: .long, help: "Print to stderr how much the search read (filters checked, buckets decrypted, messages scanned, ms).")
    var stats = false
    @OptionGroup var output: OutputOptions

    struct JSONLine: Encodable {
        var channelID: String
        var channel: String
        var kind: String
        var ts: String
        var date: String
        var userID: String?
        var user: String?
        var text: String
        var threadTs: String?
        /// An item's file (canvases.json, …), absent for a message.
        var item: String?
        var context: [ContextLine]?
    }

    struct ContextLine: Encodable {
        var ts: String
        var userID: String?
        var user: String?
        var text: String
    }

    func run() throws {
        try reporting {
            guard limit > 0 else { throw LetheError(.usage, "--limit must be at least 1") }
            let sortOrder = sort
            let q = try QueryParser.parse(query)  // syntax errors before any secret is asked for
            let archive = try access.open(mode: .read, command: "lethe search")
            let engine = try SearchEngine(archive: archive)
            let (hits, searchStats) = try engine.search(q, options: SearchOptions(limit: limit, sort: sortOrder, context: max(0, context)))
            if stats {
                FileHandle.standardError.write(Data(String(format: "lethe: search: %d filters checked, %d buckets decrypted, %d messages scanned, %.1f ms\n",
                                                           searchStats.filtersChecked, searchStats.bucketsDecrypted, searchStats.messagesScanned,
                                                           searchStats.milliseconds).utf8))
            }
            let iso = ISO8601DateFormatter()
            if output.json {
                var out = Data()
                let encoder = JSONEncoder()
                encoder.keyEncodingStrategy = .convertToSnakeCase
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                for h in hits {
                    let m = h.message
                    let ctx = context > 0 ? (h.before + h.after).map { ContextLine(ts: $0.ts.string, userID: $0.userID, user: $0.user, text: $0.text) } : nil
                    let line = JSONLine(channelID: h.channelID, channel: h.channel, kind: h.kind.rawValue, ts: m.ts.string,
                                        date: iso.string(from: Date(timeIntervalSince1970: TimeInterval(m.ts.seconds))),
                                        userID: m.userID, user: m.user, text: m.text, threadTs: m.threadTS, item: m.item, context: ctx)
                    out.append(try encoder.encode(line))
                    out.append(10)
                }
                FileHandle.standardOutput.write(out)
                return
            }
            let tty = isatty(STDOUT_FILENO) == 1
            let local = DateFormatter()
            local.dateFormat = "yyyy-MM-dd HH:mm"
            func show(_ l: SearchHit.Line, marker: String, highlights: [Range<String.Index>]) -> String {
                let when = local.string(from: Date(timeIntervalSince1970: TimeInterval(l.ts.seconds)))
                let text = tty && !highlights.isEmpty ? Highlighter.wrap(l.text, ranges: highlights, open: "\u{1B}[1;33m", close: "\u{1B}[0m") : l.text
                let body = text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n      ")
                return "\(marker) \(when)  \(l.user ?? "?")\(l.threadTS != nil && l.threadTS != l.ts.string ? "  (in thread)" : "")\(l.item.map { "  (\($0))" } ?? "")\n      \(body)"
            }
            var text = ""
            var lastChannel = ""
            for h in hits {
                if h.channel != lastChannel || context > 0 {
                    text += (tty ? "\u{1B}[1m\(h.channel)\u{1B}[0m" : h.channel) + "\n"
                    lastChannel = h.channel
                }
                for b in h.before { text += show(b, marker: "   ", highlights: []) + "\n" }
                text += show(h.message, marker: "  >", highlights: h.highlights) + "\n"
                for a in h.after { text += show(a, marker: "   ", highlights: []) + "\n" }
            }
            text += hits.isEmpty ? "No results.\n" : "\(hits.count) result\(hits.count == 1 ? "" : "s")\(hits.count == limit ? " (the newest \(limit); use --limit for more)" : "").\n"
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
