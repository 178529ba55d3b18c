import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// The policy example from the design brief, exactly as written.
let briefExamplePolicy = """
version: 1
default:
  keep: 400d
rules:
  - name: short-lived
    match:
      channels: ["proj-*", "random"]   # name globs
    keep: 30d
  - name: direct-messages
    match:
      kinds: [dm, group_dm]            # public, private, dm, group_dm
    keep: 90d
holds:
  - name: case-2024-17
    match:
      channels: ["general"]
    from: 2024-01-01                   # inclusive, UTC
    until: 2024-06-30                  # inclusive, UTC
"""

@Suite struct PolicyParsingTests {
    @Test func parsesTheBriefExampleExactly() throws {
        let p = try RetentionPolicy.parse(yaml: briefExamplePolicy, file: "example.yml")
        #expect(p.version == 1)
        #expect(p.defaultRule.name == "default")
        #expect(p.defaultRule.keep == .days(400))
        #expect(p.defaultRule.isDefault)
        #expect(p.rules.map(\.name) == ["short-lived", "direct-messages"])
        #expect(p.rules[0].keep == .days(30))
        #expect(p.rules[0].match?.channels?.map(\.pattern) == ["proj-*", "random"])
        #expect(p.rules[0].match?.kinds == nil)
        #expect(p.rules[1].match?.kinds == [.dm, .groupDM])
        #expect(p.rules[1].keep == .days(90))
        #expect(p.holds.count == 1)
        let h = p.holds[0]
        #expect(h.name == "case-2024-17")
        #expect(h.caseName == nil)
        #expect(h.match.channels?.map(\.pattern) == ["general"])
        #expect(h.users.isEmpty)
        #expect(h.from == CivilDate(year: 2024, month: 1, day: 1))
        #expect(h.until == CivilDate(year: 2024, month: 6, day: 30))
        #expect(h.rangeStart == CivilDate(year: 2024, month: 1, day: 1).unixSeconds)
        #expect(h.rangeEnd == CivilDate(year: 2024, month: 7, day: 1).unixSeconds)
        #expect(p.sourceDigest == "")
        #expect(p.sourceFile == "example.yml")
    }

    @Test func parsesEveryMatchKeyAndHoldField() throws {
        let p = try RetentionPolicy.parse(yaml: """
            version: 1
            default: {keep: forever}
            rules:
              - name: all-criteria
                match: {channels: ["a?c", "[xy]*"], ids: [C1, C2], kinds: [public, private], archived: true}
                keep: 18m
            holds:
              - name: h
                case: "Matter 7: free text"
                match: {users: [U1, U2], archived: false}
                from: 2023-02-28
              - name: open
                match: {ids: [C9]}
            """, file: "f.yml")
        let m = try #require(p.rules[0].match)
        #expect(m.ids == ["C1", "C2"])
        #expect(m.kinds == [.publicChannel, .privateChannel])
        #expect(m.archived == true)
        #expect(p.rules[0].keep == .months(18))
        #expect(p.defaultRule.keep == .forever)
        #expect(p.holds[0].caseName == "Matter 7: free text")
        #expect(p.holds[0].users == ["U1", "U2"])
        #expect(p.holds[0].match.archived == false)
        #expect(p.holds[0].until == nil)
        #expect(p.holds[0].rangeEnd == Int64.max)
        #expect(p.holds[1].from == nil && p.holds[1].until == nil)
        #expect(p.holds[1].rangeStart == Int64.min)
    }

    @Test func emptyRuleAndHoldListsAreFine() throws {
        let p = try RetentionPolicy.parse(yaml: "version: 1\ndefault:\n  keep: 1y\nrules: []\nholds:\n", file: "f.yml")
        #expect(p.rules.isEmpty && p.holds.isEmpty)
    }

