import ArgumentParser
import Dispatch
import Foundation
import LetheCore
import LetheServe

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Browse and search the archive in a web browser, decrypted in memory only.",
        discussion: """
            Starts a read-only web server on 127.0.0.1 and ::1 and prints its address with a per-run token (http://127.0.0.1:8473/?token=…): open that address; the page then sets a session cookie (HttpOnly, SameSite=Strict). Requests without the token, or naming another host (DNS rebinding), are refused. Nothing decrypted is written to disk; the archive is opened with the shared lock, so `lethe import` or `retention apply` wait for it (--wait) or report it.
            Pages: the conversations, each conversation day by day with its threads, search with `lethe search`'s syntax, jump to a date, shredded ranges, the retention plan (with --policy) and the audit log.
            After --idle-lock without a request (default 30m; `off` to keep the keys), or on the Lock button, the keys are wiped from memory and pages ask to unlock again: with --key-file or --passphrase-file, unlocking reads that file again; otherwise the page asks for the passphrase. Ctrl-C stops the server and wipes the keys.
            Examples:
              lethe serve --key-file ~/.lethe.key
              lethe serve --port 0 --open --idle-lock 15m
              lethe serve --policy /etc/lethe/policy.yml
            """)

    @OptionGroup var access: ArchiveAccess
    @Option(name: .long, help: ArgumentHelp("The TCP port; 0 picks a free one.", valueName: "port"))
    var port = 8473
    @Option(name: .long, help: ArgumentHelp("Listen on this address instead of loopback (warns: anyone who can reach it and has the token can read the archive).", valueName: "addr"))
    var listen: String?
    @Flag(name: .long, help: "Open the address in the default browser.")
    var open = false
    @Option(name: .long, help: ArgumentHelp("Forget the keys after this long without a request: 90s, 15m, 1h, or off.", valueName: "duration"))
    var idleLock = "30m"
    @Option(name: .long, help: ArgumentHelp("A retention policy file: the Retention page shows its plan as of now.", valueName: "file"))
    var policy: String?
    @OptionGroup var output: OutputOptions

    struct Started: Encodable {
        var url: String
        var port: Int
        var hosts: [String]
        var idleLockSeconds: Double?
    }

    /// `90s`, `15m`, `1h`, `1.5` (seconds), or `off` (nil).
    static func parseDuration(_ s: String) throws -> TimeInterval? {
        let t = s.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "off" || t == "0" { return nil }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        let (number, unit) = t.last.flatMap { units[$0] }.map { (String(t.dropLast()), $0) } ?? (t, 1)
        guard let v = Double(number), v > 0, v.isFinite else {
            throw LetheError(.usage, "--idle-lock \(s) is not a duration", hint: "use 90s, 15m, 1h or off")
        }
        return v * unit
    }

    func run() throws {
        try reporting {
            guard (0...65535).contains(port) else { throw LetheError(.usage, "--port \(port) is not a TCP port", hint: "use 1-65535, or 0 for a free port") }
            let idle = try Self.parseDuration(idleLock)
            let loadedPolicy = try policy.map { try RetentionJob.loadPolicy(URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath)) }
            if let listen {
                guard !listen.isEmpty else { throw LetheError(.usage, "--listen needs an address") }
                printWarning("--listen \(listen): the archive is readable by anyone who can reach this address and has the token; the traffic is not encrypted")
            }
            let url = try access.location.url()
            let wait = access.location.wait
            let keyFile = access.secrets.keyFile.map { ($0 as NSString).expandingTildeInPath }
            let passphraseFile = access.secrets.passphraseFile
            let unlocker = Unlocker(asksPassphrase: keyFile == nil && passphraseFile == nil) { typed in
                var c = Credentials()
                if let keyFile { c.keyFile = try SecretReader.loadKeyFile(URL(fileURLWithPath: keyFile)) }
                if let passphraseFile { c.passphrase = try SecretReader.passphrase(file: passphraseFile, promptIfNeeded: false, confirm: false) }
                if let typed { c.passphrase = typed }
                return try Archive.open(at: url, credentials: c, mode: .read, command: "lethe serve", waitSeconds: wait)
            }
            // No reference to the Archive is kept here: the server holds the only one, and drops it on lock.
            let server = try LetheServer(archive: try access.open(mode: .read, command: "lethe serve"), unlocker: unlocker,
                                         options: ServeOptions(listen: listen, port: UInt16(port), idleLock: idle, policy: loadedPolicy, policyPath: policy))
            OpenedArchive.current = nil
            try Self.startBlocking(server)
            if output.json {
                try printJSON(Started(url: server.url, port: Int(server.port), hosts: server.hosts, idleLockSeconds: idle))
            } else {
                printLine("Serving \(url.path) on \(server.url) (Ctrl-C to stop)")
                if let idle { printLine("The keys are forgotten after \(Int(idle)) s without a request.") }
            }
            if open { Self.openBrowser(server.url) }
            Self.stopOnSignals(server)
            dispatchMain()
        }
    }

    /// Runs the async start on the cooperative pool and waits for it here.
    static func startBlocking(_ server: LetheServer) throws {
        final class Box: @unchecked Sendable { var error: (any Error)? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { try await server.start() } catch { box.error = error }
            done.signal()
        }
        done.wait()
        if let e = box.error { throw e }
    }

    /// Ctrl-C or SIGTERM: wipe the keys (drop the archive), then exit.
    static func stopOnSignals(_ server: LetheServer) {
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                server.lock()
                FileHandle.standardError.write(Data("lethe: serve: stopped; the keys are wiped\n".utf8))
                Foundation.exit(0)
            }
            source.resume()
            Self.sources.append(source)
        }
    }
    nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []

    static func openBrowser(_ url: String) {
        #if os(macOS)
        let opener = "/usr/bin/open"
        #else
        let opener = "/usr/bin/xdg-open"
        #endif
        let p = Process()
        p.executableURL = URL(fileURLWithPath: opener)
        p.arguments = [url]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { printNote("could not start \(opener) (\(error.localizedDescription)); open the address above yourself") }
    }
}
