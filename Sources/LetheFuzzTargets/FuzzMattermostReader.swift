import Foundation
import LetheCore

/// The Mattermost bulk export reader (`MattermostBulk`, `MattermostSource`): the input is the
/// JSON Lines file, read from an export held in memory as `import.jsonl`, the way `lethe import`
/// reads a folder holding one. What it accepts must be conversations named `mm:…` whose day
/// files split into messages that each keep their Mattermost object.
enum FuzzMattermostReader {
    static func run(_ input: [UInt8]) {
        let source = MemorySource([("import.jsonl", input), ("data/a/b.png", [0x89])])
        guard let export = try? SlackExport(source: source) else { return }
        for conversation in export.conversations {
            require(conversation.platform == .mattermost, "a Mattermost conversation whose id does not say so: \(conversation.id)")
            for day in export.dayFiles(of: conversation) {
                guard let (messages, skipped) = try? export.readMessages(day) else {
                    require(false, "a day file the Mattermost reader made does not split")
                    return
                }
                require(skipped.isEmpty, "a message the Mattermost reader made was skipped by the splitter")
                for m in messages {
                    require((try? JSONValue.parse(m.json))?["lethe_mattermost"] != nil, "a message without its Mattermost object")
                }
            }
        }
    }
}
