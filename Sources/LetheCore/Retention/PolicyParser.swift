import Foundation
import Yams

/// Validates a policy's YAML node tree by hand, so each refusal names its line and column.
struct PolicyParser {
    let file: String

    static let topKeys = ["version", "default", "rules", "holds"]
    static let defaultKeys = ["keep"]
    static let ruleKeys = ["name", "match", "keep"]
    static let ruleMatchKeys = ["channels", "ids", "kinds", "archived", "workspace", "workspaces", "platform", "platforms"]
    static let holdKeys = ["name", "case", "match", "from", "until"]
    static let holdMatchKeys = ["channels", "ids", "kinds", "archived", "workspace", "workspaces", "platform", "platforms", "users"]
    static let durationHint = "durations are Nd, Nw, Nm (calendar months), Ny (calendar years) or forever, N from 1 to 100000"

    func parse(_ yaml: String) throws -> RetentionPolicy {
        let composed: Node?
        do {
            try PolicyShape.check(yaml)
        } catch let e as PolicyShape.TooBig {
            throw LetheError(.policyInvalid, "\(file):\(e.line):\(e.column): \(e.reason)",
                             hint: "a policy needs no more than a few dozen YAML nodes; write it out without aliases")
        }
        do {
            composed = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw syntaxError(error)
        }
        guard let root = composed else {
            throw LetheError(.policyInvalid, "\(file):1:1: the policy is empty",
                             hint: "a policy needs at least `version: 1` and `default: {keep: …}`")
        }
        let top = try fields(of: root, what: "the policy", allowed: PolicyParser.topKeys)

        guard let version = top["version"] else { throw fail(root, "missing key \"version\"", hint: "start the file with `version: 1`") }
        let versionText = try scalarString(version.value, what: "version")
        guard versionText == String(RetentionPolicy.supportedVersion) else {
            throw fail(version.value, "unsupported version \(versionText)",
                       hint: "this lethe reads policy version \(RetentionPolicy.supportedVersion)")
        }

        guard let defaultEntry = top["default"] else {
            throw fail(root, "missing key \"default\"", hint: "add `default:` with `keep: <duration>` for channels no rule matches")
        }
        let defaultFields = try fields(of: defaultEntry.value, what: "default", allowed: PolicyParser.defaultKeys)
        guard let defaultKeep = defaultFields["keep"] else { throw fail(defaultEntry.value, "default has no \"keep\"") }
        let defaultRule = RetentionRule(name: RetentionRule.defaultName, match: nil, keep: try duration(defaultKeep.value))

        var rules: [RetentionRule] = []
        if let rulesEntry = top["rules"] {
            for item in try list(rulesEntry.value, what: "rules", allowEmpty: true) {
                let rule = try parseRule(item)
                if rules.contains(where: { $0.name == rule.name }) {
                    throw fail(try fields(of: item, what: "a rule", allowed: PolicyParser.ruleKeys)["name"]?.value ?? item,
                               "duplicate rule name \"\(rule.name)\"")
                }
                rules.append(rule)
            }
        }

        var holds: [LegalHold] = []
        if let holdsEntry = top["holds"] {
            for item in try list(holdsEntry.value, what: "holds", allowEmpty: true) {
                let hold = try parseHold(item)
                if holds.contains(where: { $0.name == hold.name }) {
                    throw fail(try fields(of: item, what: "a hold", allowed: PolicyParser.holdKeys)["name"]?.value ?? item,
                               "duplicate hold name \"\(hold.name)\"")
                }
                holds.append(hold)
            }
        }
        return RetentionPolicy(version: RetentionPolicy.supportedVersion, defaultRule: defaultRule,
                               rules: rules, holds: holds, sourceDigest: "", sourceFile: file)
    }

    // MARK: - Rules and holds

    private func parseRule(_ node: Node) throws -> RetentionRule {
        let f = try fields(of: node, what: "a rule", allowed: PolicyParser.ruleKeys)
        guard let nameEntry = f["name"] else { throw fail(node, "rule has no \"name\"") }
        let name = try nonEmptyString(nameEntry.value, what: "name")
        if name == RetentionRule.defaultName {
            throw fail(nameEntry.value, "rule name \"default\" is reserved for the default rule",
                       hint: "set the default with the top-level `default:` key")
        }
        guard let matchEntry = f["match"] else {
            throw fail(node, "rule \"\(name)\" has no \"match\"",
                       hint: "a rule needs at least one of channels, ids, kinds, archived, workspace, platform; use `default:` for everything else")
        }
        let (match, _) = try parseMatch(matchEntry.value, allowed: PolicyParser.ruleMatchKeys)
        if match.isEmpty {
            throw fail(matchEntry.value, "rule \"\(name)\" has an empty \"match\"",
                       hint: "give at least one of channels, ids, kinds, archived, workspace, platform; use `default:` for everything else")
        }
        guard let keepEntry = f["keep"] else { throw fail(node, "rule \"\(name)\" has no \"keep\"") }
        return RetentionRule(name: name, match: match, keep: try duration(keepEntry.value))
    }

