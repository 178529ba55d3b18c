import CLetheDictionaries
import CZstd

/// A zstd dictionary built into lethe (docs/FORMAT.md §4a): trained on synthetic exports
/// only, so it holds no plaintext of any archive and needs no shredding. A segment
/// compressed with one carries its id in the zstd frame header; a dictionary never
/// changes once shipped, and a reader refuses an id it does not know.
final class ZstdDictionary: @unchecked Sendable {
    let name: String
    let id: UInt32
    let bytes: [UInt8]
    /// Digested once; zstd's dictionaries are read-only and may be shared by threads.
    let compression: OpaquePointer
    let decompression: OpaquePointer

    private init(name: String, bytes: UnsafePointer<UInt8>, count: Int) {
        self.name = name
        self.bytes = Array(UnsafeBufferPointer(start: bytes, count: count))
        id = ZDICT_getDictID(bytes, count)
        precondition(id != 0, "zstd dictionary \(name) is not a valid dictionary")
        guard let c = ZSTD_createCDict(bytes, count, Zstd.level), let d = ZSTD_createDDict(bytes, count) else {
            fatalError("zstd: out of memory")
        }
        compression = c
        decompression = d
    }

    /// "slack-1": Slack message JSON in lethe's segment layout (§4a: provenance and training).
    static let slack1 = ZstdDictionary(name: "slack-1", bytes: lethe_dictionary_slack1(), count: lethe_dictionary_slack1_size())

    /// The dictionary new segments are compressed with.
    static var current: ZstdDictionary { slack1 }

    /// Every dictionary a reader knows, by id.
    static func named(id: UInt32) -> ZstdDictionary? { id == slack1.id ? slack1 : nil }
}
