import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An unpacked export folder.
///
/// Symbolic links are never followed (a link could point out of the export):
/// each is skipped with a warning. Files are opened with `O_NOFOLLOW` and
/// must be regular files.
public final class DirectorySource: ExportSource, @unchecked Sendable {
    public let displayName: String
    public let root: URL
    public let entries: [String]
    public let listingWarnings: [ImportWarning]
    private let budget: ReadBudget

    /// Deepest folder nesting walked (an export is two or three levels deep).
    static let maxWalkDepth = 16

    public init(_ root: URL, limits: ImportLimits = .init()) throws {
        // The root itself may be a link; nothing below it is followed.
        self.root = root.standardizedFileURL.resolvingSymlinksInPath()
        self.displayName = root.lastPathComponent
        self.budget = ReadBudget(limits: limits)
        var entries: [String] = []
        var warnings: [ImportWarning] = []
        var rootInfo = stat()
        guard lstat(self.root.path, &rootInfo) == 0, (rootInfo.st_mode & S_IFMT) == S_IFDIR else {
            throw LetheError(.badInput, "\(displayName): not a readable folder")
        }
        // Iterative walk: (absolute path, relative path, depth).
        var pending: [(String, String, Int)] = [(self.root.path, "", 0)]
        while let (dir, rel, depth) = pending.popLast() {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            } catch {
                warnings.append(ImportWarning(file: rel.isEmpty ? "." : rel + "/", reason: "folder not readable, skipped"))
                continue
            }
            for name in names {
                let relPath = rel.isEmpty ? name : rel + "/" + name
                let absPath = dir + "/" + name
                var info = stat()
                guard lstat(absPath, &info) == 0 else {
                    warnings.append(ImportWarning(file: relPath, reason: "not readable, skipped"))
                    continue
                }
                switch info.st_mode & S_IFMT {
                case S_IFLNK:
                    warnings.append(ImportWarning(file: relPath, reason: "symbolic link, not followed"))
                case S_IFDIR:
                    if name == "__MACOSX" { continue }
                    if depth + 1 >= DirectorySource.maxWalkDepth {
                        warnings.append(ImportWarning(file: relPath + "/", reason: "nested too deep, skipped"))
                    } else {
                        pending.append((absPath, relPath, depth + 1))
                    }
                case S_IFREG:
                    if case .file(let path) = ExportPath.classify(relPath) { entries.append(path) }
                default:
                    warnings.append(ImportWarning(file: relPath, reason: "not a regular file, skipped"))
                }
            }
        }
        self.entries = entries.sorted()
        self.listingWarnings = warnings
    }

    /// Opens an entry as a regular file (never through a symlink); returns its descriptor and size.
    private func openEntry(_ path: String) throws -> (fd: Int32, size: Int64) {
        guard case .file(let clean) = ExportPath.classify(path), clean == path else {
            throw LetheError(.badInput, "\(path): not a valid entry path")
        }
        let fd = open(root.path + "/" + path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw LetheError(.badInput, "\(path): cannot be opened") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw LetheError(.badInput, "\(path): not a regular file")
        }
        return (fd, Int64(info.st_size))
    }

    public func read(_ path: String, maxBytes: Int) throws -> [UInt8] {
        let (fd, size) = try openEntry(path)
        defer { close(fd) }
        let cap = min(maxBytes, budget.limits.maxFileBytes)
        if size > Int64(cap) {
            throw LetheError(.badInput, "\(path): larger than the limit of \(cap) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: Int(size) + 1)
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                posixRead(fd, buffer.baseAddress.map { $0 + filled }, buffer.count - filled)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw LetheError(.badInput, "\(path): read failed")
            }
            if n == 0 { break }
            filled += n
        }
        if filled > cap { throw LetheError(.badInput, "\(path): larger than the limit of \(cap) bytes") }
        bytes.removeLast(bytes.count - filled)
        try budget.charge(filled, entry: path, source: displayName)
        return bytes
    }
}

extension DirectorySource {
    public func stream(_ path: String, maxBytes: Int64, _ consumer: ([UInt8]) throws -> Void) throws {
        let (fd, size) = try openEntry(path)
        defer { close(fd) }
        if size > maxBytes { throw LetheError(.badInput, "\(path): larger than the limit of \(maxBytes) bytes") }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw LetheError(.badInput, "\(path): read failed")
            }
            if n == 0 { break }
            total += Int64(n)
            if total > maxBytes { throw LetheError(.badInput, "\(path): larger than the limit of \(maxBytes) bytes") }
            try budget.charge(n, entry: path, source: displayName)
            try consumer(Array(buffer.prefix(n)))
        }
    }

    public func statedSize(_ path: String) -> Int64? {
        guard case .file(let clean) = ExportPath.classify(path), clean == path else { return nil }
        var info = stat()
        return lstat(root.path + "/" + path, &info) == 0 ? Int64(info.st_size) : nil
    }

    public func head(_ path: String, count: Int) -> [UInt8]? {
        guard case .file(let clean) = ExportPath.classify(path), clean == path else { return nil }
        return SlackdumpShape.head(ofFile: root.path + "/" + path, count: count)
    }
}

@inline(__always)
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

/// Bytes read so far from one export, against `maxTotalBytes`.
final class ReadBudget: @unchecked Sendable {
    let limits: ImportLimits
    private let lock = NSLock()
    private var total: Int64 = 0

    init(limits: ImportLimits) {
        self.limits = limits
    }

    /// Adds `n` bytes; throws once the export's total passes the limit.
    func charge(_ n: Int, entry: String, source: String) throws {
        lock.lock()
        defer { lock.unlock() }
        total += Int64(n)
        if total > limits.maxTotalBytes {
            throw LetheError(.badInput, "\(source): \(entry): export larger than the total limit of \(limits.maxTotalBytes) uncompressed bytes")
        }
    }
}
