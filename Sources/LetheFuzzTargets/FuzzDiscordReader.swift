import Foundation
import LetheCore

/// The DiscordChatExporter reader (`DiscordSource`): the input is one channel file, read from an
/// export held in memory as `channel.json`. What it accepts must be `dc:` conversations whose
/// day files split without a skip, each message keeping its Discord object.
enum FuzzDiscordReader {
    static func run(_ input: [UInt8]) {
        guard let export = try? SlackExport(source: MemorySource([("channel.json", input)])) else { return }
        for conversation in export.conversations {
            require(conversation.platform == .discord, "a Discord conversation whose id does not say so: \(conversation.id)")
            for day in export.dayFiles(of: conversation) {
                guard let (messages, skipped) = try? export.readMessages(day) else {
                    require(false, "a day file the Discord reader made does not split")
                    return
                }
                require(skipped.isEmpty, "a message the Discord reader made was skipped by the splitter")
                for m in messages {
                    require((try? JSONValue.parse(m.json))?["lethe_discord"] != nil, "a message without its Discord object")
                }
            }
        }
    }
}
