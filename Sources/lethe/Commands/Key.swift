import ArgumentParser
import Foundation
import LetheCore

extension Role: ExpressibleByArgument {}

struct Key: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Manage the ways to open the archive (key slots and role keys).",
        discussion: """
            Each slot wraps the archive's master key under a passphrase (Argon2id) or a key file. Changing slots rewraps that key only; no message is re-encrypted. Copies of keys.db taken earlier still hold the old slots: see the backup rule in docs/SECURITY.md. New passphrases come from LETHE_NEW_PASSPHRASE, --new-passphrase-file, or a prompt, and need at least 8 characters (--allow-weak-passphrase accepts fewer); an easily guessed one is accepted with a warning.

            Role keys (`key issue`) are for the unattended jobs: an import key may only import, a retention key may only plan and apply retention, check a policy and read the audit; neither opens the master key. Any other command given a role key exits 12 and changes nothing. Revoking one (`key revoke ID`) destroys what it opens and records it in the audit chain. docs/SECURITY.md, "Role keys", says what each role can read.
            """,
        subcommands: [List.self, Issue.self, Revoke.self, AddPassphrase.self, AddKeyFile.self, ChangePassphrase.self, Remove.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the key slots and the role keys.",
                                                        discussion: "--json prints {\"slots\": [...], \"role_keys\": [...]}; a role key shows its id, role, creation and, once revoked, when.")
        @OptionGroup var access: ArchiveAccess
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reporting {
                let archive = try access.open(mode: .read, command: "lethe key list")
                let listing = try archive.keyListing()
                if output.json { try printJSON(listing); return }
                for s in listing.slots {
                    printLine("slot \(s.id)  \(s.kind)\(s.kdf.map { " (\($0))" } ?? "")  created \(s.createdAt)\(s.current ? "  ← opened this run" : "")")
                }
                for r in listing.roleKeys {
                    printLine("role key \(r.id)  \(r.role)  created \(r.createdAt)\(r.revokedAt.map { "  revoked \($0)" } ?? "")")
                }
            }
        }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue", abstract: "Write a role key file: a key for one unattended job, which cannot read the archive.",
            discussion: "Needs the full secret. --role import: the key may run `lethe import` only. --role retention: `lethe retention plan|apply`, `lethe policy check` and `lethe audit` only. The file is written with mode 0600 and never replaces an existing file; its first line names its role. The issue is recorded in the audit chain with the key's id. Copy it to the server that runs the job, and keep the full secret off that server.")
        @OptionGroup var access: ArchiveAccess
        @Option(name: .long, help: ArgumentHelp("The role: import or retention.", valueName: "role"))
        var role: Role
        @Option(name: .long, help: ArgumentHelp("Where to write the role key file (must not exist).", valueName: "file"))
        var out: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reporting {
                let url = URL(fileURLWithPath: (out as NSString).expandingTildeInPath)
                if FileManager.default.fileExists(atPath: url.path) {
                    throw LetheError(.usage, "cannot create role key file \(url.path): it already exists", hint: "choose another path; nothing was changed")
                }
                let archive = try access.open(mode: .write, command: "lethe key issue")
                let (id, entry) = try archive.issueRoleKey(role, out: url)
                if output.json {
                    try printJSON(IssuedRoleKey(id: id, role: role.rawValue, file: url.path, auditSeq: entry.seq))
                    return
                }
                printLine("Issued \(role.rawValue) role key \(id); wrote \(url.path) (mode 0600) — keep it secret; audit entry #\(entry.seq).")
            }
        }
    }

    struct IssuedRoleKey: Codable {
        var id: Int64
        var role: String
        var file: String
        var auditSeq: Int64
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke", abstract: "Revoke a role key: its file stops opening the archive.",
            discussion: "Needs the full secret. Destroys the role key's wrapped material in keys.db (its id, role and dates stay, for `key list`) and records the revocation in the audit chain. Copies of keys.db taken before still accept the file: see the backup rule in docs/SECURITY.md.")
        @OptionGroup var access: ArchiveAccess
        @Argument(help: ArgumentHelp("The role key's id (see `lethe key list`).", valueName: "role-id"))
        var id: Int64
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reporting {
                let archive = try access.open(mode: .write, command: "lethe key revoke")
                let entry = try archive.revokeRoleKey(id: id)
                if output.json {
                    try printJSON(["id": id, "audit_seq": entry.seq])
                    return
                }
                printLine("Revoked role key \(id); audit entry #\(entry.seq).")
            }
        }
    }

    struct NewSecret: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("Read the new passphrase from this file. Else $LETHE_NEW_PASSPHRASE, else a prompt.", valueName: "file"))
        var newPassphraseFile: String?
        @Option(name: .long, help: "Argon2id cost of the new passphrase: interactive (64 MiB of memory at each unlock), moderate (256 MiB) or sensitive (1 GiB). A key file costs none.")
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
