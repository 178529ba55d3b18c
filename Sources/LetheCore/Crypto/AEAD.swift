import CSodium

/// XChaCha20-Poly1305 (IETF) sealing of Lethe's envelopes.
///
/// An envelope is `header(1) || nonce(24) || ciphertext || tag(16)`. The header
/// byte says how the plaintext was encoded (see `Envelope.Encoding`) and is itself
/// authenticated: it is appended to the associated data. The nonce is random:
/// 192 bits make collisions negligible, and Lethe seals per bucket, not per message,
/// so the getrandom call costs nothing measurable.
enum AEAD {
    static let nonceBytes = 24
    static let tagBytes = 16
    static let overhead = 1 + nonceBytes + tagBytes

    /// `nonce` is for test vectors only; production always draws a random one.
    static func seal(_ plaintext: UnsafeRawBufferPointer, header: UInt8, ad: [UInt8], key: SecretKey, nonce: [UInt8]? = nil) -> [UInt8] {
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: overhead + plaintext.count)
        var fullAD = ad
        fullAD.append(header)
        out[0] = header
        out.withUnsafeMutableBytes { o in
            let base = o.baseAddress!
            if let nonce, nonce.count == nonceBytes {
                nonce.withUnsafeBytes { (base + 1).copyMemory(from: $0.baseAddress!, byteCount: nonceBytes) }
            } else {
                randombytes_buf(base + 1, nonceBytes)
            }
            var clen: UInt64 = 0
            let rc = fullAD.withUnsafeBytes { a in
                key.withUnsafeBytes { k in
                    crypto_aead_xchacha20poly1305_ietf_encrypt(
                        (base + 1 + nonceBytes).assumingMemoryBound(to: UInt8.self), &clen,
                        plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
                        a.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(a.count),
                        nil,
                        (base + 1).assumingMemoryBound(to: UInt8.self),
                        k.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
            precondition(rc == 0 && Int(clen) == plaintext.count + tagBytes)
        }
        return out
    }

    static func seal(_ plaintext: [UInt8], header: UInt8, ad: [UInt8], key: SecretKey, nonce: [UInt8]? = nil) -> [UInt8] {
        plaintext.withUnsafeBytes { seal($0, header: header, ad: ad, key: key, nonce: nonce) }
    }

    /// Opens an envelope; nil when it does not authenticate (wrong key, moved, or tampered).
    /// Returns the header byte and the plaintext.
    static func open(_ envelope: UnsafeRawBufferPointer, ad: [UInt8], key: SecretKey) -> (header: UInt8, plaintext: [UInt8])? {
        Sodium.ready()
        guard envelope.count >= overhead else { return nil }
        let header = envelope[0]
        var fullAD = ad
        fullAD.append(header)
        let clen = envelope.count - 1 - nonceBytes
        var out = [UInt8](repeating: 0, count: clen - tagBytes)
        var mlen: UInt64 = 0
        let base = envelope.baseAddress!
        let rc = out.withUnsafeMutableBytes { o in
            fullAD.withUnsafeBytes { a in
                key.withUnsafeBytes { k in
                    crypto_aead_xchacha20poly1305_ietf_decrypt(
                        o.baseAddress?.assumingMemoryBound(to: UInt8.self), &mlen,
                        nil,
                        (base + 1 + nonceBytes).assumingMemoryBound(to: UInt8.self), UInt64(clen),
                        a.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(a.count),
                        (base + 1).assumingMemoryBound(to: UInt8.self),
                        k.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        guard rc == 0 else { return nil }
        return (header, out)
    }

    static func open(_ envelope: [UInt8], ad: [UInt8], key: SecretKey) -> (header: UInt8, plaintext: [UInt8])? {
        envelope.withUnsafeBytes { open($0, ad: ad, key: key) }
    }

    /// Wraps a key under another key. The result is 73 bytes.
    static func wrap(_ key: SecretKey, under kek: SecretKey, ad: [UInt8], nonce: [UInt8]? = nil) -> [UInt8] {
        key.withUnsafeBytes { seal($0, header: Envelope.Encoding.rawKey.rawValue, ad: ad, key: kek, nonce: nonce) }
    }

    /// Unwraps a key into guarded memory; nil when it does not authenticate.
    static func unwrap(_ wrapped: [UInt8], under kek: SecretKey, ad: [UInt8]) -> SecretKey? {
        guard wrapped.count == overhead + SecretKey.byteCount, wrapped[0] == Envelope.Encoding.rawKey.rawValue else { return nil }
        Sodium.ready()
        let clen = wrapped.count - 1 - nonceBytes
        var fullAD = ad
        fullAD.append(wrapped[0])
        var ok = false
        let key = wrapped.withUnsafeBytes { w -> SecretKey in
            SecretKey.filled { out in
                var mlen: UInt64 = 0
                let rc = fullAD.withUnsafeBytes { a in
                    kek.withUnsafeBytes { k in
                        crypto_aead_xchacha20poly1305_ietf_decrypt(
                            out.assumingMemoryBound(to: UInt8.self), &mlen, nil,
                            (w.baseAddress! + 1 + nonceBytes).assumingMemoryBound(to: UInt8.self), UInt64(clen),
                            a.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(a.count),
                            (w.baseAddress! + 1).assumingMemoryBound(to: UInt8.self),
                            k.baseAddress!.assumingMemoryBound(to: UInt8.self))
                    }
                }
                ok = rc == 0 && mlen == UInt64(SecretKey.byteCount)
            }
        }
        return ok ? key : nil
    }
}
