import Foundation
import LetheTestSupport
import Testing

/// A running `lethe serve --port 0 --json`, started on a test archive.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    let url: String
    let port: Int
    let stderr = Pipe()
    /// The folder given as the server's TMPDIR and HOME: nothing may be written there.
    let scratch: URL

    init(_ archive: TestArchive, _ args: [String], env extra: [String: String] = [:], removing: [String] = []) throws {
        scratch = Harness.tempDir("serve-scratch")
        process.executableURL = Harness.binary
        process.arguments = ["serve", "--port", "0", "--json"] + args
        var env = ["PATH": "/usr/bin:/bin", "HOME": scratch.path, "TMPDIR": scratch.path]
        for (k, v) in archive.env.merging(extra, uniquingKeysWith: { $1 }) where !removing.contains(k) { env[k] = v }
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        ChildProcesses.register(process)
        // The first stdout line is the JSON object with the URL.
        var line = Data()
        let deadline = Date().addingTimeInterval(30)
        while !line.contains(10) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty {
                guard process.isRunning, Date() < deadline else {
                    let err = String(decoding: stderr.fileHandleForReading.availableData, as: UTF8.self)
                    throw WebDriver.Failure("lethe serve did not start: \(err)")
                }
                usleep(20_000)
                continue
            }
            line += chunk
        }
        let object = try JSONSerialization.jsonObject(with: line.prefix { $0 != 10 }) as? [String: Any]
        guard let u = object?["url"] as? String, let p = object?["port"] as? Int else { throw WebDriver.Failure("no url in \(String(decoding: line, as: UTF8.self))") }
        url = u
        port = p
    }

    var base: String { "http://127.0.0.1:\(port)" }
    var token: String { String(url.split(separator: "=").last ?? "") }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
    }
}

/// What the suite shares: one archive (the fixture, its update, a hostile export, one
/// retention run), one server on it, one headless Chromium in Asia/Tokyo.
final class ServeEnvironment: @unchecked Sendable {
    let archive: TestArchive
    let server: ServeProcess
    let browser: WebDriver
    let exported: URL
    let before: [String: Data]

    static let xssChannel = "C0XSS00001"
    static let xssTexts = ["<script>window.__pwned=1</script>", "<img src=x onerror=\"window.__pwned=1\">",
                           "&lt;script&gt;window.__pwned=1&lt;/script&gt;", "<javascript:window.__pwned=1|click me>",
                           "*<b onmouseover=\"window.__pwned=1\">bold</b>* `<svg onload=window.__pwned=1>`"]

    init() async throws {
        archive = try TestArchive.create("serve")
        try archive.importFixture("slack-sample")
        try archive.importFixture("slack-sample-update")
        try archive.importExport(try Self.hostileExport(archive.root.appendingPathComponent("hostile")))
        try archive.run(["retention", "apply", "--policy", Repository.policy("standard.yml").path, "--now", "2026-11-27T00:00:00Z"]).expectSuccess("retention apply")
        exported = archive.root.appendingPathComponent("exported")
        try archive.run(["export", "--key-file", archive.keyFile.path, "--out", exported.path]).expectSuccess("export")
        before = Harness.snapshot(archive.dir).filter { $0.key.hasSuffix(".db") }
        server = try ServeProcess(archive, ["--key-file", archive.keyFile.path, "--policy", Repository.policy("standard.yml").path])
        browser = try await WebDriver(timeZone: "Asia/Tokyo")
        try await browser.open(server.url)  // the token: the page sets the cookie
    }

    func close() async {
        await browser.quit()
        server.stop()
    }

    /// A one-channel export whose messages and one user's name are script injections.
    static func hostileExport(_ root: URL) throws -> URL {
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("xss-lab"), withIntermediateDirectories: true)
        let channels: [[String: Any]] = [["id": xssChannel, "name": "xss-lab", "created": 1_700_000_000, "members": ["U0XSS0001"]]]
        let users: [[String: Any]] = [["id": "U0XSS0001", "name": "mallory", "profile": ["display_name": "<img src=x onerror=\"window.__pwned=1\">mallory", "real_name": "Mallory"]]]
        var messages: [[String: Any]] = []
        for (i, t) in xssTexts.enumerated() {
            messages.append(["type": "message", "user": "U0XSS0001", "text": t, "ts": "\(1_762_300_000 + i * 60).000100"])
        }
        try JSONSerialization.data(withJSONObject: channels).write(to: root.appendingPathComponent("channels.json"))
        try JSONSerialization.data(withJSONObject: users).write(to: root.appendingPathComponent("users.json"))
        try JSONSerialization.data(withJSONObject: messages).write(to: root.appendingPathComponent("xss-lab/2025-11-05.json"))
        return root
    }
}

