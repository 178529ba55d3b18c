import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LetheCore
import LetheTestSupport
import XCTest

/// FileFetcher against a real HTTP server on loopback (Tests/Support/attachment_server.py), so
/// URLSession and libcurl run for real: chunking, timeouts, dropped connections, redirects.
final class FileFetcherTests: XCTestCase {
    static let token = "xoxp-test-token-5f3a9c"
    static let bigSize = 3 * 1024 * 1024 + 123

    private var server: Process?
    private let serverStdin = Pipe()
    private var root: URL!
    private var base = ""

    override func setUpWithError() throws {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/bin:/bin"
        guard let python = path.split(separator: ":").map({ URL(fileURLWithPath: String($0)).appendingPathComponent("python3") })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
        else {
            print("SKIP: FileFetcher is tested against a Python HTTP server: no python3 on PATH")
            throw XCTSkip("no python3 on PATH")
        }
        root = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-fetch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        // Random bytes: a body that repeats could hide chunks written twice or out of order.
        let random = try XCTUnwrap(FileHandle(forReadingAtPath: "/dev/urandom"))
        defer { try? random.close() }
        try random.readData(ofLength: Self.bigSize).write(to: file("big.bin"))
        try random.readData(ofLength: 5000).write(to: file("small.bin"))
        for n in 0..<8 { try random.readData(ofLength: 200_000 + n).write(to: file("part\(n).bin")) }

        let process = Process()
        process.executableURL = python
        process.arguments = [Repository.root.appendingPathComponent("Tests/Support/attachment_server.py").path,
                             "--root", root.path, "--token", Self.token, "--exit-with-stdin"]
        let out = Pipe()
        process.standardOutput = out
        // Held open while the server should live; if this process dies, the server sees EOF and exits.
        process.standardInput = serverStdin
        // Not inherited: a server left running would keep `swift test`'s output pipe open.
        process.standardError = FileHandle.nullDevice
        try process.run()
        server = process
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let more = out.fileHandleForReading.availableData
            if more.isEmpty { break }
            line.append(more)
        }
        let first = String(decoding: line, as: UTF8.self).split(separator: "\n").first ?? ""
        guard first.hasPrefix("PORT "), let port = Int(first.dropFirst(5)) else {
            throw XCTSkip("attachment_server.py did not print its port (got \"\(first)\")")
        }
        base = "http://127.0.0.1:\(port)"
    }

    override func tearDown() {
        if let server, server.isRunning {
            server.terminate()
            server.waitUntilExit()
        }
        if let root { try? FileManager.default.removeItem(at: root) }
    }

    // MARK: - Tests

    func testFetchesByteIdenticalInChunks() throws {
        let run = fetch([item("big", "/files/big.bin", size: Int64(Self.bigSize))])
        XCTAssertEqual(run.results, [.fetched(bytes: Int64(Self.bigSize))])
        try assertSame(run.sinks["big"]?.bytes, "big.bin")
        XCTAssertGreaterThan(run.sinks["big"]?.writes ?? 0, 1, "a 3 MB body arrives in several writes")
        XCTAssertEqual(run.progress.last?.files, 1)
        XCTAssertEqual(run.progress.last?.bytes, Int64(Self.bigSize))
        XCTAssertEqual(try log().map(\.path), ["/files/big.bin"])
        XCTAssertEqual(try log().map(\.auth), [true])
    }

    func testNotFoundFailsWithoutRetry() throws {
        let run = fetch([item("F404", "/404/gone.bin")])
        XCTAssertEqual(run.results, [.failed(reason: "HTTP 404 Not Found")])
        XCTAssertEqual(try log().count, 1, "a 404 is not asked again")
        XCTAssertNil(run.sinks["F404"], "no 2xx response, so no sink")
    }

    func testWrongTokenFailsWith401() throws {
        var options = FetchOptions(token: "xoxp-wrong")
        options.backoff = 0.1
        let run = fetch([item("a", "/files/small.bin")], options: options)
        XCTAssertEqual(run.results, [.failed(reason: "HTTP 401: the token was refused (check SLACK_TOKEN)")])
        XCTAssertEqual(try log().map(\.auth), [false])
    }

    func testRateLimitWaitsForRetryAfter() throws {
        let start = Date()
        let run = fetch([item("a", "/429/1/small.bin")])
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(run.results, [.fetched(bytes: 5000)])
        try assertSame(run.sinks["a"]?.bytes, "small.bin")
        XCTAssertEqual(try log().count, 2)
        XCTAssertGreaterThanOrEqual(elapsed, 0.95, "Retry-After: 1 was waited for")
    }

    func testRetryAfterLongerThanAllowedFails() throws {
        var options = options()
        options.maxRetryAfter = 0.5
        let run = fetch([item("a", "/429/1/small.bin")], options: options)
        XCTAssertEqual(run.results, [.failed(reason: "rate limited: Retry-After 1 s is longer than 0.5 s")])
        XCTAssertEqual(try log().count, 1)
    }

    func testSlowResponseTimesOutAfterMaxAttempts() throws {
        var options = options()
        options.timeout = 1
        options.maxAttempts = 2
        let start = Date()
        let run = fetch([item("a", "/slow/3/small.bin")], options: options)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(run.results, [.failed(reason: "timed out after 2 attempts")])
        XCTAssertEqual(try log().count, 2)
        XCTAssertLessThan(elapsed, 2.9, "each attempt gave up after about 1 s, not the server's 3 s")
    }

    func testTruncatedBodyIsRetriedThenFails() throws {
        var options = options()
        options.maxAttempts = 2
        let run = fetch([item("a", "/truncated/small.bin")], options: options)
        XCTAssertEqual(run.results, [.failed(reason: "body truncated: 5000 of 6000 bytes after 2 attempts")])
        XCTAssertEqual(try log().count, 2)
        XCTAssertEqual(run.sinks["a"]?.resets, 1, "the retry started the sink again")
        try assertSame(run.sinks["a"]?.bytes, "small.bin", "after the reset, only the second attempt's bytes")
    }

    func testLargerThanMaxBytesIsRefusedUpFront() throws {
        var options = options()
        options.maxBytes = 1 << 20
        let run = fetch([item("big", "/files/big.bin")], options: options)
        XCTAssertEqual(run.results, [.failed(reason: "larger than --max-attachment-size (1048576 bytes)")])
        XCTAssertEqual(run.sinks["big"]?.bytes.count ?? 0, 0, "Content-Length said so: nothing written")
        XCTAssertEqual(try log().count, 1, "too large is not retried")
    }

    func testLargerThanMaxBytesIsStoppedAsItArrives() throws {
        var options = options()
        options.maxBytes = 1 << 20
        let run = fetch([item("big", "/chunked/big.bin")], options: options)
        XCTAssertEqual(run.results, [.failed(reason: "larger than --max-attachment-size (1048576 bytes)")])
        let written = run.sinks["big"]?.bytes ?? []
        XCTAssertLessThanOrEqual(written.count, 1 << 20)
        XCTAssertTrue(written[...] == (try bytes("big.bin")).prefix(written.count), "what was written is the file's start")
        XCTAssertEqual(try log().count, 1)
    }

    func testChunkedBodyWithoutContentLengthIsFetched() throws {
        let run = fetch([item("big", "/chunked/big.bin")])
        XCTAssertEqual(run.results, [.fetched(bytes: Int64(Self.bigSize))])
        try assertSame(run.sinks["big"]?.bytes, "big.bin")
    }

    func testPlainHTTPOffLoopbackIsRefusedWithoutARequest() throws {
        let items = [FetchItem(key: "a", url: "http://example.com/x", expectedSize: nil),
                     FetchItem(key: "b", url: "ftp://127.0.0.1/x", expectedSize: nil),
                     FetchItem(key: "c", url: "not a url at all", expectedSize: nil)]
        let run = fetch(items)
        let refused = FetchResult.failed(reason: "not https (plain http is allowed only to 127.0.0.1, ::1 or localhost)")
        XCTAssertEqual(run.results[0], refused)
        XCTAssertEqual(run.results[1], refused)
        if case .fetched = run.results[2] { XCTFail("a string that is no URL was fetched") }
        XCTAssertEqual(try log().count, 0)
        XCTAssertTrue(run.sinks.isEmpty)
    }

    func testRedirectIsFollowedWithTheToken() throws {
        let run = fetch([item("a", "/redirect/small.bin")])
        XCTAssertEqual(run.results, [.fetched(bytes: 5000)])
        try assertSame(run.sinks["a"]?.bytes, "small.bin")
        XCTAssertEqual(try log().map(\.path), ["/redirect/small.bin", "/files/small.bin"])
        XCTAssertEqual(try log().map(\.auth), [true, true])
    }

    func testRedirectToAnotherHostDropsTheToken() throws {
        // "localhost" is this same server under another name: the server sees whether the token came along.
        let run = fetch([item("a", "/redirect-host/localhost/small.bin")])
        XCTAssertEqual(try log().map(\.auth), [true, false], "the token went to the host named, not the one redirected to")
        XCTAssertEqual(run.results, [.failed(reason: "HTTP 401: the token was refused (check SLACK_TOKEN)")])
    }

    func testRedirectToPlainHTTPOffLoopbackIsRefused() throws {
        let run = fetch([item("a", "/redirect-host/example.com/small.bin")])
        XCTAssertEqual(run.results, [.failed(reason: "redirect refused: not https (plain http is allowed only to 127.0.0.1, ::1 or localhost)")])
        XCTAssertEqual(try log().count, 1)
    }

    func testAtMostFiveRedirects() throws {
        let run = fetch([item("five", "/redirect-chain/5/small.bin"), item("six", "/redirect-chain/6/small.bin")])
        XCTAssertEqual(run.results, [.fetched(bytes: 5000), .failed(reason: "more than 5 redirects")])
        let paths = try log().map(\.path)
        XCTAssertEqual(paths.count, 12, "5 + 1 requests for \"five\", 6 for \"six\"")
        XCTAssertEqual(paths.filter { $0 == "/redirect-chain/0/small.bin" }.count, 1, "\"six\" never made its seventh request")
    }

    func testConcurrencyIsBoundedAndCallbacksNeverOverlap() throws {
        var options = options()
        options.concurrency = 2
        let items = (0..<8).map { item("F\($0)", "/slow/0.5/part\($0).bin") }
        let start = Date()
        let run = fetch(items, options: options)
        let elapsed = Date().timeIntervalSince(start)
        for n in 0..<8 {
            XCTAssertEqual(run.results[n], .fetched(bytes: Int64(200_000 + n)))
            try assertSame(run.sinks["F\(n)"]?.bytes, "part\(n).bin")
        }
        XCTAssertEqual(run.monitor.maxActive, 1, "two callbacks ran at once")
        XCTAssertEqual(run.monitor.sinkCalls, Dictionary(uniqueKeysWithValues: items.map { ($0.key, 1) }))
        XCTAssertGreaterThanOrEqual(elapsed, 1.9, "8 half-second answers, 2 at a time, take 4 rounds")
        XCTAssertLessThan(elapsed, 3.9, "2 at a time is faster than one after another")
    }

    func testDoneOncePerItemInOrderAndThrowingCallbacksFailOnlyTheirItem() throws {
        struct Refused: Error, CustomStringConvertible { var description: String { "disk full" } }
        let items = [item("ok", "/files/small.bin"), item("missing", "/404/x"),
                     FetchItem(key: "plain", url: "http://example.com/x", expectedSize: nil),
                     item("sinkThrows", "/files/part0.bin"), item("doneThrows", "/files/part1.bin"),
                     item("cut", "/truncated/small.bin"), item("ok2", "/redirect/part2.bin")]
        var options = options()
        options.maxAttempts = 2
        let run = fetch(items, options: options, failSink: ["sinkThrows"], failDone: ["doneThrows"], error: Refused())
        XCTAssertEqual(run.results, [.fetched(bytes: 5000), .failed(reason: "HTTP 404 Not Found"),
                                     .failed(reason: "not https (plain http is allowed only to 127.0.0.1, ::1 or localhost)"),
                                     .failed(reason: "disk full"), .failed(reason: "disk full"),
                                     .failed(reason: "body truncated: 5000 of 6000 bytes after 2 attempts"),
                                     .fetched(bytes: 200_002)])
        XCTAssertEqual(run.monitor.doneCalls, Dictionary(uniqueKeysWithValues: items.map { ($0.key, 1) }))
        XCTAssertEqual(run.monitor.maxActive, 1)
        XCTAssertEqual(run.progress.last?.files, items.count)
    }

    // MARK: - Harness

    private func options() -> FetchOptions {
        var o = FetchOptions(token: Self.token)
        o.backoff = 0.1
        return o
    }

    private func item(_ key: String, _ path: String, size: Int64? = nil) -> FetchItem {
        FetchItem(key: key, url: base + path, expectedSize: size)
    }

    private func file(_ name: String) -> URL { root.appendingPathComponent(name) }
    private func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: file(name))) }

    /// Compares a sink's bytes with a served file, reporting sizes and the first difference
    /// rather than megabytes of numbers.
    private func assertSame(_ got: [UInt8]?, _ name: String, _ message: String = "",
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let want = try bytes(name)
        guard let got else { return XCTFail("no sink for \(name) \(message)", file: file, line: line) }
        guard got != want else { return }
        let first = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
        XCTFail("\(got.count) bytes written, \(name) has \(want.count); first difference at \(first) \(message)",
                file: file, line: line)
    }

    private struct Run {
        var results: [FetchResult]
        var sinks: [String: RecordingSink]
        var monitor: Monitor
        var progress: [(files: Int, bytes: Int64)]
    }

    /// Runs the fetcher with sinks that record everything, checking on the way that no two
    /// callbacks overlap and that no reason gives the token away.
    private func fetch(_ items: [FetchItem], options: FetchOptions? = nil,
                       failSink: Set<String> = [], failDone: Set<String> = [], error: Error? = nil) -> Run {
        let monitor = Monitor()
        var sinks: [String: RecordingSink] = [:]
        var progress: [(files: Int, bytes: Int64)] = []
        let results = FileFetcher(options: options ?? self.options()).run(items, sink: { item in
            try monitor.during {
                monitor.sinkCalls[item.key, default: 0] += 1
                if failSink.contains(item.key), let error { throw error }
                let sink = RecordingSink(monitor: monitor)
                sinks[item.key] = sink
                return sink
            }
        }, done: { item, _ in
            try monitor.during {
                monitor.doneCalls[item.key, default: 0] += 1
                if failDone.contains(item.key), let error { throw error }
            }
        }, progress: { files, bytes in
            monitor.during { progress.append((files, bytes)) }
        })
        for case .failed(let reason) in results {
            XCTAssertFalse(reason.contains(Self.token), "a reason holds the token: \(reason)")
        }
        XCTAssertEqual(results.count, items.count)
        return Run(results: results, sinks: sinks, monitor: monitor, progress: progress)
    }

    /// What the server saw, from its /__log.
    private func log() throws -> [(path: String, auth: Bool)] {
        let got = Locked<Data?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let url = try XCTUnwrap(URL(string: base + "/__log"))
        URLSession.shared.dataTask(with: url) { data, _, _ in
            got.set(data)
            finished.signal()
        }.resume()
        XCTAssertEqual(finished.wait(timeout: .now() + 10), .success)
        let data = try XCTUnwrap(got.get(), "no answer from /__log")
        let entries = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        return entries.map { (($0["path"] as? String) ?? "", ($0["auth"] as? Bool) ?? false) }
    }
}

/// Counts callbacks in flight (more than one at once is the bug being looked for) and calls per item.
private final class Monitor: @unchecked Sendable {
    private let lock = NSLock()
    private var active = 0
    private(set) var maxActive = 0
    var sinkCalls: [String: Int] = [:]
    var doneCalls: [String: Int] = [:]

    func during<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        active += 1
        maxActive = max(maxActive, active)
        lock.unlock()
        // Stay inside a little, so that a second thread calling in now would be seen.
        usleep(200)
        defer {
            lock.lock()
            active -= 1
            lock.unlock()
        }
        return try body()
    }
}

/// Keeps what it was given, as an importer's sink would write it out.
private final class RecordingSink: FetchSink {
    let monitor: Monitor
    private(set) var bytes: [UInt8] = []
    private(set) var writes = 0
    private(set) var resets = 0

    init(monitor: Monitor) { self.monitor = monitor }

    func write(_ bytes: [UInt8]) throws {
        monitor.during {
            self.bytes += bytes
            writes += 1
        }
    }

    func reset() throws {
        monitor.during {
            bytes = []
            resets += 1
        }
    }
}

/// A value handed across threads (URLSession's completion handler to the test).
private final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
}