    /// (YAML, the exact message, a fragment the hint must hold or nil).
    static let invalid: [(String, String, String?)] = [
        ("version: 1\ndefault:\n  keep: 400d\n  kep: 3d\n",
         "p.yml:4:3: unknown key \"kep\" in default", "allowed keys: keep"),
        ("version: 1\ndefault:\n  keep: 1y\nrule:\n  - name: a\n",
         "p.yml:4:1: unknown key \"rule\" in the policy", "allowed keys: version, default, rules, holds"),
        ("version: 1\ndefault:\n  keep: 1y\nrules:\n  - name: a\n    match: {kind: [dm]}\n    keep: 1d\n",
         "p.yml:6:13: unknown key \"kind\" in match", "channels, ids, kinds, archived"),
        ("version: 1\ndefault:\n  keep: 1y\nholds:\n  - name: a\n    match: {users: [U1]}\n    util: 2024-01-01\n",
         "p.yml:7:5: unknown key \"util\" in a hold", "name, case, match, from, until"),
        ("version: 1\ndefault:\n  keep: 400x\n", "p.yml:3:9: bad duration \"400x\"", "Nd, Nw, Nm"),
        ("version: 1\ndefault:\n  keep: 30\n", "p.yml:3:9: bad duration \"30\"", "forever"),
        ("version: 1\ndefault:\n  keep: 0d\n", "p.yml:3:9: bad duration \"0d\"", nil),
        ("version: 1\ndefault:\n  keep: 3.5d\n", "p.yml:3:9: bad duration \"3.5d\"", nil),
        ("version: 1\ndefault:\n  keep: [1]\n", "p.yml:3:9: keep must be a duration like 30d or forever, not a list", nil),
        ("version: 1\ndefault:\n  keep:\n", "p.yml:3:8: keep must be a duration like 30d or forever, not empty", nil),
        ("version: 1\ndefault: 30d\n", "p.yml:2:10: default must be a mapping of keys, not \"30d\"", "keep"),
        ("version: 1\ndefault:\n  keep: 1y\nrules:\n  - name: a\n    match:\n      kinds: [dm, channel]\n    keep: 30d\n",
         "p.yml:7:19: unknown kind \"channel\"", "public, private, dm, group_dm"),
        ("version: 1\ndefault:\n  keep: 1y\nrules:\n  - name: a\n    match: {ids: [C1]}\n    keep: 1d\n  - name: a\n    match: {ids: [C2]}\n    keep: 2d\n",
         "p.yml:8:11: duplicate rule name \"a\"", nil),
        ("version: 1\ndefault:\n  keep: 1y\nholds:\n  - name: h\n    match: {ids: [C1]}\n  - name: h\n    match: {ids: [C2]}\n",
         "p.yml:7:11: duplicate hold name \"h\"", nil),
        ("version: 2\ndefault:\n  keep: 1y\n", "p.yml:1:10: unsupported version 2", "reads policy version 1"),
        ("default:\n  keep: 1y\n", "p.yml:1:1: missing key \"version\"", nil),
        ("version: 1\nrules: []\n", "p.yml:1:1: missing key \"default\"", nil),
        ("version: 1\ndefault: {}\n", "p.yml:2:10: default has no \"keep\"", nil),
        ("version: 1\ndefault:\n  keep: 1y\nholds:\n  - name: h\n    match: {ids: [C1]}\n    from: 2024-02-30\n",
         "p.yml:7:11: bad date \"2024-02-30\" for from", "YYYY-MM-DD"),
        ("version: 1\ndefault:\n  keep: 1y\nholds:\n  - name: h\n    match: {ids: [C1]}\n    until: 2024-1-5\n",
         "p.yml:7:12: bad date \"2024-1-5\" for until", nil),
        ("version: 1\ndefault:\n  keep: 1y\nholds:\n  - name: h\n    match: {ids: [C1]}\n    from: 2024-06-30\n    until: 2024-06-29\n",
         "p.yml:8:12: hold \"h\": until 2024-06-29 is before from 2024-06-30", nil),
        ("version: 1\ndefault:\n  keep: 1y\nrules:\n  - name: a\n    keep: 1d\n",
         "p.yml:5:5: rule \"a\" has no \"match\"", "default"),
        ("version: 1\ndefault:\n  keep: 1y\nrules:\n  - name: a\n    match: {}\n    keep: 1d\n",
         "p.yml:6:12: rule \"a\" has an empty \"match\"", nil),
        ("version: 1\ndefault:\n  keep: 1y\nrules:\n  - name: a\n    match:\n    keep: 1d\n",
         "p.yml:6:11: rule \"a\" has an empty \"match\"", nil),
        ("version: 1\ndefault:\n  keep: 1y\nholds:\n  - name: h\n    match: {}\n    from: 2024-01-01\n",
         "p.yml:6:12: hold \"h\" has an empty \"match\"", "users"),
        ("version: 1\ndefault:\n  keep: 1y\nholds:\n  - name: h\n    from: 2024-01-01\n",
         "p.yml:5:5: hold \"h\" has no \"match\"", nil),
        ("version: 1\ndefault:\n  keep: 1y\nrules:\n  - name: default\n    match: {ids: [C1]}\n    keep: 1d\n",
         "p.yml:5:11: rule name \"default\" is reserved for the default rule", nil),
        ("version: 1\ndefault:\n  keep: 1y\nrules:\n  - name: a\n    match: {channels: [\"#general\"]}\n    keep: 1d\n",
         "p.yml:6:24: channel glob \"#general\" starts with #", "without #"),
        ("version: 1\ndefault:\n  keep: 1y\nrules:\n  - name: a\n    match: {channels: [\"proj-[ab\"]}\n    keep: 1d\n",
         "p.yml:6:24: unterminated [ in channel glob \"proj-[ab\"", nil),
        ("version: 1\ndefault:\n  keep: 1y\nrules:\n  - name: a\n    match: {channels: []}\n    keep: 1d\n",
         "p.yml:6:23: channels is an empty list", nil),
        ("version: 1\ndefault:\n  keep: 1y\nrules:\n  - name: a\n    match: {archived: maybe}\n    keep: 1d\n",
         "p.yml:6:23: archived must be true or false, not \"maybe\"", nil),
        ("version: 1\ndefault:\n  keep: 1y\nrules:\n  name: a\n",
         "p.yml:5:3: rules must be a list, not a mapping", nil),
        ("version: 1\ndefault:\n  keep: 1y\nrules:\n  - name: [a]\n    match: {ids: [C1]}\n    keep: 1d\n",
         "p.yml:5:11: name must be a string, not a list", nil),
        ("version: 1\ndefault:\n  keep: 1y\nrules:\n  - match: {ids: [C1]}\n    keep: 1d\n",
         "p.yml:5:5: rule has no \"name\"", nil),
        ("- 1\n- 2\n", "p.yml:1:1: the policy must be a mapping of keys, not a list", nil),
        ("", "p.yml:1:1: the policy is empty", nil),
        ("# only a comment\n", "p.yml:1:1: the policy is empty", nil),
    ]

