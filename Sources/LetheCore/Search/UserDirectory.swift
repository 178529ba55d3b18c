/// Users known to the archive, for `from:` and `in:@`, and for rendering mentions.
///
/// Names compare folded (`TextFolding.fold`), so `from:@Alice` and `from:@alice`
/// are the same. A name may belong to several users (a display name is not unique):
/// every one of them is accepted.
public struct UserDirectory: Sendable {
    private var byID: [String: User] = [:]
    /// Folded name, display name or id → ids.
    private var byFoldedName: [String: Set<String>] = [:]

    /// A directory with nobody in it.
    public static let empty = UserDirectory([])

    public init(_ entries: [User]) {
        for entry in entries { add(entry) }
    }


    /// Adds or replaces a user.
    public mutating func add(_ entry: User) {
        byID[entry.id] = entry
        for key in [entry.id, entry.name, entry.displayName].compactMap({ $0 }) where !key.isEmpty {
            byFoldedName[TextFolding.fold(key), default: []].insert(entry.id)
        }
    }

    /// The user with this exact id.
    public func user(id: String) -> User? { byID[id] }

    /// Ids of the users whose id, handle or display name folds equal to `name`
    /// (a leading `@` is ignored).
    public func ids(named name: String) -> Set<String> {
        let bare = name.hasPrefix("@") ? String(name.dropFirst()) : name
        return byFoldedName[TextFolding.fold(bare)] ?? []
    }

    /// The folded user strings that a `from:`/`in:@` value stands for: the value
    /// itself (a raw id, bot id or bot username) and the ids of users so named.
    /// The matcher and the index lookup both use this set, so they cannot disagree.
    func foldedUserKeys(for value: String) -> Set<String> {
        var keys: Set<String> = [TextFolding.fold(value)]
        for id in ids(named: value) { keys.insert(TextFolding.fold(id)) }
        return keys
    }
}
