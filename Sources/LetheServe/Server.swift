import FlyingFox
import FlyingSocks
import Foundation
import LetheCore

/// What `lethe serve` was asked for.
public struct ServeOptions: Sendable {
    /// The address to bind; nil: 127.0.0.1 and ::1.
    public var listen: String?
    public var port: UInt16
    public var idleLock: TimeInterval?
    /// The retention policy the plan page evaluates, and the file it came from.
    public var policy: RetentionPolicy?
    public var policyPath: String?

    public init(listen: String?, port: UInt16, idleLock: TimeInterval?, policy: RetentionPolicy?, policyPath: String?) {
        self.listen = listen
        self.port = port
        self.idleLock = idleLock
        self.policy = policy
        self.policyPath = policyPath
    }
}

/// `lethe serve`: an HTTP server on loopback over the unlocked archive, read-only.
///
/// Every request passes `Gate.check` first: the Host header must name the listening address
/// (DNS rebinding), and the request must carry the per-run token, in the URL once (the page
/// then sets an HttpOnly, SameSite=Strict cookie) or in that cookie. Every response carries
/// the security headers (`Gate.headers`). docs/SERVE.md.
public final class LetheServer: @unchecked Sendable {
    let session: ArchiveSession
    let options: ServeOptions
    /// The secret of the URL (`?token=`), and the different one the cookie carries.
    let token: String
    let cookieValue: String
    private let hostsLock = NSLock()
    private var allowedHosts: Set<String> = []
    private var servers: [HTTPServer] = []
    public private(set) var port: UInt16 = 0
    public private(set) var hosts: [String] = []

    public init(archive: Archive, unlocker: Unlocker, options: ServeOptions) throws {
        self.options = options
        token = Self.randomHex(32)
        cookieValue = Self.randomHex(32)
        session = try ArchiveSession(archive: archive, unlocker: unlocker, idleLock: options.idleLock)
    }

    static func randomHex(_ bytes: Int) -> String {
        var g = SystemRandomNumberGenerator()  // getrandom(2) on Linux, arc4random on macOS
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    /// The URL to open: the first listening address, with the token.
    public var url: String { "http://\(hosts.first ?? "127.0.0.1:\(port)")/?token=\(token)" }

    /// Binds (127.0.0.1, then ::1 on the same port; or `--listen`'s address) and starts
    /// serving in the background; returns once the first address listens.
    public func start() async throws {
        let primary: any SocketAddress
        var extra: [(any SocketAddress, String)] = []
        if let listen = options.listen {
            primary = listen.contains(":") ? try sockaddr_in6.inet6(ip6: listen, port: options.port) : try sockaddr_in.inet(ip4: listen, port: options.port)
        } else {
            primary = try sockaddr_in.inet(ip4: "127.0.0.1", port: options.port)
        }
        let first = HTTPServer(address: primary, timeout: 30, logger: QuietLogger(), handler: Handler(server: self))
        let task = Task { try await first.run() }
        do {
            try await first.waitUntilListening(timeout: 10)
        } catch {
            task.cancel()
            throw LetheError(.failure, "cannot listen on \(options.listen ?? "127.0.0.1") port \(options.port): \(error)",
                             hint: "is another program using the port? --port 0 picks a free one")
        }
        servers.append(first)
        switch await first.listeningAddress {
        case .ip4(_, let p)?, .ip6(_, let p)?: port = p
        default: throw LetheError(.failure, "the server listens on no known address")
        }
        let shown = options.listen.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "127.0.0.1"
        hosts = ["\(shown):\(port)"]
        if options.listen == nil {
            hosts += ["localhost:\(port)"]
            if let six = try? sockaddr_in6.inet6(ip6: "::1", port: port) { extra.append((six, "[::1]:\(port)")) }
        }
        for (address, host) in extra {
            let s = HTTPServer(address: address, timeout: 30, logger: QuietLogger(), handler: Handler(server: self))
            Task { try? await s.run() }
            if (try? await s.waitUntilListening(timeout: 2)) != nil {
                servers.append(s)
                hosts.append(host)
            }
        }
        hostsLock.withLock { allowedHosts = Set(hosts) }
        if options.idleLock != nil { startIdleTimer() }
    }

    /// Forgets the keys (as the idle lock does); for exit.
    public func lock() { session.lock() }

    private func startIdleTimer() {
        let session = self.session
        let interval = min(1.0, (options.idleLock ?? 1) / 4)
        Task.detached {
            while true {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                if session.lockIfIdle() {
                    FileHandle.standardError.write(Data("lethe: serve: idle for \(Int(session.idleLock ?? 0)) s: the keys are forgotten; the next page asks for the secret\n".utf8))
                }
            }
        }
    }

    func isAllowed(host: String) -> Bool { hostsLock.withLock { allowedHosts.contains(host.lowercased()) } }

    struct Handler: HTTPHandler {
        let server: LetheServer
        func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
            var request = request
            let body = request.method == .POST ? (try? await request.bodyData) ?? Data() : Data()
            request.setBodyData(Data())
            return Gate(server: server).respond(request, body: body)
        }
    }
}

/// FlyingFox's logger, silent: a request line could name a query (search words) on the terminal.
struct QuietLogger: Logging {
    func logDebug(_ debug: @autoclosure () -> String) {}
    func logInfo(_ info: @autoclosure () -> String) {}
    func logWarning(_ warning: @autoclosure () -> String) {}
    func logError(_ error: @autoclosure () -> String) {}
    func logCritical(_ critical: @autoclosure () -> String) {}
}
