/// The secrets offered to open an archive. At least one must be present.
public struct Credentials: Sendable {
    public var passphrase: Secret?
    public var keyFile: SecretKey?

    public init(passphrase: Secret? = nil, keyFile: SecretKey? = nil) {
        self.passphrase = passphrase
        self.keyFile = keyFile
    }

    public var isEmpty: Bool { passphrase == nil && keyFile == nil }
}
