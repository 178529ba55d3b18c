/// Lethe's fuzz targets: one function per parser of untrusted bytes.
///
/// Each target takes any bytes and must return normally: a thrown `LetheError`
/// is a correct refusal. A trap (out-of-bounds, overflow, a broken invariant
/// checked with `require`), a hang or a huge allocation is a bug. The same
/// functions run under libFuzzer (`make fuzz`), from `lethe-fuzz <target> FILE…`,
/// and in the test suite over `Tests/FuzzCorpus/<target>/`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Slack export zips, unpacked exports held in memory, and single JSON texts.
    case exportReader = "export-reader"
    /// Mattermost bulk exports (JSON Lines).
    case mattermostReader = "mattermost-reader"
    /// DiscordChatExporter channel files (JSON).
    case discordReader = "discord-reader"
    /// Retention policy YAML.
    case policyParser = "policy-parser"
    /// Search queries, and the matcher and highlighter on what parses.
    case queryParser = "query-parser"
    /// Sealed envelopes, segment payloads, metadata records, search filters.
    case recordDecoder = "record-decoder"

    /// Runs one input through this target.
    public func run(_ input: [UInt8]) {
        switch self {
        case .exportReader: FuzzExportReader.run(input)
        case .mattermostReader: FuzzMattermostReader.run(input)
        case .discordReader: FuzzDiscordReader.run(input)
        case .policyParser: FuzzPolicyParser.run(input)
        case .queryParser: FuzzQueryParser.run(input)
        case .recordDecoder: FuzzRecordDecoder.run(input)
        }
    }
}

/// Stops the process when an invariant does not hold: a bug for the fuzzer to report.
func require(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError(message(), file: file, line: line) }
}
