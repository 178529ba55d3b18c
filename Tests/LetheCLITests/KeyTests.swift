import Foundation
import LetheCore
import LetheTestSupport
import Testing

/// Key slots: change a passphrase, add and remove ways in; data is never re-encrypted.
@Suite(.serialized) struct KeyTests {
    @Test func changePassphraseAddKeyFileAndRemoveSlots() throws {
        let a = try Harness.makeArchive("keys")
        try a.importFixture("slack-sample")
        let dataBefore = try Data(contentsOf: a.dir.appendingPathComponent("data.db"))

        let change = try Harness.run(["key", "change-passphrase", "--kdf", "interactive"], env: a.env.merging(["LETHE_NEW_PASSPHRASE": "new secret words"]) { $1 })
        #expect(change.status == 0, "\(change.stderr)")
        #expect(try Harness.run(["stats"], env: a.env).status == 3, "the old passphrase no longer opens it")
        let newEnv = a.env.merging(["LETHE_PASSPHRASE": "new secret words"]) { $1 }
        #expect(try Harness.run(["verify"], env: newEnv).status == 0)
        #expect(try Data(contentsOf: a.dir.appendingPathComponent("data.db")) == dataBefore, "no message re-encrypted")

        let second = a.root.appendingPathComponent("second.key")
        #expect(try Harness.run(["key", "add-keyfile", second.path], env: newEnv).status == 0)
        let viaSecond = ["LETHE_ARCHIVE": a.dir.path]
        #expect(try Harness.run(["stats", "--key-file", second.path], env: viaSecond).status == 0)

        let list = try Harness.run(["key", "list", "--json", "--key-file", second.path], env: viaSecond)
        let slots = try list.decode(KeyListing.self).slots
        #expect(slots.map(\.kind).sorted() == ["keyfile", "keyfile", "passphrase"])
        #expect(slots.filter(\.current).count == 1)
        for s in slots where s.kind == "keyfile" && !s.current {
            #expect(try Harness.run(["key", "remove", "\(s.id)", "--key-file", second.path], env: viaSecond).status == 0)
        }
        #expect(try Harness.run(["stats", "--key-file", a.keyFile.path], env: viaSecond).status == 3, "the removed key file no longer opens it")
        for s in slots where s.kind == "passphrase" {
            #expect(try Harness.run(["key", "remove", "\(s.id)", "--key-file", second.path], env: viaSecond).status == 0)
        }
        let last = try Harness.run(["key", "list", "--json", "--key-file", second.path], env: viaSecond).decode(KeyListing.self).slots
        #expect(last.map(\.kind) == ["keyfile"] && last.allSatisfy(\.current), "only the second key file is left")
        let lastID = try #require(last.first).id
        let refuse = try Harness.run(["key", "remove", "\(lastID)", "--key-file", second.path], env: viaSecond)
        #expect(refuse.status == 64)
        #expect(refuse.stderr.contains("last way to open"))
    }
}