    private func parseHold(_ node: Node) throws -> LegalHold {
        let f = try fields(of: node, what: "a hold", allowed: PolicyParser.holdKeys)
        guard let nameEntry = f["name"] else { throw fail(node, "hold has no \"name\"") }
        let name = try nonEmptyString(nameEntry.value, what: "name")
        let caseName = try f["case"].map { try scalarString($0.value, what: "case") }
        guard let matchEntry = f["match"] else {
            throw fail(node, "hold \"\(name)\" has no \"match\"",
                       hint: "a hold needs at least one of channels, ids, kinds, archived, workspace, platform, users")
        }
        let (match, users) = try parseMatch(matchEntry.value, allowed: PolicyParser.holdMatchKeys)
        if match.isEmpty && users == nil {
            throw fail(matchEntry.value, "hold \"\(name)\" has an empty \"match\"",
                       hint: "give at least one of channels, ids, kinds, archived, workspace, platform, users")
        }
        let from = try f["from"].map { try date($0.value, what: "from") }
        let until = try f["until"].map { try date($0.value, what: "until") }
        if let from, let until, until < from, let untilNode = f["until"]?.value {
            throw fail(untilNode, "hold \"\(name)\": until \(until) is before from \(from)")
        }
        return LegalHold(name: name, caseName: caseName, match: match, users: users ?? [], from: from, until: until)
    }

