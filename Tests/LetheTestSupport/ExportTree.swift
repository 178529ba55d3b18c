import Foundation

/// A parsed Slack export folder, read independently with Foundation's JSONSerialization.
public struct ExportTree {
    /// folder/day → messages (ts → JSON object)
    public var days: [String: [String: NSDictionary]] = [:]
    public var metadata: [String: NSArray] = [:]

    public init(_ root: URL) throws {
        let fm = FileManager.default
        for file in ["channels.json", "groups.json", "dms.json", "mpims.json", "users.json"] {
            let u = root.appendingPathComponent(file)
            if let d = try? Data(contentsOf: u), let a = try JSONSerialization.jsonObject(with: d) as? NSArray { metadata[file] = a }
        }
        for folder in try fm.contentsOfDirectory(atPath: root.path).sorted() {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: root.appendingPathComponent(folder).path, isDirectory: &isDir), isDir.boolValue else { continue }
            for file in try fm.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
            where file.range(of: #"^\d{4}-\d{2}-\d{2}\.json$"#, options: .regularExpression) != nil {
                let d = try Data(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(file))
                guard let arr = try JSONSerialization.jsonObject(with: d) as? [NSDictionary] else { continue }
                var msgs: [String: NSDictionary] = [:]
                for m in arr { if let ts = m["ts"] as? String { msgs[ts] = m } }
                days[folder + "/" + file] = msgs
            }
        }
    }

    public var messageCount: Int { days.values.reduce(0) { $0 + $1.count } }
}
