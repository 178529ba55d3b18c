import FlyingFox
import Foundation
import LetheCore

/// The checks every request passes, the headers every response carries, and the routes.
struct Gate {
    let server: LetheServer

    /// No inline script or style, nothing from another origin, no framing, forms post here only.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    static let cookieName = "lethe_session"

    static func headers(_ contentType: String) -> HTTPHeaders {
        var h = HTTPHeaders()
        h[.contentType] = contentType
        h[HTTPHeader("Content-Security-Policy")] = contentSecurityPolicy
        h[HTTPHeader("X-Content-Type-Options")] = "nosniff"
        h[HTTPHeader("Referrer-Policy")] = "no-referrer"
        h[HTTPHeader("Cache-Control")] = "no-store"
        h[HTTPHeader("X-Frame-Options")] = "DENY"
        h[HTTPHeader("Cross-Origin-Opener-Policy")] = "same-origin"
        h[HTTPHeader("Cross-Origin-Resource-Policy")] = "same-origin"
        return h
    }

    static func text(_ status: HTTPStatusCode, _ message: String) -> HTTPResponse {
        HTTPResponse(statusCode: status, headers: headers("text/plain; charset=utf-8"), body: Data((message + "\n").utf8))
    }

    static func html(_ page: String, status: HTTPStatusCode = .ok) -> HTTPResponse {
        let h = headers("text/html; charset=utf-8")
        return HTTPResponse(statusCode: status, headers: h, body: Data(page.utf8))
    }

    static func redirect(_ location: String) -> HTTPResponse {
        var h = headers("text/plain; charset=utf-8")
        h[.location] = location
        return HTTPResponse(statusCode: .seeOther, headers: h, body: Data())
    }

