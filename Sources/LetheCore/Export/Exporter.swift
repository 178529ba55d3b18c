import Foundation

/// What `lethe export` wrote.
public struct ExportReport: Codable, Sendable {
    public var out: String
    public var channels = 0
    public var users = 0
    public var messages = 0
    public var dayFiles = 0
    /// Items (canvases, lists, log entries …; format 9) and the files they were written to.
    public var items = 0
    public var itemFiles = 0
    /// Attached files written (format 7), and their bytes.
    public var files = 0
    public var fileBytes: Int64 = 0
    public var seconds = 0.0
    /// Conversations written to another folder than their record names (an unsafe or colliding name).
    public var warnings: [String] = []
}

/// Writes the archive back out as a Slack export folder.
///
/// Metadata files hold each conversation's and user's object exactly as imported.
/// Each message goes back into the day file it came from (`fileDay`), in ts order,
/// one compacted message per line. Works channel by channel, bucket by bucket,
/// so memory stays bounded by a few buckets.
public final class Exporter {
    let archive: Archive
    weak var progress: ProgressReporter?
    /// Where attached files go: as they were imported (the default), all in one layout, or nowhere (`--no-files`).
    public var filesLayout: FilesLayout = .asImported

    public enum FilesLayout: String, Sendable, CaseIterable {
        case asImported = "as-imported", standard, mattermost, none
    }

    public init(archive: Archive, progress: ProgressReporter? = nil) {
        self.archive = archive
        self.progress = progress
    }

