import Foundation

/// Where the repository's own files are, for every test target.
public enum Repository {
    /// The package root: Tests/LetheTestSupport/<this file> → Tests → root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// Our own sample exports and the format-1 archive (Tests/Fixtures).
    public static let fixtures = root.appendingPathComponent("Tests/Fixtures")
    /// The fuzzers' seed and crash inputs, one folder per target (Tests/FuzzCorpus).
    public static let fuzzCorpus = root.appendingPathComponent("Tests/FuzzCorpus")
    /// Expected outputs compared exactly (Tests/Golden; see `Golden`).
    public static let golden = root.appendingPathComponent("Tests/Golden")

    /// A shipped example policy, e.g. `policy("standard.yml")`.
    public static func policy(_ name: String) -> URL { root.appendingPathComponent("Policies").appendingPathComponent(name) }

    /// A fixture below Tests/Fixtures, e.g. `fixture("slack-sample")`.
    public static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }
}

/// The shared corpus of real exports next to the repository (`../shared/corpus`), never
/// copied into it. Absent on some machines: every lookup then prints `SKIP: …` and why.
public enum SharedCorpus {
    public static let root = Repository.root.deletingLastPathComponent().appendingPathComponent("shared/corpus")
    /// The real Slack exports: one folder each.
    public static let slack = root.appendingPathComponent("slack")

    /// The Slack export folders of the corpus (those holding a channels.json), sorted; empty,
    /// after printing `SKIP: <what>: …`, when the corpus is not there.
    public static func slackExports(skipping what: String) -> [URL] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: slack.path) else {
            print("SKIP: \(what): shared corpus exports not found at \(slack.path)")
            return []
        }
        return names.sorted().map { slack.appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("channels.json").path) }
    }

    /// One named export of the corpus, or nil after printing `SKIP: …` when it is absent.
    public static func slackExport(_ name: String) -> URL? {
        let u = slack.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: u.path) else {
            print("SKIP: corpus sample \(name) not found at \(u.path)")
            return nil
        }
        return u
    }
}
