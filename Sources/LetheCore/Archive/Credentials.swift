/// The secrets offered to open an archive. At least one must be present.
public struct Credentials: Sendable {
    public var passphrase: Secret?
    public var keyFile: SecretKey?
    /// A role key (`lethe key issue`): opens only its role's material, never the master key.
    public var roleKey: RoleKeyFile?

    public init(passphrase: Secret? = nil, keyFile: SecretKey? = nil, roleKey: RoleKeyFile? = nil) {
        self.passphrase = passphrase
        self.keyFile = keyFile
        self.roleKey = roleKey
    }

    public var isEmpty: Bool { passphrase == nil && keyFile == nil && roleKey == nil }
}
