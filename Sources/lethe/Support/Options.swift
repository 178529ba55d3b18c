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
    /// A writing command then tightens the folder to 0700 (docs/FORMAT.md) if it is looser.
    func open(_ secrets: SecretOptions, mode: Archive.Mode, command: String, roles: Set<Role> = []) throws -> Archive {
        let archive = try Archive.open(at: try url(), credentials: try secrets.credentials(), mode: mode, command: command, waitSeconds: wait,
                                       roles: roles)
        if mode == .write { ArchiveOptions.tighten(archive.directory) }
        for p in archive.integrityProblems {
            printWarning("keys.db was altered without the key: \(p); reading on with the authenticated values (commands that write or shred refuse; `lethe verify` lists everything)")
        }
        for n in archive.notes { printNote(n) }
        OpenedArchive.current = archive
        return archive
    }

    /// An archive folder others can enter (0755 from an old copy, a restore, a hand-made
    /// folder) becomes 0700 with a note, when this user owns it; else a warning.
    static func tighten(_ dir: URL) {
        var info = stat()
        guard lstat(dir.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_mode & 0o077 != 0 else { return }
        func octal(_ m: mode_t) -> String {
            let s = String(m & 0o7777, radix: 8)
            return String(repeating: "0", count: max(0, 4 - s.count)) + s
        }
        let was = octal(info.st_mode)
        guard info.st_uid == geteuid() else {
            printWarning("archive folder \(dir.path) is accessible by others (mode \(was)) and belongs to another user; not changed")
            return
        }
        if chmod(dir.path, 0o700) == 0 {
            printNote("archive folder \(dir.path) was mode \(was); set to 0700, as an archive folder should be")
        } else {
            printWarning("archive folder \(dir.path) is accessible by others (mode \(was)) and could not be set to 0700: \(String(cString: strerror(errno)))")
        }
    }

    func url() throws -> URL {
        guard let path = archive ?? ProcessInfo.processInfo.environment["LETHE_ARCHIVE"], !path.isEmpty else {
            throw LetheError(.usage, "no archive given", hint: "pass --archive DIR or set LETHE_ARCHIVE")
        }
        return URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
    }
}

/// Which archive, and the secret that opens it: what every command that reads or writes an
/// existing archive takes.
struct ArchiveAccess: ParsableArguments {
    @OptionGroup var location: ArchiveOptions
    @OptionGroup var secrets: SecretOptions

    /// `roles`: the role keys that may run this command (none: only the full secret).
    func open(mode: Archive.Mode, command: String, roles: Set<Role> = []) throws -> Archive {
        try location.open(secrets, mode: mode, command: command, roles: roles)
    }
}

/// Where the secret comes from. Never an argument value itself.
struct SecretOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Read the passphrase from this file (first line). Else $LETHE_PASSPHRASE, else a prompt.", valueName: "file"))
    var passphraseFile: String?

    @Option(name: .long, help: ArgumentHelp("Unlock with this key file: the full key (made by `lethe init --key-file`) or a role key (made by `lethe key issue`), which opens only what its role needs.", valueName: "file"))
    var keyFile: String?

    /// The credentials to open an existing archive. A role key file is used alone: it is
    /// what the unattended jobs hold, and $LETHE_PASSPHRASE is then not read.
    func credentials() throws -> Credentials {
        var c = Credentials()
        if let keyFile {
            switch try SecretReader.loadAnyKeyFile(URL(fileURLWithPath: (keyFile as NSString).expandingTildeInPath)) {
            case .full(let key): c.keyFile = key
            case .role(let role):
                c.roleKey = role
                return c
            }
        }
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