    public func run(to out: URL) throws -> ExportReport {
        let started = Date()
        try Exporter.checkTarget(out)
        // Records that do not open are left out and named in `archive.damaged`: the rest is exported.
        var report = ExportReport(out: out.path)
        try StagedFolder.write(to: out, what: "export", hint: "nothing was replaced; export into a new or empty folder") { staging in
            try write(into: staging, report: &report)
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Refuses an `--out` that is anything but a missing path or an empty folder, before any work:
    /// an export never deletes or overwrites what the user already has there.
    public static func checkTarget(_ out: URL) throws {
        var info = stat()
        guard lstat(out.path, &info) == 0 else { return }
        let hint = "export into a new or empty folder; nothing was changed"
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? [""]
            guard contents.isEmpty else { throw LetheError(.usage, "\(out.path) exists and is not an empty folder", hint: hint) }
        case S_IFLNK:
            throw LetheError(.usage, "\(out.path) is a symbolic link", hint: hint)
        default:
            throw LetheError(.usage, "\(out.path) exists and is not a folder", hint: hint)
        }
    }

    private func write(into out: URL, report: inout ExportReport) throws {
        let fm = FileManager.default

        // Channels, by kind, at the root; under Enterprise Grid, those of each workspace in
        // teams/<workspace>/ (a shared channel in each of its workspaces), as Slack lays them out.
        let everything = try archive.conversations()  // a conversation that does not open is named at the end
        let everyone = try archive.users()
        // Mattermost's conversations and users go back into a bulk export file of their own.
        let mattermost = everything.filter { $0.platform == .mattermost }
        let mattermostUsers = everyone.filter { $0.platform == .mattermost }
        // Discord's go back into DiscordChatExporter files, one per channel.
        let discord = everything.filter { $0.platform == .discord }
        let channels = everything.filter { $0.platform == .slack }
        let allUsers = everyone.filter { $0.platform == .slack }
        let slack = !channels.isEmpty || !allUsers.isEmpty || (mattermost.isEmpty && discord.isEmpty)
        let workspaces = Array(Set(channels.flatMap(\.workspaces) + allUsers.flatMap(\.workspaces))).sorted()
        for place in slack ? [""] + workspaces.map({ "teams/\($0)/" }) : [] {
            let dir = out.appendingPathComponent(place, isDirectory: true)
            if !place.isEmpty { try fm.createDirectory(at: dir, withIntermediateDirectories: true) }
            var byKind: [ConversationKind: [[UInt8]]] = [:]
            for c in channels where Exporter.places(c.workspaces).contains(place) { byKind[c.kind, default: []].append(c.rawJSON) }
            for kind in ConversationKind.listed {
                try Exporter.writeArray(byKind[kind] ?? [], to: dir.appendingPathComponent(kind.metadataFile))
            }
            // The Grid root's directory is org_users.json (every user), a workspace's its users.json.
            let users = place.isEmpty ? allUsers : allUsers.filter { Exporter.places($0.workspaces).contains(place) }
            try Exporter.writeArray(users.map(\.rawJSON), to: dir.appendingPathComponent(place.isEmpty && !workspaces.isEmpty ? "org_users.json" : "users.json"))
        }
        report.users = allUsers.count
        report.channels = channels.count

        let totalSegments = try archive.segmentIndex().count
        progress?.began("export", total: totalSegments)
        defer { progress?.ended() }
        var segmentsDone = 0
        // Under Grid, teams/ at the root is the workspaces' folder: a root conversation of that name goes elsewhere.
        var taken: [String: Set<String>] = workspaces.isEmpty ? [:] : ["": ["teams"]]
        // Items of the workspace files (canvases.json, teams/<workspace>/lists.json …), from every conversation.
        var workspaceItems: [String: [Segment.Message]] = [:]
        for conversation in channels {
            guard let cno = conversation.cno else { continue }
            let places = Exporter.places(conversation.workspaces)
            // The importer records only safe, distinct folders; an archive made before it did
            // may hold any name, so the rule is applied again to what is written.
            let (safe, reason) = FolderName.assign(conversation.folder, id: conversation.id, taken: &taken[places[0], default: []])
            for other in places.dropFirst() { taken[other, default: []].insert(safe) }
            if let reason {
                report.warnings.append("channel \(conversation.id): its recorded folder name cannot be written as it is (\(reason)); exported to the folder \"\(safe)\"")
            }
            let name = places[0] + safe
            let folder = out.appendingPathComponent(name, isDirectory: true)
            var written = Set<Int32>()
            var open: [Int32: [Segment.Message]] = [:]
            var folderItems: [String: [Segment.Message]] = [:]
            var madeFolder = false
            func flush(_ day: Int32) throws {
                guard let msgs = open.removeValue(forKey: day) else { return }
                if !madeFolder {
                    try fm.createDirectory(at: folder, withIntermediateDirectories: true)
                    madeFolder = true
                }
                let url = folder.appendingPathComponent(CivilDate(dayNumber: Int64(day)).description + ".json")
                var all = msgs
                if written.contains(day) { all += try Exporter.readBack(url) } else { report.dayFiles += 1 }
                all.sort { $0.ts < $1.ts }
                try Exporter.writeArray(all.map(\.json), to: url)
                written.insert(day)
            }
            try archive.forEachSegment(cno: cno) { ref, opened in
                let segment: Segment
                switch opened {
                case .success(let s): segment = s
                case .failure(let e):
                    archive.noteDamage(channel: conversation.id, bucket: ref.bucket, e)  // exported around, named at the end
                    return
                }
                for m in segment.messages {
                    if let item = m.item {
                        if ExportItems.folderFiles.contains(item.file) {
                            folderItems[item.file, default: []].append(m)
                        } else {
                            workspaceItems[item.file, default: []].append(m)
                        }
                        report.items += 1
                    } else {
                        open[m.fileDay, default: []].append(m)
                        report.messages += 1
                    }
                }
                try writeAttachments(ref, channel: conversation.id, folder: name, into: out, report: &report)
                // Slack cuts day files in US Pacific time: a day file never reaches
                // more than a day before the UTC bucket that holds its messages.
                let horizon = Int32(truncatingIfNeeded: archive.scheme.range(of: ref.bucket).start / 86400) - 2
                for day in open.keys.sorted() where day < horizon { try flush(day) }
                segmentsDone += 1
                progress?.advanced(done: segmentsDone, messages: report.messages)
            }
            for day in open.keys.sorted() { try flush(day) }
            for (file, entries) in folderItems.sorted(by: { $0.key < $1.key }) {
                if !madeFolder {
                    try fm.createDirectory(at: folder, withIntermediateDirectories: true)
                    madeFolder = true
                }
                try Exporter.writeItems(entries, to: folder.appendingPathComponent(file))
                report.itemFiles += 1
            }
            // A channel shared between workspaces: the same folder in each of the others.
            if madeFolder {
                for other in places.dropFirst() {
                    try fm.copyItem(at: folder, to: out.appendingPathComponent(other + safe, isDirectory: true))
                    report.dayFiles += written.count
                }
            }
        }
        if !mattermost.isEmpty {
            let written = try MattermostWriter(archive: archive).write(mattermost, users: mattermostUsers, to: out.appendingPathComponent(MattermostWriter.fileName)) { ref, channel, paths in
                // A post's attachment goes where mmctl puts it: under data/, at the path the post names
                // (checked again here: a path that would leave the export is not written).
                try writeAttachments(ref, channel: channel, into: out, report: &report) { r in
                    guard let path = paths[r.fileID], case .file(let safe) = ExportPath.classify(path) else { return nil }
                    return safe.hasPrefix("data/") ? safe : "data/" + safe
                }
            }
            report.messages += written.messages
            report.channels += mattermost.count
            report.users += mattermostUsers.count
            report.warnings += written.warnings
        }
        if !discord.isEmpty {
            let written = try DiscordWriter(archive: archive).write(discord, into: out) { ref, channel, paths in
                // Beside the channel file, where the message's url names it (checked again here:
                // a path that would leave the export is not written).
                try writeAttachments(ref, channel: channel, into: out, report: &report) { r in
                    guard let path = paths[r.fileID], case .file(let safe) = ExportPath.classify(path) else { return nil }
                    return safe
                }
            }
            report.messages += written.messages
            report.channels += discord.count
            report.users += everyone.filter { $0.platform == .discord }.count
            report.warnings += written.warnings
        }
        for (file, entries) in workspaceItems.sorted(by: { $0.key < $1.key }) {
            guard Exporter.isWorkspaceItemFile(file) else {
                report.warnings.append("\(entries.count) item(s) of a file named \"\(file)\": not a file Lethe writes, left out")
                continue
            }
            let url = out.appendingPathComponent(file)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Exporter.writeItems(entries, to: url)
            report.itemFiles += 1
        }
    }

    /// `canvases.json` and the other workspace files, at the root or in `teams/<workspace>/`:
    /// the only paths items are written to (a record names its file; it is checked again here).
    static func isWorkspaceItemFile(_ file: String) -> Bool {
        let parts = file.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let last = parts.last, ExportItems.workspaceFiles.contains(last) else { return false }
        return parts.count == 1 || (parts.count == 3 && parts[0] == "teams" && FolderName.problem(parts[1]) == nil)
    }

    /// An item file as it was: its elements in their order, as an array, or the one object it was.
    static func writeItems(_ entries: [Segment.Message], to url: URL) throws {
        let sorted = entries.sorted {
            let (a, b) = ($0.item?.index ?? 0, $1.item?.index ?? 0)
            return a != b ? a < b : $0.ts != $1.ts ? $0.ts < $1.ts : ($0.item?.key ?? "") < ($1.item?.key ?? "")
        }
        if sorted.count == 1, sorted[0].item?.lone == true {
            guard FileManager.default.createFile(atPath: url.path, contents: Data(sorted[0].json + [10]), attributes: [.posixPermissions: 0o600]) else {
                throw LetheError(.failure, "cannot write \(url.path)")
            }
            return
        }
        try writeArray(sorted.map(\.json), to: url)
    }

    /// Where a conversation or user is written: the root (`""`), or `teams/<workspace>/` for each
    /// of its Enterprise Grid workspaces.
    static func places(_ workspaces: [String]) -> [String] {
        workspaces.isEmpty ? [""] : workspaces.map { "teams/\($0)/" }
    }

    /// Writes a bucket's attached files where their layout puts them: `<folder>/attachments/<ID>-<name>`
    /// (standard, and files downloaded by `--fetch-files`) or `__uploads/<ID>/<name>` (mattermost).
    /// Each file is streamed chunk by chunk and checked against its digest; one that does not
    /// open is removed, named at the end, and the export goes on.
    private func writeAttachments(_ ref: BucketRef, channel: String, folder: String, into out: URL, report: inout ExportReport) throws {
        try writeAttachments(ref, channel: channel, into: out, report: &report) { r in
            let name = SharedFile.safeName(r.name, id: r.fileID)
            let mattermost = filesLayout == .mattermost || (filesLayout == .asImported && r.layout == .mattermost)
            return mattermost ? "__uploads/\(r.fileID)/\(name)" : "\(folder)/attachments/\(r.fileID)-\(name)"
        }
    }

    /// Writes a bucket's attached files each where `place` says (a path relative to `out`, already
    /// safe; nil leaves the file out), streamed and checked as `writeAttachments(_:channel:folder:…)` says.
    func writeAttachments(_ ref: BucketRef, channel: String, into out: URL, report: inout ExportReport,
                          place: (AttachmentIndex.Reference) -> String?) throws {
        guard filesLayout != .none else { return }
        let index: AttachmentIndex
        do {
            guard let i = try archive.attachments(ref) else { return }
            index = i
        } catch let e as LetheError where e.kind == .integrity {
            archive.noteDamage(channel: channel, bucket: ref.bucket, e)
            return
        }
        let fm = FileManager.default
        for r in index.references {
            guard let blob = index.blob(r.blob), ExportAttachment.isFileID(r.fileID), let relative = place(r) else { continue }
            let url = out.appendingPathComponent(relative)
            let dir = url.deletingLastPathComponent()
            try fm.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd < 0 && errno == EEXIST { continue }  // one upload shared in two buckets: __uploads holds it once
            guard fd >= 0 else { throw LetheError(.failure, "cannot write \(url.path): \(String(cString: strerror(errno)))") }
            do {
                defer { close(fd) }
                try archive.readBlob(blob, of: ref) { bytes in
                    var done = 0
                    while done < bytes.count {
                        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
                        if n < 0 {
                            if errno == EINTR { continue }
                            throw LetheError(errno == ENOSPC ? .noSpace : .failure, "cannot write \(url.path): \(String(cString: strerror(errno)))")
                        }
                        done += n
                    }
                }
            } catch let e as LetheError where e.kind == .integrity {
                try? fm.removeItem(at: url)
                archive.noteDamage(channel: channel, bucket: ref.bucket, e)
                continue
            }
            report.files += 1
            report.fileBytes += blob.size
        }
    }

    /// Writes a JSON array, one element per line, as `lethe export` lays out every file.
    static func writeArray(_ items: [[UInt8]], to url: URL) throws {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(items.reduce(4) { $0 + $1.count + 6 })
        for (i, item) in items.enumerated() {
            out.append(contentsOf: i == 0 ? [10, 32, 32, 32, 32] : [44, 10, 32, 32, 32, 32])
            out.append(contentsOf: item)
        }
        out.append(contentsOf: items.isEmpty ? [93, 10] : [10, 93, 10])
        guard FileManager.default.createFile(atPath: url.path, contents: Data(out), attributes: [.posixPermissions: 0o600]) else {
            throw LetheError(.failure, "cannot write \(url.path)")
        }
    }

    /// Reads back a day file this exporter wrote (one message per line), for the
    /// rare message whose day file was already written: exports cut in another time zone.
    static func readBack(_ url: URL) throws -> [Segment.Message] {
        let data = try Data(contentsOf: url)
        var out: [Segment.Message] = []
        for line in data.split(separator: 10) {
            var bytes = Array(line)
            while let f = bytes.first, f == 32 { bytes.removeFirst() }
            if bytes.last == 44 { bytes.removeLast() }
            guard bytes.first == UInt8(ascii: "{") else { continue }
            guard let obj = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                  let tsString = obj["ts"] as? String, let ts = SlackTimestamp(tsString)
            else { throw LetheError(.failure, "\(url.path): cannot re-read a line written by this export") }
            out.append(Segment.Message(ts: ts, fileDay: 0, editedTS: nil, json: bytes))
        }
        return out
    }
}
