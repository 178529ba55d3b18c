import Foundation

/// Expected outputs kept under Tests/Golden and compared exactly.
///
/// `LETHE_UPDATE_GOLDEN=1 swift test --filter …` rewrites the files from what the code prints
/// now, and says so (as restic's `-update`); review the diff, then commit it. Anything that
/// differs from run to run (durations, temporary paths) is normalised first.
public enum Golden {
    public static var updating: Bool { ProcessInfo.processInfo.environment["LETHE_UPDATE_GOLDEN"] == "1" }

    /// Compares `actual` with Tests/Golden/`name` byte for byte; throws with the first
    /// differing lines. With LETHE_UPDATE_GOLDEN=1 writes `actual` there instead.
    public static func check(_ actual: String, _ name: String) throws {
        let url = Repository.golden.appendingPathComponent(name)
        if updating {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: url)
            print("LETHE_UPDATE_GOLDEN=1: rewrote Tests/Golden/\(name)")
            return
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TestFailure("Tests/Golden/\(name) is missing: run the test with LETHE_UPDATE_GOLDEN=1 to write it")
        }
        let expected = String(decoding: data, as: UTF8.self)
        guard expected != actual else { return }
        let e = expected.components(separatedBy: "\n"), a = actual.components(separatedBy: "\n")
        var diff: [String] = []
        for i in 0..<max(e.count, a.count) where diff.count < 12 {
            let x = i < e.count ? e[i] : "<end of file>", y = i < a.count ? a[i] : "<end of output>"
            if x != y { diff += ["line \(i + 1):", "  golden: \(x)", "  actual: \(y)"] }
        }
        throw TestFailure("output differs from Tests/Golden/\(name) (LETHE_UPDATE_GOLDEN=1 rewrites it, if the change is meant):\n" + diff.joined(separator: "\n"))
    }

    /// One JSON document as stable, reviewable text: pretty-printed, keys sorted, and the
    /// value of every key in `replacing` (at any depth) set to the given value.
    public static func json(_ text: String, replacing: [String: Any] = [:]) throws -> String {
        func normalise(_ v: Any) -> Any {
            if let o = v as? [String: Any] {
                var out: [String: Any] = [:]
                for (k, x) in o { out[k] = replacing[k] ?? normalise(x) }
                return out
            }
            if let a = v as? [Any] { return a.map(normalise) }
            return v
        }
        let object = normalise(try JSONSerialization.jsonObject(with: Data(text.utf8)))
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// `text` with each path replaced by its placeholder (`[archive.root.path: "<root>"]`).
    public static func text(_ text: String, replacingPaths paths: [String: String] = [:]) -> String {
        paths.sorted { $0.key.count > $1.key.count }.reduce(text) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
    }
}
