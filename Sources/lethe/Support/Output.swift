import ArgumentParser
import Foundation
import LetheCore

/// Runs a command body, turning Lethe errors into `lethe: error:` / `lethe: hint:` lines and exit codes.
///
/// Records that the command could not read (`Archive.damaged`) do not stop it: it works on
/// the rest, then names each one and exits 8, so nothing is left out in silence.
func reporting(_ body: () throws -> Void) throws {
    // Released before the process exits, so that SQLite closes the files (and removes data.db's -wal and -shm).
    defer { OpenedArchive.current = nil }
    do {
        try body()
        if let archive = OpenedArchive.current, !archive.damaged.isEmpty {
            for d in archive.damaged { printError("\(d)", hint: nil) }
            printError("\(archive.damaged.count) damaged record(s) were left out; everything else was done",
                       hint: "`lethe verify` lists every damaged record; restore data.db (or keys.db) from a backup to recover them")
            throw ExitCode(ExitCodes.code(for: .integrity))
        }
    } catch let e as LetheError {
        printError(e.description, hint: e.hint)
        throw ExitCode(e.exitCode)
    } catch let e as ExitCode {
        throw e
    } catch {
        printError("\(error)", hint: nil)
        throw ExitCode(1)
    }
}

func printError(_ message: String, hint: String?) {
    var text = "lethe: error: \(message)\n"
    if let hint { text += "lethe: hint: \(hint)\n" }
    FileHandle.standardError.write(Data(text.utf8))
}

func printWarning(_ message: String) {
    FileHandle.standardError.write(Data("lethe: warning: \(message)\n".utf8))
}

func printNote(_ message: String) {
    FileHandle.standardError.write(Data("lethe: note: \(message)\n".utf8))
}

/// Prints a value as one line of JSON with snake_case keys.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    FileHandle.standardOutput.write(data + Data([10]))
}

func printLine(_ s: String) {
    FileHandle.standardOutput.write(Data((s + "\n").utf8))
}

/// 1234567 → "1,234,567".
func grouped(_ n: Int) -> String {
    let s = String(n.magnitude)
    var out = ""
    for (i, c) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}

func formatBytes(_ n: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var v = Double(n)
    var u = 0
    while v >= 1024 && u < units.count - 1 {
        v /= 1024
        u += 1
    }
    return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
final class TerminalProgress: ProgressReporter {
    private let enabled = isatty(STDERR_FILENO) == 1
    private var label = ""
    private var total = 0
    private var last = Date.distantPast
    private var started = Date()

    func began(_ label: String, total: Int) {
        self.label = label
        self.total = total
        started = Date()
    }

    func advanced(done: Int, messages: Int) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(last) > 0.1 || done == total else { return }
        last = now
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let elapsed = Int(now.timeIntervalSince(started))
        let line = String(format: "\r  %@ [%@] %3d%%  %@/%@  %@ messages  %d:%02d ", label, bar, Int(fraction * 100),
                          grouped(done), grouped(total), grouped(messages), elapsed / 60, elapsed % 60)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func ended() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// The archive the running command opened, for `reporting` to check for damage at the end.
enum OpenedArchive {
    nonisolated(unsafe) static var current: Archive?
}
