/// The codecs of conversation and user metadata as sealed inside the data file.
///
/// Channel record: `u8 version(1), string kind, string id, optional name, string folder, u8 archived, data raw`.
/// User record: `u8 version(1), string id, optional name, optional displayName, data raw`.
/// `raw` is the object exactly as the export listed it (compacted JSON), kept so that
/// `lethe export` writes it back.
enum ChannelRecord {
    static func encode(_ conversation: Conversation) -> [UInt8] {
        var w = ByteWriter()
        w.u8(1)
        w.string(conversation.kind.rawValue)
        w.string(conversation.id)
        w.optionalString(conversation.name)
        w.string(conversation.folder)
        w.u8(conversation.isArchived ? 1 : 0)
        w.data(conversation.rawJSON)
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> Conversation {
        var r = ByteReader(bytes)
        guard try r.u8() == 1, let kind = ConversationKind(rawValue: try r.string()) else { throw ByteReader.Malformed() }
        let id = try r.string()
        let name = try r.optionalString()
        let folder = try r.string()
        let archived = try r.u8() == 1
        let raw = try r.data()
        guard r.atEnd else { throw ByteReader.Malformed() }
        return Conversation(kind: kind, id: id, name: name, folder: folder, isArchived: archived, rawJSON: raw)
    }
}

enum UserRecord {
    static func encode(_ user: User) -> [UInt8] {
        var w = ByteWriter()
        w.u8(1)
        w.string(user.id)
        w.optionalString(user.name)
        w.optionalString(user.displayName)
        w.data(user.rawJSON)
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> User {
        var r = ByteReader(bytes)
        guard try r.u8() == 1 else { throw ByteReader.Malformed() }
        let id = try r.string()
        let name = try r.optionalString()
        let display = try r.optionalString()
        let raw = try r.data()
        guard r.atEnd else { throw ByteReader.Malformed() }
        return User(id: id, name: name, displayName: display, rawJSON: raw)
    }
}
