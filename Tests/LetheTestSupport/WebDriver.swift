import Foundation

/// Headless Chromium driven through chromedriver's W3C WebDriver HTTP API on loopback
/// (Debian's `chromium` and `chromium-driver`; .ci/run installs them). No other client.
public final class WebDriver: @unchecked Sendable {
    public let driver: Process
    let base: URL
    public private(set) var session = ""
    let profile: URL

    public static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
    public static let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Why no browser can be had here, or nil when one can.
    public static var unavailableReason: String? {
        if chromium == nil { return "no chromium (apt-get install chromium chromium-driver; .ci/run does)" }
        if chromedriver == nil { return "no chromedriver (apt-get install chromium-driver; .ci/run does)" }
        return nil
    }

    /// Starts chromedriver on a free port and one headless browser session. `timeZone` is
    /// the browser's (TZ), to see times shown in the viewer's zone.
    public init(timeZone: String = "UTC", width: Int = 1280, height: Int = 860) async throws {
        guard let chromedriver = Self.chromedriver, let chromium = Self.chromium else { throw Failure("no browser: \(Self.unavailableReason ?? "")") }
        let port = try FreePort.find()
        base = URL(string: "http://127.0.0.1:\(port)")!
        profile = Harness.tempDir("chromium-profile")
        driver = Process()
        driver.executableURL = URL(fileURLWithPath: chromedriver)
        driver.arguments = ["--port=\(port)"]
        driver.environment = ["PATH": "/usr/bin:/bin", "HOME": profile.path, "TZ": timeZone]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        ChildProcesses.register(driver)
        // Ready when /status answers.
        let deadline = Date().addingTimeInterval(20)
        while true {
            if let (data, _) = try? await Self.http("GET", base.appendingPathComponent("status"), nil), !data.isEmpty { break }
            guard Date() < deadline else { throw Failure("chromedriver did not start") }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        let caps: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome",
            "goog:chromeOptions": ["binary": chromium,
                                   "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                                            "--disable-extensions", "--disable-background-networking", "--disable-sync", "--no-default-browser-check",
                                            "--user-data-dir=\(profile.path)", "--window-size=\(width),\(height)", "--lang=en-US"]],
        ] as [String: Any]]]
        let value = try await command("POST", "session", caps)
        guard let id = (value as? [String: Any])?["sessionId"] as? String else { throw Failure("no WebDriver session: \(String(describing: value))") }
        session = id
    }

    public func quit() async {
        if !session.isEmpty { _ = try? await command("DELETE", "session/\(session)", nil) }
        // chromedriver does not always exit on SIGTERM; the session (and its browser) is closed above.
        kill(driver.processIdentifier, SIGKILL)
        driver.waitUntilExit()
        try? FileManager.default.removeItem(at: profile)
    }

    public func open(_ url: String) async throws { _ = try await command("POST", "session/\(session)/url", ["url": url]) }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page and returns its result.
    public func run(_ script: String, _ args: [Any] = []) async throws -> Any? {
        try await command("POST", "session/\(session)/execute/sync", ["script": script, "args": args])
    }

    public func string(_ script: String) async throws -> String { (try await run(script) as? String) ?? "" }
    public func strings(_ script: String) async throws -> [String] { (try await run(script) as? [String]) ?? [] }

    public func currentURL() async throws -> String { (try await command("GET", "session/\(session)/url", nil) as? String) ?? "" }

    /// The page as PNG.
    public func screenshot() async throws -> Data {
        guard let b64 = try await command("GET", "session/\(session)/screenshot", nil) as? String, let d = Data(base64Encoded: b64) else { throw Failure("no screenshot") }
        return d
    }

    /// Finds an element by CSS selector and clicks it (a real click: the browser's own navigation).
    public func click(_ css: String) async throws {
        let e = try await element(css)
        _ = try await command("POST", "session/\(session)/element/\(e)/click", [String: Any]())
    }

    public func type(_ css: String, _ text: String) async throws {
        let e = try await element(css)
        _ = try await command("POST", "session/\(session)/element/\(e)/value", ["text": text])
    }

    public func element(_ css: String) async throws -> String {
        let v = try await command("POST", "session/\(session)/element", ["using": "css selector", "value": css])
        guard let d = v as? [String: Any], let id = d.values.first as? String else { throw Failure("no element \(css)") }
        return id
    }

    /// Waits until `script` returns true (pages load asynchronously after a click).
    public func waitFor(_ script: String, timeout: Double = 10) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? await run(script)) as? Bool == true { return }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw Failure("timed out waiting for: \(script)")
    }

    func command(_ method: String, _ path: String, _ body: Any?) async throws -> Any? {
        let (data, status) = try await Self.http(method, base.appendingPathComponent(path), body)
        let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard status == 200 else { throw Failure("WebDriver \(method) \(path): \(status) \(String(decoding: data.prefix(500), as: UTF8.self))") }
        return json?["value"]
    }

    /// Over a plain socket (RawHTTP): chromedriver listens on loopback.
    static func http(_ method: String, _ url: URL, _ body: Any?) async throws -> (Data, Int) {
        let text = try body.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) } ?? ""
        var headers = ["Host": "127.0.0.1:\(url.port ?? 80)"]
        if body != nil { headers["Content-Type"] = "application/json; charset=utf-8" }
        let r = try RawHTTP.request(port: url.port ?? 80, method, url.path, headers: headers, body: text, timeout: 90)
        return (Data(r.body.utf8), r.status)
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ d: String) { description = d }
    }
}

/// A free TCP port on 127.0.0.1 (bound, read, released).
public enum FreePort {
    public static func find() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw WebDriver.Failure("no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Processes a test started and must not outlive the test run (a server, chromedriver):
/// terminated at exit if the test did not stop them.
public enum ChildProcesses {
    nonisolated(unsafe) static var list: [Process] = []
    static let lock = NSLock()
    nonisolated(unsafe) static var installed = false

    public static func register(_ p: Process) {
        lock.withLock {
            list.append(p)
            if !installed {
                installed = true
                atexit {
                    for p in ChildProcesses.list where p.isRunning { kill(p.processIdentifier, SIGKILL) }
                }
            }
        }
    }
}

/// One HTTP/1.1 request over a plain socket, every header as given (a `Host` of our choosing
/// included, which URLSession does not send), for the tests that attack the server.
public enum RawHTTP {
    public struct Response {
        public var status: Int
        public var headers: [String: String]
        public var body: String
    }

    public static func request(port: Int, _ method: String, _ target: String, headers: [String: String], body: String = "", timeout: Int = 20) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw WebDriver.Failure("socket") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { throw WebDriver.Failure("connect to \(port): \(String(cString: strerror(errno)))") }
        var text = "\(method) \(target) HTTP/1.1\r\n"
        for (k, v) in headers { text += "\(k): \(v)\r\n" }
        if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "Connection: close\r\n\r\n" + body
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            data += buf[0..<n]
            // Done when the headers and Content-Length bytes of body are in.
            if let r = data.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: data[..<r.lowerBound], as: UTF8.self).lowercased()
                if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                   let n = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)), data.count - r.upperBound >= n { break }
            }
        }
        guard let r = data.firstRange(of: Array("\r\n\r\n".utf8)) else { throw WebDriver.Failure("no HTTP response") }
        let lines = String(decoding: data[..<r.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var hs: [String: String] = [:]
        for l in lines.dropFirst() {
            if let c = l.firstIndex(of: ":") { hs[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces) }
        }
        return Response(status: status, headers: hs, body: String(decoding: data[r.upperBound...], as: UTF8.self))
    }
}
