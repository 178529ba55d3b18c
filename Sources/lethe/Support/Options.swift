import ArgumentParser
import Foundation
import LetheCore

/// `--archive DIR` (or LETHE_ARCHIVE).
struct ArchiveOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The archive folder (default: $LETHE_ARCHIVE).", valueName: "dir"))
    var archive: String?

    @Option(name: .long, help: ArgumentHelp("Wait up to this many seconds for another lethe process to release the archive.", valueName: "seconds"))
    var wait: Double = 0

    /// Opens and unlocks the archive with the secret the user gave, recording `command` in the lock.
    func open(_ secrets: SecretOptions, mode: Archive.Mode, command: String) throws -> Archive {
        try Archive.open(at: try url(), credentials: try secrets.credentials(), mode: mode, command: command, waitSeconds: wait)
    }

    func url() throws -> URL {
        guard let path = archive ?? ProcessInfo.processInfo.environment["LETHE_ARCHIVE"], !path.isEmpty else {
            throw LetheError(.usage, "no archive given", hint: "pass --archive DIR or set LETHE_ARCHIVE")
        }
        return URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
    }
}

/// Where the secret comes from. Never an argument value itself.
struct SecretOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Read the passphrase from this file (first line). Else $LETHE_PASSPHRASE, else a prompt.", valueName: "file"))
    var passphraseFile: String?

    @Option(name: .long, help: ArgumentHelp("Unlock with this key file (made by `lethe init --key-file`).", valueName: "file"))
    var keyFile: String?

    /// The credentials to open an existing archive.
    func credentials() throws -> Credentials {
        var c = Credentials()
        if let keyFile { c.keyFile = try SecretReader.loadKeyFile(URL(fileURLWithPath: (keyFile as NSString).expandingTildeInPath)) }
        c.passphrase = try SecretReader.passphrase(file: passphraseFile, promptIfNeeded: c.keyFile == nil, confirm: false)
        guard !c.isEmpty else {
            throw LetheError(.usage, "no secret given and no terminal to ask on",
                             hint: "set LETHE_PASSPHRASE, or pass --passphrase-file FILE or --key-file FILE")
        }
        return c
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false
}