    private func parseMatch(_ node: Node, allowed: [String]) throws -> (ChannelMatch, [String]?) {
        if isNull(node) { return (ChannelMatch(), nil) }
        let f = try fields(of: node, what: "match", allowed: allowed)
        var match = ChannelMatch()
        if let e = f["channels"] {
            match.channels = try list(e.value, what: "channels", allowEmpty: false).map { item in
                let text = try nonEmptyString(item, what: "a channel glob")
                do {
                    return try ChannelGlob(text)
                } catch let error as ChannelGlob.SyntaxError {
                    throw fail(item, error.reason, hint: error.hint)
                }
            }
        }
        if let e = f["ids"] {
            match.ids = try list(e.value, what: "ids", allowEmpty: false).map { try nonEmptyString($0, what: "an id") }
        }
        if let e = f["kinds"] {
            match.kinds = try list(e.value, what: "kinds", allowEmpty: false).map { item in
                let text = try scalarString(item, what: "a kind")
                guard let kind = ConversationKind(rawValue: text) else {
                    throw fail(item, "unknown kind \"\(text)\"", hint: "kinds are public, private, dm, group_dm, file_conversation, workspace")
                }
                return kind
            }
        }
        if let e = f["archived"] {
            let text = try scalarString(e.value, what: "archived")
            switch text {
            case "true": match.archived = true
            case "false": match.archived = false
            default: throw fail(e.value, "archived must be true or false, not \"\(text)\"")
            }
        }
        // `workspace: acme-eng` (one) or `workspaces: [acme-eng, acme-sales]` (any of them).
        if let one = f["workspace"], f["workspaces"] != nil {
            throw fail(one.value, "give workspace or workspaces, not both", hint: "workspaces: [a, b] matches a conversation of either")
        }
        if let e = f["workspace"] {
            match.workspaces = [try nonEmptyString(e.value, what: "workspace")]
        } else if let e = f["workspaces"] {
            match.workspaces = try list(e.value, what: "workspaces", allowEmpty: false).map { try nonEmptyString($0, what: "a workspace") }
        }
        // `platform: mattermost` (one) or `platforms: [slack, mattermost]`.
        if let one = f["platform"], f["platforms"] != nil {
            throw fail(one.value, "give platform or platforms, not both", hint: "platforms: [slack, mattermost] matches a conversation of either")
        }
        if let e = f["platform"] ?? f["platforms"] {
            let items = try f["platform"] != nil ? [e.value] : list(e.value, what: "platforms", allowEmpty: false)
            match.platforms = try items.map { item in
                let text = try scalarString(item, what: "a platform")
                guard let platform = Platform(rawValue: text) else {
                    throw fail(item, "unknown platform \"\(text)\"", hint: "platforms are " + Platform.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return platform
            }
        }
        let users = try f["users"].map { e in
            try list(e.value, what: "users", allowEmpty: false).map { try nonEmptyString($0, what: "a user id") }
        }
        return (match, users)
    }

    // MARK: - Scalars

    private func duration(_ node: Node) throws -> RetentionDuration {
        let text = try scalarString(node, what: "keep", expected: "a duration like 30d or forever")
        guard let d = RetentionDuration(parsing: text) else {
            throw fail(node, "bad duration \"\(text)\"", hint: PolicyParser.durationHint)
        }
        return d
    }

    private func date(_ node: Node, what: String) throws -> CivilDate {
        let text = try scalarString(node, what: what, expected: "a date YYYY-MM-DD")
        guard let d = CivilDate(iso: text) else {
            throw fail(node, "bad date \"\(text)\" for \(what)", hint: "dates are YYYY-MM-DD (UTC), e.g. 2024-06-30")
        }
        return d
    }

    private func nonEmptyString(_ node: Node, what: String) throws -> String {
        let text = try scalarString(node, what: what)
        guard !text.isEmpty else { throw fail(node, "\(what) is empty") }
        return text
    }

    private func scalarString(_ node: Node, what: String, expected: String = "a string") throws -> String {
        guard case .scalar(let scalar) = node else {
            throw fail(node, "\(what) must be \(expected), not \(describe(node))")
        }
        if isNull(node) { throw fail(node, "\(what) must be \(expected), not empty") }
        return scalar.string
    }

    // MARK: - Structure

    private func fields(of node: Node, what: String, allowed: [String]) throws -> [String: (key: Node, value: Node)] {
        guard case .mapping(let mapping) = node else {
            throw fail(node, "\(what) must be a mapping of keys, not \(describe(node))",
                       hint: "allowed keys: \(allowed.joined(separator: ", "))")
        }
        var out: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else { throw fail(key, "keys must be plain words, not \(describe(key))") }
            guard allowed.contains(scalar.string) else {
                throw fail(key, "unknown key \"\(scalar.string)\" in \(what)",
                           hint: "allowed keys: \(allowed.joined(separator: ", "))")
            }
            out[scalar.string] = (key, value)
        }
        return out
    }

    private func list(_ node: Node, what: String, allowEmpty: Bool) throws -> [Node] {
        if allowEmpty, isNull(node) { return [] }
        guard case .sequence(let sequence) = node else {
            throw fail(node, "\(what) must be a list, not \(describe(node))")
        }
        let items = Array(sequence)
        if items.isEmpty && !allowEmpty { throw fail(node, "\(what) is an empty list", hint: "list at least one value, or drop the key") }
        return items
    }

    private func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return NSNull.construct(from: scalar) != nil
    }

    private func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let s): return isNull(node) ? "empty" : "\"\(s.string)\""
        }
    }

    // MARK: - Errors

    private func fail(_ node: Node, _ reason: String, hint: String? = nil) -> LetheError {
        let mark = node.mark
        return LetheError(.policyInvalid, "\(file):\(mark?.line ?? 1):\(mark?.column ?? 1): \(reason)", hint: hint)
    }

    private func syntaxError(_ error: YamlError) -> LetheError {
        func at(_ mark: Mark, _ reason: String) -> LetheError {
            LetheError(.policyInvalid, "\(file):\(mark.line):\(mark.column): YAML syntax error: \(reason)")
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let where_ = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            return at(mark, problem + where_)
        case let .duplicatedKeysInMapping(duplicates, context):
            return at(context.mark, "duplicate key \(duplicates.map { "\"\($0)\"" }.joined(separator: ", "))")
        case let .reader(problem, offset, _, yaml):
            if let offset {
                let prefix = yaml.utf8.prefix(offset)
                let line = prefix.filter { $0 == 10 }.count + 1
                let lastLine = prefix.split(separator: 10, omittingEmptySubsequences: false).last ?? []
                let column = (String(decoding: lastLine, as: UTF8.self).unicodeScalars.count) + 1
                return LetheError(.policyInvalid, "\(file):\(line):\(column): YAML syntax error: \(problem)")
            }
            return LetheError(.policyInvalid, "\(file): YAML syntax error: \(problem)")
        default:
            return LetheError(.policyInvalid, "\(file): YAML syntax error: \(error)")
        }
    }
}
