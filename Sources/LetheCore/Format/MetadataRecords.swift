/// The codecs of conversation and user metadata as sealed inside the data file.
///
/// Channel record: `u8 version(1), string kind, string id, optional name, string folder, u8 archived, data raw`.
/// User record: `u8 version(1), string id, optional name, optional displayName, data raw`.
/// Version 2 of either (format 8, written only for what an Enterprise Grid export listed in a
/// workspace) appends `varint n, n × string workspace`; a record without workspaces stays version 1.
/// `raw` is the object exactly as the export listed it (compacted JSON), kept so that
/// `lethe export` writes it back.
enum ChannelRecord {
    static func encode(_ conversation: Conversation) -> [UInt8] {
        var w = ByteWriter()
        w.u8(conversation.workspaces.isEmpty ? 1 : 2)
        w.string(conversation.kind.rawValue)
        w.string(conversation.id)
        w.optionalString(conversation.name)
        w.string(conversation.folder)
        w.u8(conversation.isArchived ? 1 : 0)
        w.data(conversation.rawJSON)
        MetadataWorkspaces.write(conversation.workspaces, to: &w)
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> Conversation {
        var r = ByteReader(bytes)
        let version = try r.u8()
        guard version == 1 || version == 2, let kind = ConversationKind(rawValue: try r.string()) else { throw ByteReader.Malformed() }
        let id = try r.string()
        let name = try r.optionalString()
        let folder = try r.string()
        let archived = try r.u8() == 1
        let raw = try r.data()
        var c = Conversation(kind: kind, id: id, name: name, folder: folder, isArchived: archived, rawJSON: raw)
        c.workspaces = try MetadataWorkspaces.read(version: version, from: &r)
        guard r.atEnd else { throw ByteReader.Malformed() }
        return c
    }
}

enum UserRecord {
    static func encode(_ user: User) -> [UInt8] {
        var w = ByteWriter()
        w.u8(user.workspaces.isEmpty ? 1 : 2)
        w.string(user.id)
        w.optionalString(user.name)
        w.optionalString(user.displayName)
        w.data(user.rawJSON)
        MetadataWorkspaces.write(user.workspaces, to: &w)
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> User {
        var r = ByteReader(bytes)
        let version = try r.u8()
        guard version == 1 || version == 2 else { throw ByteReader.Malformed() }
        let id = try r.string()
        let name = try r.optionalString()
        let display = try r.optionalString()
        let raw = try r.data()
        var user = User(id: id, name: name, displayName: display, rawJSON: raw)
        user.workspaces = try MetadataWorkspaces.read(version: version, from: &r)
        guard r.atEnd else { throw ByteReader.Malformed() }
        return user
    }
}

/// The workspace list a version-2 record ends with: at least one, sorted, no duplicates.
enum MetadataWorkspaces {
    static func write(_ workspaces: [String], to w: inout ByteWriter) {
        guard !workspaces.isEmpty else { return }
        w.varint(UInt64(workspaces.count))
        for ws in workspaces { w.string(ws) }
    }

    static func read(version: UInt8, from r: inout ByteReader) throws -> [String] {
        guard version == 2 else { return [] }
        var out: [String] = []
        for _ in 0..<(try r.count(minBytes: 4)) { out.append(try r.string()) }
        guard !out.isEmpty, out == Array(Set(out)).sorted() else { throw ByteReader.Malformed() }
        return out
    }
}
