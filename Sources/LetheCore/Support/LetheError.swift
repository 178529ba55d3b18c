/// The one error type Lethe's core throws to its callers.
///
/// Every error carries a `kind` (which decides the process exit code), a one-line
/// message and an optional hint. Messages never contain secrets or message text:
/// they name files, channels by id, buckets by date, and records by position.
public struct LetheError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// Anything not covered below.
        case failure
        /// The passphrase or key file does not open any key slot.
        case wrongSecret
        /// The archive folder does not exist or holds no Lethe archive.
        case noArchive
        /// The archive was written by a newer format version than this binary reads.
        case formatTooNew
        /// A retention policy file is invalid.
        case policyInvalid
        /// Another lethe process holds the archive lock.
        case locked
        /// A record failed authentication or is malformed: tampering or corruption.
        case integrity
        /// An input file (an export) is malformed or hostile.
        case badInput
        /// A write failed for want of space: the disk (or quota) is full, or the
        /// process's file size limit (RLIMIT_FSIZE) is reached.
        case noSpace
        /// The command line is wrong (missing secret, conflicting options).
        case usage
        /// Refused because a legal hold covers what the command would delete.
        case held
        /// The archive was opened with a role key (`lethe key issue`) whose role does not
        /// allow this command: nothing was read or changed.
        case roleRefused
    }

    public var kind: Kind
    public var message: String
    public var hint: String?
    /// Where it happened, outermost first (the export of several, then the file…): kept
    /// apart from the message and joined in one place, `description`.
    public var context: [String] = []

    public init(_ kind: Kind, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.hint = hint
    }

    /// The one line shown to the user: `context: … message`.
    public var description: String { (context + [message]).joined(separator: ": ") }

    /// The error, placed inside `place` (unless it already names it).
    public func within(_ place: String) -> LetheError {
        guard context.first != place, !message.hasPrefix(place + ":") else { return self }
        var e = self
        e.context.insert(place, at: 0)
        return e
    }

    /// The process exit code for this error. Kept in one place; repeated in `lethe --help`.
    public var exitCode: Int32 { ExitCodes.code(for: kind) }
}

/// Exit codes, in one place. `lethe help exit-codes` prints this table.
public enum ExitCodes {
    public static let ok: Int32 = 0
    public static let table: [(LetheError.Kind, Int32, String)] = [
        (.failure, 1, "error"),
        (.wrongSecret, 3, "wrong passphrase or key file"),
        (.noArchive, 4, "no archive at the given path"),
        (.formatTooNew, 5, "archive written by a newer lethe"),
        (.policyInvalid, 6, "retention policy invalid"),
        (.locked, 7, "archive locked by another lethe process"),
        (.integrity, 8, "integrity failure: tampered or corrupt record"),
        (.badInput, 9, "input export malformed or hostile"),
        (.noSpace, 10, "no space: the disk or the file size limit is full"),
        (.held, 11, "refused: a legal hold covers what would be deleted"),
        (.roleRefused, 12, "refused: this key's role does not allow that command"),
        (.usage, 64, "wrong usage (bad option, missing secret)"),
    ]

    public static func code(for kind: LetheError.Kind) -> Int32 {
        table.first { $0.0 == kind }?.1 ?? 1
    }
}
