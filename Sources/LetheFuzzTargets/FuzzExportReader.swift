import Foundation
import LetheCore

/// The export reader. The first byte picks what the rest is:
/// - 0: a zip, read the way `lethe import` reads one
///   (`ZipSource` → `SlackExport` → every day file);
/// - 1: an unpacked export held in memory: the rest split at 0x1E bytes into
///   `channels.json`, `users.json`, `groups.json`, `dms.json`, `mpims.json`, then
///   day files written as `path` `\n` `contents` (e.g. `general/2024-01-01.json`);
/// - 2: one JSON text through every JSON entry point, which must agree.
enum FuzzExportReader {
    static let separator: UInt8 = 0x1E
    static let metadataFiles = ["channels.json", "users.json", "groups.json", "dms.json", "mpims.json"]

    static func run(_ input: [UInt8]) {
        guard let mode = input.first else { return }
        let rest = Array(input.dropFirst())
        switch mode % 3 {
        case 0: readZip(rest)
        case 1: readMemoryExport(rest)
        default: checkJSON(rest)
        }
    }

    /// The zip is written to a temporary file (tmpfs when there is one) and read from
    /// there, as `lethe import` reads one.
    static func readZip(_ bytes: [UInt8]) {
        scratchLock.lock()
        scratchCount += 1
        let url = scratchFolder.appendingPathComponent("lethe-fuzz-\(getpid())-\(scratchCount).zip")
        scratchLock.unlock()
        defer { try? FileManager.default.removeItem(at: url) }
        guard (try? Data(bytes).write(to: url)) != nil, let source = try? ZipSource(url) else { return }
        readAll(source)
    }

    static let scratchLock = NSLock()
    nonisolated(unsafe) static var scratchCount = 0
    static let scratchFolder = URL(fileURLWithPath: FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())

    static func readMemoryExport(_ bytes: [UInt8]) {
        var files: [(String, [UInt8])] = []
        for (k, chunk) in bytes.split(separator: separator, omittingEmptySubsequences: false).enumerated() {
            if k < metadataFiles.count {
                if !chunk.isEmpty { files.append((metadataFiles[k], Array(chunk))) }
            } else {
                let newline = chunk.firstIndex(of: 0x0A) ?? chunk.endIndex
                let path = String(decoding: chunk[chunk.startIndex..<newline], as: UTF8.self)
                files.append((path, Array(chunk[min(newline + 1, chunk.endIndex)...])))
            }
        }
        readAll(MemorySource(files))
    }

    /// Everything `lethe import` reads from a source: metadata, users, every day file.
    static func readAll(_ source: any ExportSource) {
        guard let export = try? SlackExport(source: source) else { return }
        for conversation in export.conversations {
            for day in export.dayFiles(of: conversation) {
                guard let (messages, _) = try? export.readMessages(day) else { continue }
                for m in messages { require(!m.json.isEmpty, "a message with no JSON bytes") }
            }
        }
    }

    /// `JSONValue.parse`, `JSONArraySplitter.compact`, `compactedElements` and `split` on one
    /// text, under the default limits and under tight ones: they must agree on validity,
    /// and compacting or re-encoding must not change the value.
    static func checkJSON(_ bytes: [UInt8]) {
        var tight = ImportLimits()
        tight.maxJSONDepth = 4
        tight.maxStringBytes = 16
        for limits in [ImportLimits(), tight] {
            let parsed = try? JSONValue.parse(bytes, limits: limits)
            let compacted = try? JSONArraySplitter.compact(bytes, limits: limits)
            require((parsed == nil) == (compacted == nil), "parse and compact disagree on validity")
            if let parsed, let compacted {
                require((try? JSONValue.parse(compacted, limits: limits)) == parsed, "compacting changed the value")
                require((try? JSONValue.parse(parsed.encoded(), limits: limits)) == parsed, "encoding changed the value")
            }
            let splitter = JSONArraySplitter(limits: limits)
            let elements = try? splitter.compactedElements(bytes)
            let split = try? splitter.split(bytes)
            if case .array(let items)? = parsed {
                require(elements?.count == items.count, "the splitter and the parser count different elements")
                require(split.map { $0.messages.count + $0.skipped.count } == items.count, "split lost elements")
                for (element, item) in zip(elements ?? [], items) {
                    require((try? JSONValue.parse(element, limits: limits)) == item, "a split element differs from the parsed one")
                }
            } else {
                require(elements == nil && split == nil, "the splitter accepted what the parser refused")
            }
        }
    }
}

/// An export held in memory: (path, bytes) pairs, first of duplicate paths wins.
final class MemorySource: ExportSource, @unchecked Sendable {
    let displayName = "fuzz-export"
    let entries: [String]
    let listingWarnings: [ImportWarning] = []
    private let files: [String: [UInt8]]

    init(_ list: [(String, [UInt8])]) {
        var files: [String: [UInt8]] = [:]
        var entries: [String] = []
        for (path, bytes) in list where files[path] == nil {
            files[path] = bytes
            entries.append(path)
        }
        self.files = files
        self.entries = entries
    }

    func read(_ path: String, maxBytes: Int) throws -> [UInt8] {
        guard let bytes = files[path] else { throw LetheError(.badInput, "\(path): no such entry") }
        guard bytes.count <= maxBytes else { throw LetheError(.badInput, "\(path): over the limit") }
        return bytes
    }
}
