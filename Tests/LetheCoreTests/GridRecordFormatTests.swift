import Foundation
import Testing
@testable import LetheCore

/// Format 8 (docs/FORMAT.md §2d, §5, §9): the version-2 channel and user records and the
/// retention view facts that carry Enterprise Grid workspaces, against vectors computed by a
/// separate Python encoder written from the document; and every malformed form refused.
struct GridRecordFormatTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func recordsWithWorkspacesAreVersionTwoAsDocumented() throws {
        var c = Conversation(kind: .publicChannel, id: "C9", name: "eng-sales", folder: "eng-sales", isArchived: false,
                             rawJSON: Array(#"{"id":"C9","name":"eng-sales"}"#.utf8))
        c.workspaces = ["acme-eng", "acme-sales"]
        let channel = "02060000007075626c69630200000043390109000000656e672d73616c657309000000656e672d73616c6573001e0000007b226964223a224339222c226e616d65223a22656e672d73616c6573227d020800000061636d652d656e670a00000061636d652d73616c6573"
        #expect(Self.hex(ChannelRecord.encode(c)) == channel)
        #expect(try ChannelRecord.decode(ChannelRecord.encode(c)) == c)

        var u = User(id: "U3", name: "cy", displayName: "Cy", rawJSON: Array(#"{"id":"U3","name":"cy"}"#.utf8))
        u.workspaces = ["acme-sales"]
        let user = "020200000055330102000000637901020000004379170000007b226964223a225533222c226e616d65223a226379227d010a00000061636d652d73616c6573"
        #expect(Self.hex(UserRecord.encode(u)) == user)
        #expect(try UserRecord.decode(UserRecord.encode(u)) == u)

        // Without workspaces a record stays version 1, byte for byte what format 7 wrote.
        c.workspaces = []
        #expect(ChannelRecord.encode(c).first == 1)
        u.workspaces = []
        #expect(UserRecord.encode(u).first == 1)
    }

    @Test func aViewOfAWorkspaceConversationCarriesItsWorkspaces() throws {
        let v = RetentionView(tag: Array(0..<32), facts: .init(kind: .publicChannel, id: "C05GENRL001", name: "general", isArchived: false, memberIDs: [], workspaces: ["acme-eng"]),
                              buckets: [19_844: .init(messages: 3, authorDays: ["U05A1LC3K9P": [19_844], "U05B0B7Q2XR": [19_844]]),
                                        19_845: .init(messages: 2, authorDays: ["U05A1LC3K9P": [19_845, 19_847]])])
        let documented = "0120000000000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f02060000007075626c69630b00000043303547454e524c303031010700000067656e6572616c0000010800000061636d652d656e67020b00000055303541314c43334b39500b00000055303542304237513258520288b602030188b6020200010202028ab60204010003"
        #expect(Self.hex(v.encoded()) == documented)
        #expect(try RetentionView.decode(v.encoded()) == v)
    }

    /// A version-2 record or view whose workspace list is empty, unsorted, repeated or cut is refused.
    @Test func malformedWorkspaceListsAreRefused() throws {
        var c = Conversation(kind: .privateChannel, id: "G1", name: "deals", folder: "deals", isArchived: true, rawJSON: Array("{}".utf8))
        c.workspaces = ["a", "b"]
        let bytes = ChannelRecord.encode(c)
        for cut in 1..<bytes.count { #expect(throws: (any Error).self) { try ChannelRecord.decode(Array(bytes.prefix(cut))) } }
        #expect(throws: (any Error).self) { try ChannelRecord.decode(bytes + [0]) }
        // The list's tail: varint 2, str "a", str "b" → make it "b", "a" (unsorted) and "a", "a" (repeated).
        let tail = 1 + 2 * 5
        let head = Array(bytes.dropLast(tail))
        func str(_ s: String) -> [UInt8] { withUnsafeBytes(of: UInt32(s.utf8.count).littleEndian, Array.init) + Array(s.utf8) }
        for list in [["b", "a"], ["a", "a"]] {
            #expect(throws: (any Error).self) { try ChannelRecord.decode(head + [2] + list.flatMap(str)) }
        }
        #expect(throws: (any Error).self) { try ChannelRecord.decode(head + [0]) }
        // Version 1 with a workspace list appended is not version 1.
        var v1 = bytes
        v1[0] = 1
        #expect(throws: (any Error).self) { try ChannelRecord.decode(v1) }
        var v3 = bytes
        v3[0] = 3
        #expect(throws: (any Error).self) { try ChannelRecord.decode(v3) }
    }
}
