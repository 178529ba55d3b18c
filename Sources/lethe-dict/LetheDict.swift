import ArgumentParser
import Foundation
import LetheCore

/// Trains one of lethe's built-in zstd dictionaries (docs/FORMAT.md §4a) from synthetic
/// exports. `make dictionary` runs it on lethe-gen output with fixed seeds; run by hand
/// only to make a new dictionary, which then needs a new name and id.
@main
struct LetheDict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lethe-dict",
        abstract: "Train lethe's built-in zstd dictionary, or measure what it gains on an export.",
        subcommands: [Train.self, Measure.self])
}

/// Every segment of `exports` as lethe encodes it before compression, from a throwaway
/// archive in a temporary folder (removed after).
func segmentSamples(_ exports: [String]) throws -> [[UInt8]] {
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-dict-\(getpid())")
    try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: tmp) }
    let key = try KeyFile.create(at: tmp.appendingPathComponent("key"))
    let dir = tmp.appendingPathComponent("archive")
    let credentials = Credentials(keyFile: key)
    try Archive.create(at: dir, credentials: credentials, options: .init(kdf: .interactive))
    let archive = try Archive.open(at: dir, credentials: credentials, mode: .write, command: "lethe-dict")
    _ = try Importer(archive: archive).run(exports.map { URL(fileURLWithPath: $0) })
    return try DictionaryTraining.segmentSamples(archive)
}

struct Measure: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print, as JSON, the bytes of an export's segments compressed alone without and with the built-in dictionary.")

    @Option(help: "The higher zstd level also measured with the dictionary.")
    var level: Int32 = 9

    @Argument(help: "Exports (folders or zips).")
    var exports: [String]

    func run() throws {
        var m = DictionaryTraining.measure(samples: try segmentSamples(exports), level: level)
        m["dictionary_id"] = Int(DictionaryTraining.builtIn.id)
        let json = try JSONSerialization.data(withJSONObject: m, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a zstd dictionary for lethe's segments from synthetic exports (never from real data).",
        discussion: "Each export is imported into a throwaway archive in a temporary folder; every bucket's segment, as lethe encodes it before compression, is one training sample. The dictionary is built into lethe, so it must hold nothing but synthetic data: train only on lethe-gen output.")

    @Option(help: "Largest dictionary in bytes.")
    var capacity: Int = 112_640

    @Option(help: "The C symbol suffix: lethe_dictionary_<symbol>().")
    var symbol: String = "slack1"

    @Option(help: "Write the C source here.")
    var out: String

    @Option(help: "A line of provenance for the generated file's header (repeatable).")
    var provenance: [String] = []

    @Argument(help: "Synthetic exports (folders or zips from lethe-gen).")
    var exports: [String]

    func run() throws {
        let samples = try segmentSamples(exports)
        let bytes = samples.reduce(0) { $0 + $1.count }
        FileHandle.standardError.write(Data("\(samples.count) samples, \(bytes) bytes; training…\n".utf8))
        let dict = try DictionaryTraining.train(samples: samples, capacity: capacity)
        let id = DictionaryTraining.id(of: dict)
        let lines = provenance + ["\(samples.count) samples, \(bytes) bytes; \(dict.count)-byte dictionary, id \(id)"]
        try DictionaryTraining.cSource(symbol: symbol, bytes: dict, provenance: lines)
            .write(toFile: out, atomically: true, encoding: .utf8)
        print("dictionary \(symbol): \(dict.count) bytes, id \(id), from \(samples.count) samples (\(bytes) bytes) -> \(out)")
    }
}
