import LetheCore

/// The retention policy parser: the bytes are a policy file. Every refusal must be
/// `LetheError(.policyInvalid)` (exit code 6); a policy that parses is asked which
/// rule and holds govern a few channels.
enum FuzzPolicyParser {
    static let channels = [
        Conversation(id: "C0001", name: "general", kind: .publicChannel, isArchived: false),
        Conversation(id: "C0002", name: "proj-apollo", kind: .publicChannel, isArchived: true),
        Conversation(id: "G0003", name: "leadership", kind: .privateChannel, isArchived: false),
        Conversation(id: "D0004", name: nil, kind: .dm, isArchived: false),
        Conversation(id: "C0005", name: "mpdm-alice--bob-1", kind: .groupDM, isArchived: false),
    ]

    static func run(_ input: [UInt8]) {
        let policy: RetentionPolicy
        do {
            policy = try RetentionPolicy.parse(contents: input, file: "fuzz.yml")
        } catch let error as LetheError {
            require(error.kind == .policyInvalid, "a policy refused with \(error.kind), not policyInvalid")
            return
        } catch {
            fatalError("a policy refused with \(type(of: error)), not LetheError")
        }
        for channel in channels {
            _ = policy.ruleFor(channel: channel, now: 1_767_225_600)
            _ = policy.holdsFor(channel: channel)
        }
    }
}
