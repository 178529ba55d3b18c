import Foundation

/// Writes a folder of plaintext (an export, a production) into a hidden sibling,
/// `.NAME.lethe-partial-PID`, and renames it into place only when complete: a failure
/// leaves no half output, and rename(2) replaces only a missing path or an empty folder,
/// so a file or a folder that gained content since `Exporter.checkTarget` is never deleted.
enum StagedFolder {
    /// Runs `body` with the staging folder, then moves it to `out`; on any error the staging
    /// folder is removed. `hint` is the hint of the error when the final rename fails.
    static func write<R>(to out: URL, what: String, hint: String, _ body: (URL) throws -> R) throws -> R {
        let fm = FileManager.default
        let staging = out.deletingLastPathComponent().appendingPathComponent(".\(out.lastPathComponent).lethe-partial-\(getpid())")
        try? fm.removeItem(at: staging)
        try fm.createDirectory(at: staging, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        do {
            let result = try body(staging)
            guard rename(staging.path, out.path) == 0 else {
                throw LetheError(.failure, "cannot move the \(what) into \(out.path): \(String(cString: strerror(errno)))", hint: hint)
            }
            return result
        } catch {
            try? fm.removeItem(at: staging)
            throw error
        }
    }
}
