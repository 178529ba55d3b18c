import CSodium
import Foundation

/// The roles a role key can have (docs/FORMAT.md §2b, docs/SECURITY.md "Role keys").
public enum Role: String, Codable, Sendable, CaseIterable {
    /// May run `lethe import`; opens nothing already in the archive.
    case importer = "import"
    /// May run `lethe retention plan|apply`, `lethe policy check` and `lethe audit`; reads no message.
    case retention

    /// The role's number in associated data and in the material.
    var code: Int64 { self == .importer ? 1 : 2 }
}

/// A role key file: a secret of 32 random bytes, the role it was issued for and its id in
/// the archive's `role_keys` table, written as text (mode 0600):
///
/// ```
/// # lethe role key: import. It may only import into archive <id hex>; it reads nothing there. Keep it secret.
/// lethe-rolekey-v1:import:<id>:<43 characters of base64url, no padding>
/// ```
/// As with `KeyFile`, the secret never passes through a Swift `String`.
public struct RoleKeyFile: Sendable {
    public var role: Role
    public var id: Int64
    public var secret: SecretKey

    static let prefix = Array("lethe-rolekey-v1:".utf8)

    static func comment(role: Role, archiveID: String) -> String {
        switch role {
        case .importer:
            return "# lethe role key: import. It may only import into archive \(archiveID); it reads nothing there. Keep it secret.\n"
        case .retention:
            return "# lethe role key: retention. It may plan and apply retention, check policies and read the audit of archive \(archiveID); it reads no message. Keep it secret.\n"
        }
    }

    /// Writes a new role key file (mode 0600); refuses to overwrite anything at `url`.
    static func create(at url: URL, role: Role, id: Int64, archiveIDHex: String) throws -> SecretKey {
        let secret = SecretKey.random()
        let encodedLen = Int(sodium_base64_encoded_len(32, Int32(sodium_base64_VARIANT_URLSAFE_NO_PADDING)))
        let head = Array(comment(role: role, archiveID: archiveIDHex).utf8) + prefix + Array("\(role.rawValue):\(id):".utf8)
        var text = head + [UInt8](repeating: 0, count: encodedLen)
        text.withUnsafeMutableBytes { t in
            secret.withUnsafeBytes { k in
                _ = sodium_bin2base64((t.baseAddress! + head.count).assumingMemoryBound(to: CChar.self), encodedLen,
                                      k.baseAddress!.assumingMemoryBound(to: UInt8.self), 32,
                                      Int32(sodium_base64_VARIANT_URLSAFE_NO_PADDING))
            }
        }
        text[text.count - 1] = 10  // the NUL terminator becomes the final newline
        defer { Sodium.wipe(&text) }
        try KeyFile.writeNew(text, at: url, what: "role key file")
        return secret
    }

    /// The role key in `bytes` (a file's first 4 KiB), or nil when no line starts with
    /// `lethe-rolekey-v1:`. A line that does but is malformed is an error.
    static func parse(_ bytes: [UInt8], path: String) throws -> RoleKeyFile? {
        guard let value = KeyFile.valueRange(after: prefix, in: bytes) else { return nil }
        return try parseLine(Array(bytes[value]), path: path)
    }

    private static func parseLine(_ rest: [UInt8], path: String) throws -> RoleKeyFile {
        var line = rest
        defer { Sodium.wipe(&line) }
        let bad = LetheError(.wrongSecret, "\(path) is not a valid lethe role key file",
                             hint: "a role key file is made by `lethe key issue --role import|retention --out FILE`")
        guard let c1 = line.firstIndex(of: 58), let c2 = line[(c1 + 1)...].firstIndex(of: 58) else { throw bad }
        guard let role = Role(rawValue: String(decoding: line[..<c1], as: UTF8.self)),
              let id = Int64(String(decoding: line[(c1 + 1)..<c2], as: UTF8.self)), id > 0
        else { throw bad }
        let b64Start = c2 + 1
        var ok = false
        let secret = line.withUnsafeBytes { b in
            SecretKey.filled { out in
                var binLen = 0
                let rc = sodium_base642bin(out.assumingMemoryBound(to: UInt8.self), 32,
                                           (b.baseAddress! + b64Start).assumingMemoryBound(to: CChar.self), line.count - b64Start,
                                           nil, &binLen, nil, Int32(sodium_base64_VARIANT_URLSAFE_NO_PADDING))
                ok = rc == 0 && binLen == 32
            }
        }
        guard ok else { throw bad }
        return RoleKeyFile(role: role, id: id, secret: secret)
    }
}

/// What a `--key-file` holds: the archive's full key, or a role key.
public enum AnyKeyFile: Sendable {
    case full(SecretKey)
    case role(RoleKeyFile)

    /// Reads either kind of key file into guarded memory.
    public static func load(_ url: URL) throws -> AnyKeyFile {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw LetheError(.usage, "cannot read key file \(url.path): no such file or not readable")
        }
        defer { try? handle.close() }
        var bytes = [UInt8]((try? handle.read(upToCount: 4096)) ?? Data())
        defer { Sodium.wipe(&bytes) }
        if let role = try RoleKeyFile.parse(bytes, path: url.path) { return .role(role) }
        return .full(try KeyFile.parse(bytes, path: url.path))
    }
}
