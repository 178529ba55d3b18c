import CSodium

/// X25519 keypairs and anonymous sealed boxes (libsodium `crypto_box_seal`), for the role
/// keys of format 4 (docs/FORMAT.md §2b): a writer that holds only a public key can seal a
/// key that only the holder of the secret half opens again.
enum SealedBox {
    static let publicKeyBytes = Int(crypto_box_publickeybytes())
    static let overhead = Int(crypto_box_sealbytes())

    /// A fresh X25519 secret key (32 random bytes, in guarded memory).
    static func secretKey() -> SecretKey { SecretKey.random() }

    /// The public half of an X25519 secret key (`crypto_scalarmult_base`).
    static func publicKey(of secret: SecretKey) -> [UInt8] {
        Sodium.ready()
        var pk = [UInt8](repeating: 0, count: publicKeyBytes)
        pk.withUnsafeMutableBytes { p in
            _ = crypto_scalarmult_base(p.baseAddress!.assumingMemoryBound(to: UInt8.self), secret.pointer)
        }
        return pk
    }

    /// Seals `plaintext` to `publicKey`: an ephemeral keypair per box, so the sealer cannot open it.
    static func seal(_ plaintext: [UInt8], to publicKey: [UInt8]) -> [UInt8] {
        Sodium.ready()
        precondition(publicKey.count == publicKeyBytes)
        var out = [UInt8](repeating: 0, count: plaintext.count + overhead)
        out.withUnsafeMutableBytes { o in
            plaintext.withUnsafeBytes { m in
                _ = crypto_box_seal(o.baseAddress!.assumingMemoryBound(to: UInt8.self), m.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                    UInt64(plaintext.count), publicKey)
            }
        }
        return out
    }

    /// Opens a sealed box with the keypair; nil when it does not authenticate.
    static func open(_ box: [UInt8], secret: SecretKey) -> [UInt8]? {
        Sodium.ready()
        guard box.count >= overhead else { return nil }
        let pk = publicKey(of: secret)
        var out = [UInt8](repeating: 0, count: box.count - overhead)
        let rc = out.withUnsafeMutableBytes { o in
            box.withUnsafeBytes { c in
                crypto_box_seal_open(o.baseAddress?.assumingMemoryBound(to: UInt8.self), c.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                     UInt64(box.count), pk, secret.pointer)
            }
        }
        return rc == 0 ? out : nil
    }
}