    @Test(arguments: 0..<invalid.count)
    func refusesInvalidPolicyWithPosition(_ index: Int) {
        let (yaml, message, hint) = Self.invalid[index]
        do {
            _ = try RetentionPolicy.parse(yaml: yaml, file: "p.yml")
            Issue.record("accepted invalid policy #\(index): \(message)")
        } catch let error as LetheError {
            #expect(error.kind == .policyInvalid)
            #expect(error.message == message, "case #\(index)")
            #expect(error.exitCode == 6)
            if let hint { #expect(error.hint?.contains(hint) == true, "hint of case #\(index): \(error.hint ?? "none")") }
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func yamlSyntaxErrorsCarryYamsLineAndColumn() {
        let cases: [(String, String)] = [
            ("version: 1\ndefault:\n  keep: 1y\nrules: [a, b\n", "p.yml:5:1: YAML syntax error: "),
            ("version: 1\ndefault:\n\tkeep: 1y\n", "p.yml:3:1: YAML syntax error: "),
            ("version: 1\nversion: 1\ndefault:\n  keep: 1y\n", "p.yml:1:1: YAML syntax error: duplicate key \"version\""),
            ("version: 1\ndefault:\n  keep: \"1y\n", "p.yml:4:1: YAML syntax error: "),
        ]
        for (yaml, prefix) in cases {
            do {
                _ = try RetentionPolicy.parse(yaml: yaml, file: "p.yml")
                Issue.record("accepted broken YAML: \(yaml)")
            } catch let error as LetheError {
                #expect(error.kind == .policyInvalid)
                #expect(error.message.hasPrefix(prefix), "got \(error.message)")
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }

    @Test func loadReadsAFileAndNamesItInErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.yml")
        try Data(briefExamplePolicy.utf8).write(to: good)
        let p = try RetentionPolicy.load(contentsOf: good)
        #expect(p.rules.count == 2)
        let bad = dir.appendingPathComponent("bad.yml")
        try Data("version: 1\ndefault:\n  keep: 1q\n".utf8).write(to: bad)
        #expect {
            try RetentionPolicy.load(contentsOf: bad)
        } throws: { error in
            guard let e = error as? LetheError else { return false }
            return e.kind == .policyInvalid && e.message == "\(bad.path):3:9: bad duration \"1q\""
        }
        #expect(throws: LetheError.self) { try RetentionPolicy.load(contentsOf: dir.appendingPathComponent("missing.yml")) }
        let binary = dir.appendingPathComponent("binary.yml")
        try Data([0xff, 0xfe, 0x00, 0x41]).write(to: binary)
        #expect(throws: LetheError.self) { try RetentionPolicy.load(contentsOf: binary) }
    }

    @Test(arguments: ["standard.yml", "strict.yml", "legal-hold.yml"])
    func shippedPoliciesParse(_ name: String) throws {
        let url = Repository.policy(name)
        let p = try RetentionPolicy.load(contentsOf: url)
        #expect(!p.rules.isEmpty)
        if name == "legal-hold.yml" {
            #expect(p.holds.count == 4)
            #expect(p.holds.contains { !$0.users.isEmpty && $0.match.isEmpty })
        }
        if name == "standard.yml" {
            let now = try #require(RetentionTime.parse("2025-06-01T00:00:00Z"))
            let general = Conversation(id: "C1", name: "general", kind: .publicChannel, isArchived: false)
            let dm = Conversation(id: "D1", name: nil, kind: .dm, isArchived: false)
            let announce = Conversation(id: "C2", name: "announcements", kind: .publicChannel, isArchived: false)
            #expect(p.ruleFor(channel: general, now: now).rule.name == "public-2y")
            #expect(p.ruleFor(channel: dm, now: now).rule.keep == .days(180))
            #expect(p.ruleFor(channel: announce, now: now).rule.keep == .forever)
        }
    }
}
