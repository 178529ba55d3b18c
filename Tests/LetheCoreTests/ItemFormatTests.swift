import Foundation
import Testing
@testable import LetheCore

/// Format 9 (docs/FORMAT.md §4, §4c): a segment entry's flags byte, with items beside messages,
/// against a vector computed by a separate Python encoder written from the document; every
/// malformed form refused; and the placement rules of `ExportItems`.
struct ItemFormatTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
    static func ts(_ s: String) -> SlackTimestamp { SlackTimestamp(s)! }

    static let segment = Segment(messages: [
        .init(ts: ts("1690041600.000100"), fileDay: 19560, editedTS: "1690041650.000000", json: Array(#"{"type":"message","ts":"1690041600.000100"}"#.utf8)),
        .init(ts: ts("1690041700"), fileDay: 19560, editedTS: nil, json: Array(#"{"id":"F0CANVDES2","created":1690041700}"#.utf8),
              item: .init(file: "canvases.json", key: "id:F0CANVDES2", index: 0)),
        .init(ts: ts("0"), fileDay: 0, editedTS: nil, json: Array(#"{"id":"F1"}"#.utf8),
              item: .init(file: "canvas_in_the_conversation.json", key: "id:F1", index: 3, lone: true)),
    ])
    static let documented = "0300000011313639303034313630302e303030313030684c00000111313639303034313635302e3030303030302b0000007b2274797065223a226d657373616765222c227473223a22313639303034313630302e303030313030227d0a31363930303431373030684c0000020d63616e76617365732e6a736f6e0d69643a463043414e564445533200000000280000007b226964223a22463043414e5644455332222c2263726561746564223a313639303034313730307d013000000000061f63616e7661735f696e5f7468655f636f6e766572736174696f6e2e6a736f6e0569643a4631030000000b0000007b226964223a224631227d"

    @Test func itemsAreEncodedAsDocumented() throws {
        #expect(Self.hex(Self.segment.encoded()) == Self.documented)
        #expect(try Segment.decode(Self.segment.encoded()) == Self.segment)
        // A segment without items is byte for byte what format 8 wrote (flags 0 or 1).
        let plain = Segment(messages: [Self.segment.messages[0]])
        #expect(plain.encoded()[4 + 1 + 17 + 4] == 1)
    }

    @Test func malformedItemEntriesAreRefused() throws {
        let bytes = Self.segment.encoded()
        for cut in 1..<bytes.count { #expect(throws: (any Error).self) { try Segment.decode(Array(bytes.prefix(cut))) } }
        // The second entry's flags byte: bits beyond 0–2, or "lone" without "item", are refused.
        let flagsAt = 4 + (1 + 17 + 4 + 1 + 1 + 17 + 4 + 43) + 1 + 10 + 4
        #expect(bytes[flagsAt] == 2)
        for bad: UInt8 in [4, 5, 8, 0x80] {
            var b = bytes
            b[flagsAt] = bad
            #expect(throws: (any Error).self) { try Segment.decode(b) }
        }
        // An empty file name or key is refused.
        var empty = bytes
        empty[flagsAt + 1] = 0
        #expect(throws: (any Error).self) { try Segment.decode(empty) }
    }

    @Test func identityTellsItemsFromMessagesOfTheSameSecond() {
        let m = Segment.Message(ts: Self.ts("1690041700"), fileDay: 0, editedTS: nil, json: Array("{}".utf8))
        var i = m
        i.item = .init(file: "canvases.json", key: "id:F1", index: 0)
        var j = i
        j.item?.file = "lists.json"
        #expect(Set([Importer.identity(m), Importer.identity(i), Importer.identity(j)]).count == 3)
        #expect(Importer.identity(m) == Importer.identity(m.ts), "a message's identity is what format 8 used")
    }

    @Test func elementsArePlacedByTheConversationTheyName() throws {
        let known: Set<String> = ["C1", "C2", "F05JM5XK9SL"]
        func place(_ json: String) -> String? { ExportItems.conversation(of: try? JSONValue.parse(Array(json.utf8)), known: known) }
        #expect(place(#"{"id":"F9","linked_channel_id":"C1"}"#) == "C1")
        #expect(place(#"{"id":"F9","channels":["C7","C2"]}"#) == "C2")
        #expect(place(#"{"channel":"C2","date":"1"}"#) == "C2")
        #expect(place(#"{"channel_id":"C9"}"#) == nil, "an id the export does not hold: workspace-level")
        #expect(place(#"{"id":"F05JM5XK9SL","name":"FC:F05JM5XK9SL:My notes"}"#) == "F05JM5XK9SL")
        #expect(place(#"{"id":"F0X","name":"FC:F05JM5XK9SL:My notes"}"#) == "F05JM5XK9SL")
        #expect(place(#"[1,2]"#) == nil)
        #expect(ExportItems.date(of: try JSONValue.parse(Array(#"{"date":"1458969700"}"#.utf8))).seconds == 1_458_969_700)
        #expect(ExportItems.date(of: try JSONValue.parse(Array(#"{"created":1690041700,"date":"5"}"#.utf8))).seconds == 1_690_041_700)
        #expect(ExportItems.date(of: try JSONValue.parse(Array(#"{"title":"x"}"#.utf8))).seconds == 0)
        #expect(ExportAssembly.fileConversation("FC_F05JM5XK9SL_My notes") == ("F05JM5XK9SL", "My notes"))
        #expect(ExportAssembly.fileConversation("FC:F05JM5XK9SL:My notes") == ("F05JM5XK9SL", "My notes"))
        #expect(ExportAssembly.fileConversation("FC_notes").id == nil)
    }
}
