import Foundation
import LetheCore

/// How the server gets the archive open again after an idle lock. The command line
/// decides: re-read the key file or passphrase file it was given, or use the passphrase
/// the unlock form posted (guarded memory, wiped when `Secret` goes).
public struct Unlocker: Sendable {
    /// Whether the unlock form must ask for a passphrase (no file to read it from).
    public var asksPassphrase: Bool
    /// Opens the archive (read-only, shared lock) with the form's passphrase, if any.
    public var open: @Sendable (Secret?) throws -> Archive

    public init(asksPassphrase: Bool, open: @escaping @Sendable (Secret?) throws -> Archive) {
        self.asksPassphrase = asksPassphrase
        self.open = open
    }
}

/// The unlocked archive and what pages read of it, behind one lock: SQLite connections and
/// `Archive` are used by one request at a time. Locking (idle or by the Lock button) drops
/// all of it: the `Archive` and its keys (guarded memory, zeroed when freed), the decrypted
/// directory and labels, and the archive's shared lock, so writers can run.
final class ArchiveSession: @unchecked Sendable {
    struct Opened {
        var archive: Archive
        var conversations: [Conversation]
        var byID: [String: Conversation]
        var users: UserDirectory
        var index: [Int64: [BrowseBucket]]
    }

    private let mutex = NSLock()
    private var opened: Opened?
    private var lastUse = Date()
    let unlocker: Unlocker
    let idleLock: TimeInterval?

    init(archive: Archive?, unlocker: Unlocker, idleLock: TimeInterval?) throws {
        self.unlocker = unlocker
        self.idleLock = idleLock
        if let archive { opened = try Self.load(archive) }
    }

    private static func load(_ archive: Archive) throws -> Opened {
        let conversations = try archive.conversations()
        var byID: [String: Conversation] = [:]
        for c in conversations { byID[c.id] = c }
        return Opened(archive: archive, conversations: conversations, byID: byID, users: try archive.userDirectory(), index: try archive.browseIndex())
    }

    var isLocked: Bool { mutex.withLock { opened == nil } }

    /// Runs `body` with the open archive (nil when locked), counting as use for the idle lock.
    func with<R>(_ body: (Opened?) throws -> R) rethrows -> R {
        try mutex.withLock {
            lastUse = Date()
            return try body(opened)
        }
    }

    func unlock(passphrase: Secret?) throws {
        try mutex.withLock {
            lastUse = Date()
            guard opened == nil else { return }
            opened = try Self.load(try unlocker.open(passphrase))
        }
    }

    /// Forgets the keys and everything decrypted; true when it was unlocked.
    @discardableResult
    func lock() -> Bool {
        mutex.withLock {
            defer { opened = nil }
            return opened != nil
        }
    }

    /// Locks when the last use is older than the idle limit; true when it did.
    func lockIfIdle(now: Date = Date()) -> Bool {
        guard let idleLock else { return false }
        return mutex.withLock {
            guard opened != nil, now.timeIntervalSince(lastUse) >= idleLock else { return false }
            opened = nil
            return true
        }
    }
}
