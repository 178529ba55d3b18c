import Foundation
import LetheFuzzTargets

#if FUZZING
// libFuzzer build (`make fuzz`: -sanitize=fuzzer -DFUZZING). SwiftPM renames an executable's
// entry point, so libFuzzer's own main is not used: ours hands the command line to
// LLVMFuzzerRunDriver. LETHE_FUZZ_TARGET names the target every input goes to.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

nonisolated(unsafe) private var selectedTarget = FuzzTarget.exportReader

@main
struct LetheFuzz {
    static func main() {
        let name = ProcessInfo.processInfo.environment["LETHE_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("lethe-fuzz: set LETHE_FUZZ_TARGET to one of: \(names)\n".utf8))
            exit(64)
        }
        selectedTarget = target
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { start, count in
            selectedTarget.run(start.map { [UInt8](UnsafeBufferPointer(start: $0, count: count)) } ?? [])
            return 0
        })
    }
}
#else
/// `lethe-fuzz TARGET PATH…`: runs every file (folders: every file in them) through a
/// fuzz target, the way the regression test replays Tests/FuzzCorpus. Exits 0 when
/// every input returns; a bug traps, naming the input on stderr first.
@main
struct LetheFuzz {
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        if args.count == 2, args[0] == "write-seeds" {
            writeSeeds(to: args[1])
            return
        }
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: " | ")
        guard let first = args.first, let target = FuzzTarget(rawValue: first), args.count >= 2 else {
            FileHandle.standardError.write(Data("usage: lethe-fuzz \(names) FILE|FOLDER…\n       lethe-fuzz write-seeds DIR\n  (a fuzzing build: make fuzz)\n".utf8))
            exit(64)
        }
        var count = 0
        for path in args.dropFirst() {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    FileHandle.standardError.write(Data("lethe-fuzz: cannot read \(file)\n".utf8))
                    exit(1)
                }
                FileHandle.standardError.write(Data("\(file)\n".utf8))
                target.run([UInt8](data))
                count += 1
            }
        }
        print("\(target.rawValue): \(count) inputs, no crash")
    }

    /// Writes the generated seeds as DIR/<target>/<name> (make fuzz-seeds).
    static func writeSeeds(to dir: String) {
        do {
            for seed in try SeedCorpus.seeds() {
                let folder = URL(fileURLWithPath: dir).appendingPathComponent(seed.target.rawValue)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try Data(seed.bytes).write(to: folder.appendingPathComponent(seed.name))
            }
        } catch {
            FileHandle.standardError.write(Data("lethe-fuzz: \(error)\n".utf8))
            exit(1)
        }
    }

    static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map { path + "/" + $0 }
    }
}
#endif
