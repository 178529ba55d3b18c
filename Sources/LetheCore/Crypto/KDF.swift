import CSodium

/// Argon2id cost profiles for passphrase slots (libsodium's named limits).
public enum KDFProfile: String, CaseIterable, Sendable {
    case interactive, moderate, sensitive

    var opsLimit: UInt64 {
        switch self {
        case .interactive: return UInt64(crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE)
        case .moderate: return UInt64(crypto_pwhash_argon2id_OPSLIMIT_MODERATE)
        case .sensitive: return UInt64(crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE)
        }
    }

    var memLimit: UInt64 {
        switch self {
        case .interactive: return UInt64(crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE)
        case .moderate: return UInt64(crypto_pwhash_argon2id_MEMLIMIT_MODERATE)
        case .sensitive: return UInt64(crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE)
        }
    }
}

/// Key derivation: passphrases through Argon2id, high-entropy secrets through BLAKE2b.
enum KDF {
    static let saltBytes = Int(crypto_pwhash_argon2id_SALTBYTES)
    /// The Argon2id limits a slot may ask for: what lethe's profiles write, with room above
    /// (sensitive is 4 passes over 1 GiB). Checked before Argon2id runs, since the limits are
    /// plaintext in keys.db: 2^32-1 passes would make unlocking hang for days.
    static let acceptableOpsLimit: ClosedRange<UInt64> = 1...16
    static let acceptableMemLimit: ClosedRange<UInt64> = 8192...(8 << 30)

    /// Argon2id13(passphrase, salt, ops, mem) → 32-byte KEK in guarded memory.
    static func argon2id(passphrase: Secret, salt: [UInt8], opsLimit: UInt64, memLimit: UInt64) throws -> SecretKey {
        Sodium.ready()
        precondition(salt.count == saltBytes)
        var rc: Int32 = 0
        let key = SecretKey.filled { out in
            passphrase.withUnsafeBytes { p in
                rc = salt.withUnsafeBytes { s in
                    crypto_pwhash(
                        out.assumingMemoryBound(to: UInt8.self), UInt64(SecretKey.byteCount),
                        p.baseAddress?.assumingMemoryBound(to: CChar.self) ?? UnsafePointer(bitPattern: 1)!, UInt64(p.count),
                        s.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        opsLimit, Int(memLimit), crypto_pwhash_ALG_ARGON2ID13)
                }
            }
        }
        guard rc == 0 else {
            throw LetheError(.failure, "Argon2id failed (out of memory for memlimit \(memLimit >> 20) MiB?)")
        }
        return key
    }

    /// BLAKE2b-256 keyed by `key` over `context || message`.
    static func keyedHash(key: SecretKey, context: String, _ message: [UInt8]) -> [UInt8] {
        Sodium.ready()
        var input = Array(context.utf8)
        input.append(0)
        input.append(contentsOf: message)
        var out = [UInt8](repeating: 0, count: 32)
        _ = out.withUnsafeMutableBytes { o in
            input.withUnsafeBytes { i in
                key.withUnsafeBytes { k in
                    crypto_generichash(
                        o.baseAddress!.assumingMemoryBound(to: UInt8.self), 32,
                        i.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(i.count),
                        k.baseAddress!.assumingMemoryBound(to: UInt8.self), 32)
                }
            }
        }
        return out
    }

    /// A subkey of `key` for a fixed purpose (BLAKE2b-256 keyed by `key` over `context`),
    /// used only for keys that never need to be destroyed on their own (tag keys).
    static func subkey(of key: SecretKey, context: String) -> SecretKey {
        var bytes = keyedHash(key: key, context: "lethe1 subkey " + context, [])
        defer { Sodium.wipe(&bytes) }
        return bytes.withUnsafeBytes { SecretKey.copying($0) }
    }

    /// Unkeyed BLAKE2b-256 (digests of public data: policy files, audit entries).
    public static func digest(_ data: [UInt8]) -> [UInt8] {
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: 32)
        _ = out.withUnsafeMutableBytes { o in
            data.withUnsafeBytes { d in
                crypto_generichash(o.baseAddress!.assumingMemoryBound(to: UInt8.self), 32,
                                   d.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(d.count), nil, 0)
            }
        }
        return out
    }

    /// SHA-256, for what others check with their own tools (`sha256sum`): a production's files.
    public static func sha256(_ data: [UInt8]) -> [UInt8] {
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: 32)
        _ = out.withUnsafeMutableBytes { o in
            data.withUnsafeBytes { d in
                crypto_hash_sha256(o.baseAddress!.assumingMemoryBound(to: UInt8.self), d.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(d.count))
            }
        }
        return out
    }
}