/// Sets the environment up once for the suite, and tears it down after its last test.
struct ServeEnvironmentTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }
    @TaskLocal static var current: ServeEnvironment?

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard WebDriver.unavailableReason == nil else {
            try await function()
            return
        }
        let env = try await ServeEnvironment()
        do {
            try await Self.$current.withValue(env) { try await function() }
        } catch {
            await env.close()
            throw error
        }
        await env.close()
    }
}

let browserMissing = WebDriver.unavailableReason.map { reason -> Bool in
    print("SKIP ServeTests: \(reason)")
    return true
} ?? false

/// `lethe serve` end to end: the real binary, real HTTP on loopback, headless Chromium.
@Suite(.serialized, ServeEnvironmentTrait(), .enabled(if: !browserMissing, "lethe serve's browser tests need chromium and chromedriver"))
struct ServeTests {
    var env: ServeEnvironment { ServeEnvironmentTrait.current! }

    func page(_ path: String) async throws {
        try await env.browser.open(env.server.base + path)
    }

    @Test("the conversation list matches lethe stats: kinds, counts, names not ids")
    func listMatchesStats() async throws {
        try await page("/")
        let rows = try await env.browser.run("return Array.from(document.querySelectorAll('tr.conv')).map(r => [r.dataset.id, r.dataset.kind, r.dataset.messages, r.querySelector('a').textContent])") as? [[String]] ?? []
        let stats = try env.archive.run(["stats", "--json", "--key-file", env.archive.keyFile.path]).expectSuccess("stats").json ?? [:]
        #expect(rows.count == stats["channels"] as? Int)
        var kinds: [String: Int] = [:]
        for r in rows { kinds[r[1], default: 0] += 1 }
        #expect(kinds == (stats["channels_by_kind"] as? [String: Int]))
        #expect(rows.reduce(0) { $0 + (Int($1[2]) ?? 0) } == stats["messages"] as? Int)
        let names = Dictionary(uniqueKeysWithValues: rows.map { ($0[0], $0[3]) })
        #expect(names["C05GENRL001"] == "#general")
        #expect(names["G05LEADR004"] == "#leadership")
        #expect(names["D05DMAB0001"] == "alice, bob")  // a DM by its members' names
        for r in rows { #expect(!r[3].contains(r[0]), "\(r[0]) shown by its id") }
    }

    @Test("a channel's pages, day after day, show the messages lethe export writes, in the same order")
    func channelMatchesExport() async throws {
        for (id, folder) in [("C05GENRL001", "general"), ("C05RANDM002", "random"), ("D05DMAB0001", "D05DMAB0001")] {
            let dir = env.exported.appendingPathComponent(folder)
            let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
            var expected: [String] = []
            for f in files {
                let msgs = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(f))) as? [[String: Any]] ?? []
                expected += msgs.compactMap { $0["ts"] as? String }
            }
            var shown: [String] = []
            try await page("/c/\(id)?date=1970-01-01")
            var pages = 0
            while true {
                shown += try await env.browser.strings("return Array.from(document.querySelectorAll('section.day .msg')).map(m => m.dataset.ts)")
                pages += 1
                let next = try await env.browser.string("const a = document.getElementById('next'); return a ? a.href : ''")
                if next.isEmpty || pages > 500 { break }
                try await env.browser.open(next)
            }
            #expect(!expected.isEmpty)
            #expect(shown == expected, "\(folder): pages and export differ")
        }
    }

    @Test("a thread opens beside its parent with every reply, in order")
    func threadOpens() async throws {
        // The parent with three replies in general (fixture: general/2024-03-06.json), and its
        // replies as the export has them.
        let dir = env.exported.appendingPathComponent("general")
        var all: [[String: Any]] = []
        for f in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() where f.hasSuffix(".json") {
            all += try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(f))) as? [[String: Any]] ?? []
        }
        let parents = all.filter { ($0["reply_count"] as? Int ?? 0) > 0 && ($0["thread_ts"] as? String) == ($0["ts"] as? String) }
        try #require(!parents.isEmpty)
        for parent in parents {
            let pts = parent["ts"] as! String
            let replies = all.filter { ($0["thread_ts"] as? String) == pts && ($0["ts"] as? String) != pts }.compactMap { $0["ts"] as? String }.sorted()
            let day = String(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(pts)!)).prefix(10))
            try await page("/c/C05GENRL001?day=\(day)")
            let anchor = "m" + pts.replacingOccurrences(of: ".", with: "-")
            try await env.browser.click("#\(anchor) a.replies")
            try await env.browser.waitFor("return !!document.querySelector('aside.thread')")
            let shown = try await env.browser.strings("return Array.from(document.querySelectorAll('aside.thread .replies-list .msg')).map(m => m.dataset.ts)")
            let parentShown = try await env.browser.strings("return Array.from(document.querySelectorAll('aside.thread .parent .msg')).map(m => m.dataset.ts)")
            #expect(parentShown == [pts])
            #expect(shown == replies, "thread \(pts)")
        }
    }

    @Test("search takes lethe search's syntax and gives the same hits as lethe search --json, linked to their context")
    func searchMatchesCLI() async throws {
        for q in ["roadmap", "from:@alice in:#general", "has:reaction", "東京", "deploy*", "\"roadmap draft\" -Q2", "is:thread during:2024"] {
            let cli = try env.archive.run(["search", "--json", "--limit", "50", "--key-file", env.archive.keyFile.path, q]).expectSuccess("search \(q)")
            let expected = cli.stdout.split(separator: "\n").compactMap { line -> String? in
                guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
                return "\(o["channel_id"] ?? "")/\(o["ts"] ?? "")"
            }
            try await page("/search?q=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
            let shown = try await env.browser.strings("return Array.from(document.querySelectorAll('li.hit')).map(h => h.dataset.channel + '/' + h.dataset.ts)")
            #expect(shown == expected, "query \(q)")
            let box = try await env.browser.string("return document.getElementById('q').value")
            #expect(box == q)
        }
        // A hit's link opens its day with the message there.
        try await page("/search?q=roadmap")
        let first = try await env.browser.string("return document.querySelector('li.hit').dataset.ts")
        try await env.browser.click("li.hit a.context")
        try await env.browser.waitFor("return location.pathname.startsWith('/c/')")
        let anchor = "m" + first.replacingOccurrences(of: ".", with: "-")
        #expect(try await env.browser.run("return !!document.getElementById('\(anchor)')") as? Bool == true)
        #expect(try await env.browser.string("return location.hash") == "#" + anchor)
        // A syntax error is shown, not a crash.
        try await page("/search?q=\("from:".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
        #expect(try await env.browser.run("return !!document.querySelector('p.error')") as? Bool == true)
    }

    @Test("messages that are script injections render as text and run nothing")
    func xssRendersAsText() async throws {
        try await page("/c/\(ServeEnvironment.xssChannel)")
        let texts = try await env.browser.strings("return Array.from(document.querySelectorAll('.msg .text')).map(t => t.textContent)")
        #expect(texts.count == ServeEnvironment.xssTexts.count)
        #expect(texts.contains("<script>window.__pwned=1</script>"))
        #expect(texts.contains("<img src=x onerror=\"window.__pwned=1\">"))
        #expect(texts.contains("<javascript:window.__pwned=1|click me>"))
        #expect(try await env.browser.run("return typeof window.__pwned") as? String == "undefined")
        // The only elements are ours: no img, svg, b, and one script (lethe.js).
        #expect(try await env.browser.run("return document.querySelectorAll('main img, main svg, main b, main script').length") as? Int == 0)
        #expect(try await env.browser.strings("return Array.from(document.scripts).map(s => s.getAttribute('src'))") == ["/assets/lethe.js"])
        #expect(try await env.browser.run("return document.querySelectorAll('a[href^=\"javascript\"]').length") as? Int == 0)
        let author = try await env.browser.string("return document.querySelector('.msg .author').textContent")
        #expect(author == "<img src=x onerror=\"window.__pwned=1\">mallory")
        // The same through search (highlighted text) and the list.
        let cli = try env.archive.run(["search", "--json", "--key-file", env.archive.keyFile.path, "in:#xss-lab window"]).expectSuccess("search")
        let expected = cli.stdout.split(separator: "\n").count
        #expect(expected > 0)
        try await page("/search?q=in%3A%23xss-lab%20window")
        #expect(try await env.browser.run("return document.querySelectorAll('li.hit').length") as? Int == expected)
        #expect(try await env.browser.run("return typeof window.__pwned") as? String == "undefined")
        #expect(try await env.browser.run("return document.querySelectorAll('main img, main svg, main b, main script').length") as? Int == 0)
    }

    @Test("times are in the viewer's time zone (Asia/Tokyo here); without script they read UTC")
    func viewerTimeZone() async throws {
        try await page("/c/C05GENRL001")
        let iso = try await env.browser.string("return document.querySelector('.msg time').getAttribute('datetime')")
        let shown = try await env.browser.string("return document.querySelector('.msg time').textContent")
        let date = try #require(ISO8601DateFormatter().date(from: iso))
        let f = DateFormatter()
        f.timeZone = TimeZone(identifier: "Asia/Tokyo")
        f.dateFormat = "hh:mm"
        #expect(shown.hasPrefix(f.string(from: date)), "shown \(shown) for \(iso)")
        // The HTML itself (no script) says UTC.
        let raw = try RawHTTP.request(port: env.server.port, "GET", "/c/C05GENRL001?token=\(env.server.token)", headers: ["Host": "127.0.0.1:\(env.server.port)"])
        #expect(raw.body.contains(" UTC</time>"))
    }

    @Test("shredded days say when and under which rule; the retention plan and the audit log are pages")
    func shreddedRetentionAudit() async throws {
        // The standard policy as of 2026-11-27 shreds #general's days up to 2024-11-22 (public-2y).
        try await page("/c/C05GENRL001")
        let shredded = try await env.browser.string("const d = document.querySelector('details.shredded'); return d ? d.textContent : ''")
        #expect(shredded.contains("2023-01-03: shredded on 2026-11-27 under public-2y") || shredded.contains("2023-01-03 to "), "\(shredded)")
        #expect(shredded.contains("shredded on 2026-11-27 under public-2y"), "\(shredded)")
        try await page("/c/C05GENRL001?date=2023-01-03")
        #expect(try await env.browser.string("return document.querySelector('p.note, p.shredded')?.textContent || ''").contains("shredded on 2026-11-27"))
        // #proj-apollo was emptied: its name went with its key, but the list says it was there. So was
        // the workspace conversation (format 9): its one item, an integration log entry of 2024-01-15.
        try await page("/")
        let emptied = try await env.browser.string("const p = document.getElementById('emptied'); return p ? p.textContent : ''")
        #expect(emptied.contains("2 conversations shredded on 2026-11-27"), "\(emptied)")
        #expect(try await env.browser.run("return document.querySelectorAll('tr.conv[data-id=\"C05AP0LL003\"]').length") as? Int == 0)
        try await page("/retention")
        let plan = try await env.browser.string("return document.getElementById('plan').textContent")
        #expect(!plan.isEmpty)
        try await page("/audit")
        let entries = try env.archive.run(["audit", "--json", "--key-file", env.archive.keyFile.path]).expectSuccess("audit").stdout.split(separator: "\n").count
        #expect(try await env.browser.run("return document.querySelectorAll('li.entry').length") as? Int == entries)
        #expect(try await env.browser.string("return document.getElementById('audit-status').textContent").contains("verifies"))
    }

    @Test("no request without the token gets anything: 401 and no archive content")
    func tokenRequired() throws {
        let p = env.server.port
        let host = "127.0.0.1:\(p)"
        let secrets = ["general", "roadmap", "alice", "leadership", "zebracorn", "C05GENRL001"]
        for (method, target) in [("GET", "/"), ("GET", "/c/C05GENRL001"), ("GET", "/search?q=roadmap"), ("GET", "/audit"), ("GET", "/retention"),
                                 ("GET", "/assets/lethe.js"), ("POST", "/lock"), ("POST", "/unlock"), ("GET", "/?token="), ("GET", "/?token=\(String(repeating: "0", count: 64))"),
                                 ("GET", "/?token=\(env.server.token.dropLast())")] {
            for cookie in [nil, "lethe_session=\(env.server.token)", "lethe_session=deadbeef"] {
                var headers = ["Host": host]
                if let cookie { headers["Cookie"] = cookie }
                let r = try RawHTTP.request(port: p, method, target, headers: headers)
                #expect(r.status == 401, "\(method) \(target) cookie \(cookie ?? "none"): \(r.status)")
                for s in secrets { #expect(!r.body.contains(s), "\(target) leaks \(s)") }
            }
        }
        // The browser's cookie works, and is HttpOnly (script cannot read it).
        #expect(try RawHTTP.request(port: p, "GET", "/?token=\(env.server.token)", headers: ["Host": host]).status == 200)
    }

    @Test("a request naming another host is refused (DNS rebinding), even with the token")
    func wrongHostRefused() throws {
        let p = env.server.port
        for host in ["evil.example:\(p)", "evil.example", "127.0.0.1:\(p + 1)", "127.0.0.1", "", "localhost.evil.example:\(p)"] {
            let r = try RawHTTP.request(port: p, "GET", "/?token=\(env.server.token)", headers: host.isEmpty ? [:] : ["Host": host])
            #expect(r.status == 403, "Host \(host): \(r.status)")
            #expect(!r.body.contains("general"))
        }
        for host in ["127.0.0.1:\(p)", "localhost:\(p)"] {
            #expect(try RawHTTP.request(port: p, "GET", "/?token=\(env.server.token)", headers: ["Host": host]).status == 200, "Host \(host)")
        }
        // A form posted from another origin (CSRF) is refused.
        let post = try RawHTTP.request(port: p, "POST", "/lock?token=\(env.server.token)", headers: ["Host": "127.0.0.1:\(p)", "Origin": "http://evil.example"])
        #expect(post.status == 403)
        let nullOrigin = try RawHTTP.request(port: p, "POST", "/lock?token=\(env.server.token)", headers: ["Host": "127.0.0.1:\(p)", "Origin": "null", "Sec-Fetch-Site": "cross-site"])
        #expect(nullOrigin.status == 403)
    }

    @Test("every response carries a strict CSP, nosniff, no-referrer and no-store; the cookie is HttpOnly and SameSite=Strict")
    func securityHeaders() async throws {
        let p = env.server.port
        for target in ["/?token=\(env.server.token)", "/c/C05GENRL001?token=\(env.server.token)", "/assets/lethe.css?token=\(env.server.token)", "/", "/nowhere?token=\(env.server.token)"] {
            let r = try RawHTTP.request(port: p, "GET", target, headers: ["Host": "127.0.0.1:\(p)"])
            let csp = r.headers["content-security-policy"] ?? ""
            #expect(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe") && !csp.contains("http"), "\(target): \(csp)")
            #expect(r.headers["x-content-type-options"] == "nosniff")
            #expect(r.headers["referrer-policy"] == "no-referrer")
            #expect(r.headers["cache-control"] == "no-store")
        }
        let first = try RawHTTP.request(port: p, "GET", "/?token=\(env.server.token)", headers: ["Host": "127.0.0.1:\(p)"])
        let cookie = first.headers["set-cookie"] ?? ""
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        #expect(!cookie.contains(env.server.token), "the cookie is not the URL's token")
        try await page("/")
        #expect(try await env.browser.string("return document.cookie") == "")
        // The token left the address bar.
        try await env.browser.open(env.server.url)
        #expect(try await !env.browser.currentURL().contains("token"))
    }

    @Test("serving writes nothing: the archive's files are unchanged and nothing with plaintext appears on disk")
    func readOnlyNothingOnDisk() async throws {
        for path in ["/", "/c/C05GENRL001", "/search?q=zebracorn", "/c/C05RANDM002?date=2025-05-20", "/audit", "/retention"] { try await page(path) }
        let after = Harness.snapshot(env.archive.dir).filter { $0.key.hasSuffix(".db") }
        #expect(after == env.before)
        let found = Harness.scan(env.server.scratch, for: ["zebracorn", "roadmap", "pwned"]) + Harness.scan(env.archive.dir, for: ["zebracorn", "roadmap", "pwned"])
        #expect(found.isEmpty, "plaintext on disk: \(found)")
        // A writer is told a reader holds the archive.
        let w = try env.archive.run(["import", "--key-file", env.archive.keyFile.path, Repository.fixture("slack-sample").path])
        #expect(w.status != 0 && w.stderr.contains("locked"), "\(w.stderr)")
    }
}

extension ServeTests {
    /// The README's pictures: `LETHE_SCREENSHOTS=docs/images swift test --filter ServeTests`.
    @Test("screenshots of the main pages", .enabled(if: ProcessInfo.processInfo.environment["LETHE_SCREENSHOTS"] != nil, "set LETHE_SCREENSHOTS=DIR to write the README's screenshots"))
    func screenshots() async throws {
        let dir = URL(fileURLWithPath: ProcessInfo.processInfo.environment["LETHE_SCREENSHOTS"]!, relativeTo: Repository.root)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let parent = "1790701200.607889"
        let shots = [("serve-list", "/"), ("serve-thread", "/c/C05GENRL001?day=2026-09-29&thread=\(parent)"),
                     ("serve-search", "/search?q=roadmap"), ("serve-retention", "/retention")]
        for (name, path) in shots {
            try await page(path)
            try await env.browser.screenshot().write(to: dir.appendingPathComponent(name + ".png"))
        }
    }
}

/// The idle lock, on servers of their own (in the same serialized suite: one browser at a time).
extension ServeTests {
    @Test("after --idle-lock without requests the keys are gone and pages ask again; unlocking re-reads the key file; a writer can run meanwhile")
    func idleLockKeyFile() async throws {
        let archive = try TestArchive.create("serve-idle")
        try archive.importFixture("slack-sample")
        let browser = try await WebDriver()  // first: a browser's start must not count as idle time
        let server = try ServeProcess(archive, ["--key-file", archive.keyFile.path, "--idle-lock", "6s"], removing: ["LETHE_PASSPHRASE"])
        do {
            try await browser.open(server.url)
            #expect(try await browser.run("return document.querySelectorAll('tr.conv').length") as? Int ?? 0 > 0)
            // 6 s idle, 9 s asleep: room for a loaded machine to start the page before the lock.
            try await Task.sleep(nanoseconds: 9_000_000_000)
            // Locked: the archive's lock is free, so an import runs now.
            try archive.run(["import", "--key-file", archive.keyFile.path, Repository.fixture("slack-sample-update").path]).expectSuccess("import while locked")
            try await browser.open(server.base + "/c/C05GENRL001")
            #expect(try await browser.run("return !!document.getElementById('unlock')") as? Bool == true)
            #expect(try await browser.run("return document.querySelectorAll('.msg, tr.conv').length") as? Int == 0)
            #expect(try await browser.run("return !!document.getElementById('passphrase')") as? Bool == false)
            try await browser.click("#unlock button")
            try await browser.waitFor("return document.querySelectorAll('.msg').length > 0")
            #expect(try await browser.string("return location.pathname") == "/c/C05GENRL001")
        } catch {
            await browser.quit()
            server.stop()
            throw error
        }
        await browser.quit()
        server.stop()
    }

    @Test("with the passphrase from LETHE_PASSPHRASE, the unlock page asks for it; a wrong one is refused")
    func idleLockPassphrase() async throws {
        let archive = try TestArchive.create("serve-idle-pass")
        try archive.importFixture("slack-sample")
        let browser = try await WebDriver()
        let server = try ServeProcess(archive, ["--idle-lock", "6s"])
        do {
            try await browser.open(server.url)
            #expect(try await browser.run("return document.querySelectorAll('tr.conv').length") as? Int ?? 0 > 0)
            // 6 s idle, 9 s asleep: room for a loaded machine to start the page before the lock.
            try await Task.sleep(nanoseconds: 9_000_000_000)
            try await browser.open(server.base + "/")
            #expect(try await browser.run("return !!document.getElementById('passphrase')") as? Bool == true)
            try await browser.type("#passphrase", "not the passphrase")
            try await browser.click("#unlock button")
            try await browser.waitFor("return !!document.querySelector('p.error')")
            #expect(try await browser.run("return document.querySelectorAll('tr.conv').length") as? Int == 0)
            try await browser.type("#passphrase", TestArchive.passphrase)
            try await browser.click("#unlock button")
            try await browser.waitFor("return document.querySelectorAll('tr.conv').length > 0")
        } catch {
            await browser.quit()
            server.stop()
            throw error
        }
        await browser.quit()
        server.stop()
    }
}