    /// Equal without a timing difference on where they first differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var d: UInt8 = 0
        for i in x.indices { d |= x[i] ^ y[i] }
        return d == 0
    }

    static func cookie(_ request: HTTPRequest, named name: String) -> String? {
        for line in request.headers.values(for: .cookie) {
            for part in line.split(separator: ";") {
                let kv = part.trimmingCharacters(in: .whitespaces)
                if kv.hasPrefix(name + "=") { return String(kv.dropFirst(name.count + 1)) }
            }
        }
        return nil
    }

    func respond(_ request: HTTPRequest, body: Data) -> HTTPResponse {
        // 1. DNS rebinding: a page of another site that resolves its name to 127.0.0.1 sends its own Host.
        guard let host = request.headers[.host], server.isAllowed(host: host) else {
            return Self.text(HTTPStatusCode(403, phrase: "Forbidden"), "403 Forbidden: this server answers only to its own address.")
        }
        // 2. The token: in the URL once (the page sets the cookie), then the cookie.
        var setCookie: String?
        if let t = request.query["token"] {
            guard Self.same(t, server.token) else { return unauthorized() }
            setCookie = "\(Self.cookieName)=\(server.cookieValue); Path=/; HttpOnly; SameSite=Strict"
        } else {
            guard let c = Self.cookie(request, named: Self.cookieName), Self.same(c, server.cookieValue) else { return unauthorized() }
        }
        // 3. Posts (unlock, lock) only from this origin's own pages.
        if request.method == .POST {
            // With Referrer-Policy no-referrer a browser sends `Origin: null` even for its own
            // forms; Sec-Fetch-Site (which it cannot be told to hide) then says where it came from.
            if let origin = request.headers[HTTPHeader("Origin")], origin != "null", origin != "http://" + host.lowercased() {
                return Self.text(HTTPStatusCode(403, phrase: "Forbidden"), "403 Forbidden: a form of another origin.")
            }
            if let site = request.headers[HTTPHeader("Sec-Fetch-Site")], site != "same-origin" {
                return Self.text(HTTPStatusCode(403, phrase: "Forbidden"), "403 Forbidden: a form of another site.")
            }
        } else if request.method != .GET && request.method != .HEAD {
            return Self.text(HTTPStatusCode(405, phrase: "Method Not Allowed"), "405 Method Not Allowed: lethe serve only reads.")
        }
        let started = DispatchTime.now().uptimeNanoseconds
        var response = route(request, body: body)
        // How long the page took to make (decrypting, searching, rendering): for benchmarks and the curious.
        let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        response.headers[HTTPHeader("Server-Timing")] = String(format: "app;dur=%.2f", ms)
        if let setCookie { response.headers[HTTPHeader("Set-Cookie")] = setCookie }
        return response
    }

    private func unauthorized() -> HTTPResponse {
        Self.text(HTTPStatusCode(401, phrase: "Unauthorized"), "401 Unauthorized: open the address `lethe serve` printed; it carries this run's token.")
    }

    private func route(_ request: HTTPRequest, body: Data) -> HTTPResponse {
        let path = request.path
        if path.hasPrefix("/assets/") { return asset(String(path.dropFirst("/assets/".count))) }
        if request.method == .POST {
            switch path {
            case "/lock":
                server.session.lock()
                return Self.redirect("/")
            case "/unlock":
                return unlock(body)
            default:
                return Self.text(HTTPStatusCode(404, phrase: "Not Found"), "404 Not Found")
            }
        }
        let next = request.target.rawValue.isEmpty ? "/" : Self.stripToken(request)
        return server.session.with { opened -> HTTPResponse in
            guard let opened else { return Self.html(Pages.unlockForm(next: next, asksPassphrase: server.session.unlocker.asksPassphrase, error: nil)) }
            let pages = Pages(opened: opened, options: server.options)
            let q = request.query
            switch path {
            case "/": return Self.html(pages.conversationList())
            case "/search": return Self.html(pages.search(q["q"] ?? "", limit: Int(q["limit"] ?? "") ?? 50))
            case "/retention": return Self.html(pages.retention())
            case "/audit": return Self.html(pages.audit())
            default:
                if path.hasPrefix("/c/") {
                    let id = String(path.dropFirst(3))
                    if let page = pages.conversation(id: id, day: q["day"], jump: q["date"], thread: q["thread"]) { return Self.html(page) }
                }
                return Self.html(Pages.layout(title: "Not found", body: "<h1>Not found</h1><p>No such page or conversation.</p>"), status: HTTPStatusCode(404, phrase: "Not Found"))
            }
        }
    }

    /// This request's path and query without the token (where the unlock form returns).
    static func stripToken(_ request: HTTPRequest) -> String {
        let kept = request.query.filter { $0.name != "token" }
        guard !kept.isEmpty else { return request.path }
        return request.path + "?" + kept.map { HTML.query($0.name) + "=" + HTML.query($0.value) }.joined(separator: "&")
    }

    private func asset(_ name: String) -> HTTPResponse {
        guard let data = Assets.file(name) else { return Self.text(HTTPStatusCode(404, phrase: "Not Found"), "404 Not Found") }
        let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : name.hasSuffix(".js") ? "text/javascript; charset=utf-8"
            : name.hasSuffix(".svg") ? "image/svg+xml" : "application/octet-stream"
        return HTTPResponse(statusCode: .ok, headers: Self.headers(type), body: data)
    }

    private func unlock(_ body: Data) -> HTTPResponse {
        var fields = Form.parse(body)
        defer { Form.wipe(&fields) }
        let next = fields["next"].map { String(decoding: $0, as: UTF8.self) } ?? "/"
        let safeNext = next.hasPrefix("/") && !next.hasPrefix("//") && !next.contains("\\") ? next : "/"
        var passphrase: Secret?
        if server.session.unlocker.asksPassphrase {
            guard var bytes = fields["passphrase"], !bytes.isEmpty else {
                return Self.html(Pages.unlockForm(next: safeNext, asksPassphrase: true, error: "Type the passphrase."), status: HTTPStatusCode(400, phrase: "Bad Request"))
            }
            passphrase = Secret(wiping: &bytes)
        }
        do {
            try server.session.unlock(passphrase: passphrase)
        } catch let e as LetheError {
            return Self.html(Pages.unlockForm(next: safeNext, asksPassphrase: server.session.unlocker.asksPassphrase, error: e.message), status: HTTPStatusCode(403, phrase: "Forbidden"))
        } catch {
            return Self.html(Pages.unlockForm(next: safeNext, asksPassphrase: server.session.unlocker.asksPassphrase, error: "\(error)"), status: HTTPStatusCode(403, phrase: "Forbidden"))
        }
        return Self.redirect(safeNext)
    }
}

/// `application/x-www-form-urlencoded`, decoded to bytes (a passphrase never becomes a String).
enum Form {
    static func parse(_ body: Data) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for pair in body.split(separator: UInt8(ascii: "&")) {
            let kv = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(decoding: decode(kv[0]), as: UTF8.self)
            out[key] = kv.count > 1 ? decode(kv[1]) : []
        }
        return out
    }

    static func decode(_ s: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var it = Array(s)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "+") { out.append(32) } else if c == UInt8(ascii: "%"), it.count >= 2,
                let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                it = it.dropFirst(2)
            } else { out.append(c) }
        }
        return out
    }

    static func wipe(_ fields: inout [String: [UInt8]]) {
        for k in fields.keys { fields[k]!.withUnsafeMutableBytes { p in _ = p.initializeMemory(as: UInt8.self, repeating: 0) } }
        fields = [:]
    }
}

/// The files of Sources/LetheServe/Assets, compiled in by the EmbedAssets plugin.
enum Assets {
    nonisolated(unsafe) private static var decoded: [String: Data] = [:]
    private static let lock = NSLock()

    static func file(_ name: String) -> Data? {
        lock.withLock {
            if let d = decoded[name] { return d }
            guard let b = EmbeddedAssets.base64[name], let d = Data(base64Encoded: b) else { return nil }
            decoded[name] = d
            return d
        }
    }
}
