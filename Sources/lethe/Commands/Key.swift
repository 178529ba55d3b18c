import ArgumentParser
import Foundation
import LetheCore

struct Key: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Manage the ways to open the archive (key slots).",
        discussion: """
            Each slot wraps the archive's master key under a passphrase (Argon2id) or a key file. Changing slots rewraps that key only; no message is re-encrypted. Copies of keys.db taken earlier still hold the old slots: see the backup rule in docs/SECURITY.md. New passphrases come from LETHE_NEW_PASSPHRASE, --new-passphrase-file, or a prompt, and need at least 8 characters (--allow-weak-passphrase accepts fewer); an easily guessed one is accepted with a warning.
            """,
        subcommands: [List.self, AddPassphrase.self, AddKeyFile.self, ChangePassphrase.self, Remove.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the key slots.")
        @OptionGroup var access: ArchiveAccess
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reporting {
                let archive = try access.open(mode: .read, command: "lethe key list")
                let slots = try archive.keySlots()
                if output.json { try printJSON(slots); return }
                for s in slots {
                    printLine("slot \(s.id)  \(s.kind)\(s.kdf.map { " (\($0))" } ?? "")  created \(s.createdAt)\(s.current ? "  ← opened this run" : "")")
                }
            }
        }
    }

    struct NewSecret: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("Read the new passphrase from this file. Else $LETHE_NEW_PASSPHRASE, else a prompt.", valueName: "file"))
        var newPassphraseFile: String?
        @Option(name: .long, help: "Argon2id cost of the new passphrase.")
        var kdf: KDFProfile = .moderate
        @Flag(name: .long, help: "Accept a new passphrase under 8 characters (with a warning).")
        var allowWeakPassphrase = false

        func read() throws -> (Secret, KDFProfile) {
            let (secret, profile) = try readUnchecked()
            try PassphraseStrength.vet(secret, allowWeak: allowWeakPassphrase)
            return (secret, profile)
        }

        private func readUnchecked() throws -> (Secret, KDFProfile) {
            let profile = kdf
            if newPassphraseFile == nil, let p = getenv("LETHE_NEW_PASSPHRASE") {
                var bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p)))
                memset(p, 0, strlen(p))
                unsetenv("LETHE_NEW_PASSPHRASE")
                guard !bytes.isEmpty else { throw LetheError(.usage, "LETHE_NEW_PASSPHRASE is empty") }
                return (Secret(wiping: &bytes), profile)
            }
            if let newPassphraseFile {
                guard let s = try SecretReader.passphrase(file: newPassphraseFile, promptIfNeeded: false, confirm: false) else {
                    throw LetheError(.usage, "cannot read \(newPassphraseFile)")
                }
                return (s, profile)
            }
            guard isatty(STDIN_FILENO) == 1 else {
                throw LetheError(.usage, "no new passphrase given", hint: "set LETHE_NEW_PASSPHRASE or pass --new-passphrase-file FILE")
            }
            let first = try SecretReader.prompt("New passphrase: ")
            let second = try SecretReader.prompt("New passphrase again: ")
            guard first.withUnsafeBytes({ a in second.withUnsafeBytes { a.elementsEqual($0) } }), first.count > 0 else {
                throw LetheError(.usage, "the two passphrases differ or are empty")
            }
            return (first, profile)
        }
    }

    struct AddPassphrase: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-passphrase", abstract: "Add a passphrase slot.")
        @OptionGroup var access: ArchiveAccess
        @OptionGroup var newSecret: NewSecret

        func run() throws {
            try reporting {
                let (pass, profile) = try newSecret.read()
                let archive = try access.open(mode: .write, command: "lethe key add-passphrase")
                let id = try archive.addPassphraseSlot(pass, profile: profile)
                printLine("Added passphrase slot \(id).")
            }
        }
    }

    struct AddKeyFile: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-keyfile", abstract: "Add a key-file slot (the key file is made if missing).")
        @OptionGroup var access: ArchiveAccess
        @Argument(help: ArgumentHelp("The key file to make or use.", valueName: "file"))
        var file: String

        func run() throws {
            try reporting {
                let archive = try access.open(mode: .write, command: "lethe key add-keyfile")
                let url = URL(fileURLWithPath: (file as NSString).expandingTildeInPath)
                let exists = FileManager.default.fileExists(atPath: url.path)
                let key = exists ? try SecretReader.loadKeyFile(url) : try KeyFile.create(at: url)
                if exists, let id = try archive.keyFileSlot(opening: key) {
                    printLine("\(url.path) already opens slot \(id); nothing added.")
                    return
                }
                let id = try archive.addKeyFileSlot(key)
                printLine("Added key-file slot \(id)\(exists ? "" : "; wrote \(url.path) — keep it secret").")
            }
        }
    }

    struct ChangePassphrase: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "change-passphrase", abstract: "Replace the passphrase that opens the archive.")
        @OptionGroup var access: ArchiveAccess
        @OptionGroup var newSecret: NewSecret

        func run() throws {
            try reporting {
                let archive = try access.open(mode: .write, command: "lethe key change-passphrase")
                let (pass, profile) = try newSecret.read()
                try archive.changePassphrase(to: pass, profile: profile)
                printLine("Passphrase changed. The old one no longer opens this keys.db (older copies of keys.db still accept it).")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a key slot (never the last one).")
        @OptionGroup var access: ArchiveAccess
        @Argument(help: "The slot id (see `lethe key list`).")
        var slot: Int64

        func run() throws {
            try reporting {
                let archive = try access.open(mode: .write, command: "lethe key remove")
                try archive.removeSlot(slot)
                printLine("Removed slot \(slot).")
            }
        }
    }
}
