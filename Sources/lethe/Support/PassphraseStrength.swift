import LetheCore

/// The rule for a new passphrase (`init`, `key add-passphrase`, `key change-passphrase`):
/// at least 8 characters unless `--allow-weak-passphrase`, and a warning for one that is
/// easy to guess. Anyone holding a copy of keys.db can try guesses offline, Argon2id only
/// slows each one down. Checked on the guarded bytes: the passphrase is never copied.
enum PassphraseStrength {
    static let minimumCharacters = 8
    /// Short phrases tried first by every guesser (compared ignoring ASCII case).
    static let common: [String] = [
        "password", "password1", "passw0rd", "12345678", "123456789", "1234567890", "87654321", "qwertyui", "qwertyuiop",
        "iloveyou", "letmein1", "abc12345", "abcdefgh", "sunshine", "football", "baseball", "princess", "welcome1",
        "trustno1", "admin123", "changeme", "secret12", "lethe123", "slack123",
    ]

    static func vet(_ secret: Secret, allowWeak: Bool) throws {
        let (characters, weakness) = secret.withUnsafeBytes { b -> (Int, String?) in
            let characters = b.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
            if let first = b.first, b.allSatisfy({ $0 == first }) { return (characters, "one character repeated") }
            for word in common where word.utf8.count == b.count {
                if zip(word.utf8, b).allSatisfy({ $0 == ($1 | (($1 >= 65 && $1 <= 90) ? 32 : 0)) }) {
                    return (characters, "one of the most common passwords")
                }
            }
            if characters < 12 {
                for (name, test) in [("only digits", { (c: UInt8) in c >= 48 && c <= 57 }),
                                     ("only lower-case letters", { (c: UInt8) in c >= 97 && c <= 122 }),
                                     ("only upper-case letters", { (c: UInt8) in c >= 65 && c <= 90 })] where b.allSatisfy(test) {
                    return (characters, "\(name), under 12 characters")
                }
            }
            return (characters, nil)
        }
        if characters < minimumCharacters && !allowWeak {
            throw LetheError(.usage, "the new passphrase has \(characters) character\(characters == 1 ? "" : "s"); at least \(minimumCharacters) are required",
                             hint: "choose a longer one (a few random words are best), or pass --allow-weak-passphrase")
        }
        if characters < minimumCharacters {
            printWarning("the new passphrase has only \(characters) character\(characters == 1 ? "" : "s") (allowed by --allow-weak-passphrase): a copy of keys.db can be opened by guessing it")
        } else if let weakness {
            printWarning("the new passphrase is weak (\(weakness)): a copy of keys.db can be opened by guessing it; a few random words are stronger")
        }
    }
}
