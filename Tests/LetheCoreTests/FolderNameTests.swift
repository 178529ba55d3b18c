import Testing
@testable import LetheCore

/// The rule both the importer and the exporter apply to a conversation's folder.
struct FolderNameTests {
    @Test func everyNameBecomesOneDistinctPlainComponent() {
        let names = ["general", "..", ".", "", "a/b", "../../../tmp/x", "nul\u{0}byte", "tab\there", "users.json", "MPIMS.json",
                     "Random", "random", "RANDOM", String(repeating: "é", count: 300), "back\\slash", "general"]
        var taken = Set<String>()
        var out: [String] = []
        for (i, name) in names.enumerated() {
            let (folder, reason) = FolderName.assign(name, id: "C\(i)", taken: &taken)
            #expect(FolderName.problem(folder) == nil, "\(name) → \(folder)")
            #expect(!folder.contains("/") && folder != "." && folder != ".." && !folder.isEmpty)
            #expect(folder.utf8.count <= 255)
            #expect((reason == nil) == (folder == name), "a reason exactly when the name changes: \(name) → \(folder)")
            out.append(folder)
        }
        #expect(Set(out.map { $0.lowercased() }).count == out.count, "no two differ only by case: \(out)")
        #expect(out[0] == "general" && out[10] == "Random", "safe first comers keep their names")
        #expect(out[1] == "__" && out[2] == "_" && out[8] == "_users.json" && out[15] == "general-C15")
    }

    @Test func theSameInputsGiveTheSameFolders() {
        // Export and re-import must agree: the mapping is a function of the names in order.
        func run() -> [String] {
            var taken = Set<String>()
            return ["a/b", "A_b", "a_b", ".."].enumerated().map { FolderName.assign($1, id: "C\($0)", taken: &taken).folder }
        }
        #expect(run() == run())
        #expect(run() == ["a_b", "A_b-C1", "a_b-C2", "__"])
    }

    /// Found by the fuzzer: names of 200 bytes or more, several the same, made the search for a
    /// free folder loop for ever (the `-2` suffix was cut off again, giving the taken name back).
    @Test func longNamesThatCollideStillGetDistinctFolders() {
        var taken = Set<String>()
        let long = String(repeating: "x", count: 260), exact = String(repeating: "y", count: 200)
        var out: [String] = []
        for (i, name) in [long, long, long, exact, exact, exact + "é"].enumerated() {
            let (folder, _) = FolderName.assign(name, id: String(repeating: "C", count: 40) + "\(i)", taken: &taken)
            #expect(FolderName.problem(folder) == nil && folder.utf8.count <= FolderName.maxBytes, "\(folder.utf8.count)")
            out.append(folder)
        }
        #expect(Set(out).count == out.count, "\(out.map { $0.suffix(12) })")
    }
}
