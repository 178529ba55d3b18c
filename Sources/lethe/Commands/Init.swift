import ArgumentParser
import Foundation
import LetheCore

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new, empty archive.",
        discussion: """
            The archive gets a passphrase slot (from LETHE_PASSPHRASE, --passphrase-file or a prompt) and/or a key-file slot (--key-file FILE: made if missing, used if it exists). Either one unlocks the archive. Keep keys.db with your key backups: see docs/SECURITY.md.

            A passphrase needs at least 8 characters (--allow-weak-passphrase accepts a shorter one); one that is easy to guess (a common password, one character repeated, only digits or only letters of one case under 12 characters) is accepted with a warning. Anyone with a copy of keys.db can try guesses offline.

            --bucket sets the retention granularity for good: a bucket is shredded only when every message it can hold has expired. Day is the default and the finest.
            """)

    @OptionGroup var archiveOptions: ArchiveOptions
    @Option(name: .long, help: ArgumentHelp("Make (or use) this key file as a way to unlock.", valueName: "file"))
    var keyFile: String?
    @Option(name: .long, help: ArgumentHelp("Read the passphrase from this file.", valueName: "file"))
    var passphraseFile: String?
    @Option(name: .long, help: "Time bucket: the unit retention shreds.")
    var bucket: BucketScheme = .day
    @Option(name: .long, help: "Argon2id cost of the passphrase: interactive (64 MiB of memory at each unlock), moderate (256 MiB) or sensitive (1 GiB). A key file costs none.")
    var kdf: KDFProfile = .moderate
    @Flag(name: .long, help: "Accept a passphrase under 8 characters (with a warning).")
    var allowWeakPassphrase = false
    @OptionGroup var output: OutputOptions

    struct Report: Encodable {
        var archive: String
        var bucketScheme: String
        var slots: [String]
        var keyFileCreated: String?
    }

    func run() throws {
        try reporting {
            let scheme = bucket, profile = kdf
            let dir = try archiveOptions.url()
            var credentials = Credentials()
            var created: String?
            if let keyFile {
                let url = URL(fileURLWithPath: (keyFile as NSString).expandingTildeInPath)
                if FileManager.default.fileExists(atPath: url.path) {
                    credentials.keyFile = try SecretReader.loadKeyFile(url)
                } else {
                    credentials.keyFile = try KeyFile.create(at: url)
                    created = url.path
                }
            }
            credentials.passphrase = try SecretReader.passphrase(file: passphraseFile, promptIfNeeded: keyFile == nil, confirm: true)
            if let passphrase = credentials.passphrase { try PassphraseStrength.vet(passphrase, allowWeak: allowWeakPassphrase) }
            guard !credentials.isEmpty else {
                throw LetheError(.usage, "no secret given and no terminal to ask on",
                                 hint: "set LETHE_PASSPHRASE, or pass --passphrase-file FILE or --key-file FILE")
            }
            try Archive.create(at: dir, credentials: credentials, options: .init(scheme: scheme, kdf: profile))
            ArchiveOptions.tighten(dir)  // an existing folder keeps its mode through create
            var slots: [String] = []
            if credentials.keyFile != nil { slots.append("keyfile") }
            if credentials.passphrase != nil { slots.append("passphrase") }
            if output.json {
                try printJSON(Report(archive: dir.path, bucketScheme: scheme.rawValue, slots: slots, keyFileCreated: created))
            } else {
                printLine("Created archive \(dir.path) (\(scheme.rawValue) buckets; unlocks with: \(slots.joined(separator: ", "))).")
                if let created { printLine("Wrote key file \(created). Keep it secret and keep a copy: without it or the passphrase nothing can be read.") }
            }
        }
    }
}
