import Foundation
import ZIPFoundation

enum ZipExport {
    /// Every file under `dir`, as sorted relative paths (deterministic order).
    static func listFiles(_ dir: String) throws -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        var stack = [""]
        while let rel = stack.popLast() {
            let abs = rel.isEmpty ? dir : dir + "/" + rel
            for name in try fm.contentsOfDirectory(atPath: abs).sorted(by: >) {
                let child = rel.isEmpty ? name : rel + "/" + name
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: dir + "/" + child, isDirectory: &isDir), isDir.boolValue {
                    stack.append(child)
                } else {
                    out.append(child)
                }
            }
        }
        return out.sorted()
    }

    /// Zips the export with deflate. Entry dates are fixed so the same export gives the same bytes.
    static func write(exportDir: String, to zipPath: String, date: Date) throws {
        let url = URL(fileURLWithPath: zipPath)
        if FileManager.default.fileExists(atPath: zipPath) {
            try FileManager.default.removeItem(at: url)
        }
        let archive = try Archive(url: url, accessMode: .create)
        for rel in try listFiles(exportDir) {
            let path = exportDir + "/" + rel
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw GenError(description: "cannot read \(path)")
            }
            defer { try? handle.close() }
            let size = try handle.seekToEnd()
            try handle.seek(toOffset: 0)
            try archive.addEntry(with: rel, type: .file, uncompressedSize: Int64(size), modificationDate: date,
                                 permissions: 0o644, compressionMethod: .deflate, bufferSize: 1 << 20) { position, chunk in
                try handle.seek(toOffset: UInt64(position))
                return try handle.read(upToCount: chunk) ?? Data()
            }
        }
    }
}
