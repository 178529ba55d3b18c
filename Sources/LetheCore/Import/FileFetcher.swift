import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One file to download.
public struct FetchItem: Sendable {
    /// The caller's name for it (e.g. a Slack file id), for the caller's messages.
    public var key: String
    public var url: String
    /// `files[].size` when known: for progress only; a mismatch is the caller's business.
    public var expectedSize: Int64?

    public init(key: String, url: String, expectedSize: Int64?) {
        self.key = key
        self.url = url
        self.expectedSize = expectedSize
    }
}

/// Receives one download's bytes. Never called from two threads at once (see `FileFetcher.run`).
public protocol FetchSink: AnyObject {
    /// The next bytes of the body, in order.
    func write(_ bytes: [UInt8]) throws
    /// A retry starts the body again from byte 0: forget what was written.
    func reset() throws
}

/// How `FileFetcher` downloads: the token, and the limits that keep a bad server from
/// holding an import hostage (hanging, looping, or sending more than asked for).
public struct FetchOptions: Sendable {
    /// Sent as `Authorization: Bearer …`, only to the host each item's URL names.
    public var token: String
    /// Downloads at once.
    public var concurrency = 4
    /// Per request: no byte for this long and that attempt fails.
    public var timeout: TimeInterval = 60
    /// A body larger than this is refused: on Content-Length up front, and as bytes arrive.
    public var maxBytes: Int64 = 1 << 30
    /// Tries per file. 429, 5xx, timeouts, truncated bodies and connection errors are retried;
    /// other 4xx are not, since asking again gets the same answer.
    public var maxAttempts = 4
    /// A Retry-After longer than this is not waited for: the file fails saying so.
    public var maxRetryAfter: TimeInterval = 300
    /// First delay after a 5xx, a timeout or a dropped connection, doubling per attempt.
    public var backoff: TimeInterval = 1

    public init(token: String) {
        self.token = token
    }
}

/// How one item ended.
public enum FetchResult: Sendable, Equatable {
    case fetched(bytes: Int64)
    /// One line, fit for a report; never holds the token.
    case failed(reason: String)
}

/// Downloads Slack's shared files (for `lethe import --fetch-files`), streaming each body into a
/// caller's sink, so a file is never whole in memory.
///
/// Everything runs on one URLSession whose delegate queue is serial: every URLSession callback,
/// every retry and every call of the caller's closures happens there, one at a time. That is why
/// the state below needs no lock, and why the caller may touch a SQLite connection from its sink.
/// URLSession does not wait for a slow sink: chunks it has read queue on that queue until the sink
/// takes them, so memory stays bounded only while the sink (encrypt and write to disk) is faster
/// than the network.
public final class FileFetcher {
    private let options: FetchOptions

    public init(options: FetchOptions) {
        self.options = options
    }

    /// Downloads every item, at most `options.concurrency` at once, and blocks the calling thread
    /// until all are done.
    ///
    /// `sink(item)` is called once per item when its first 2xx response arrives, before its first
    /// byte (an item that never gets one, e.g. a 404, never gets a sink); then the sink's
    /// `write`/`reset`; finally `done(item, result)` once per item, after its last write or on
    /// failure. All these callbacks run on one serial queue, never two at once, so the caller may
    /// touch non-thread-safe state from them while `run` blocks. If `sink`, `done` or a sink method
    /// throws, that item fails with the error's description and the others go on.
    /// `progress(filesDone, bytesDone)` is called on the same queue as bytes arrive, at most about
    /// ten times a second, and once per finished file. Returns the results in item order.
    public func run(_ items: [FetchItem],
                    sink: (FetchItem) throws -> FetchSink,
                    done: (FetchItem, FetchResult) throws -> Void,
                    progress: ((Int, Int64) -> Void)?) -> [FetchResult] {
        guard !items.isEmpty else { return [] }
        return withoutActuallyEscaping(sink) { sink in
            withoutActuallyEscaping(done) { done in
                let queue = OperationQueue()
                queue.maxConcurrentOperationCount = 1
                queue.name = "lethe-fetch"
                let batch = FetchBatch(items: items, options: options, queue: queue,
                                       callbacks: FetchCallbacks(sink: sink, done: done, progress: progress))
                let results = batch.run()
                // The closures must not outlive this call: drop them on the queue (so no callback
                // is mid-way) and wait until nothing that could hold a copy is left running.
                queue.addOperation { batch.callbacks.clear() }
                queue.waitUntilAllOperationsAreFinished()
                return results
            }
        }
    }
}

// MARK: - Internals

/// The caller's closures, held only while `run` blocks. Touched only on the delegate queue.
private final class FetchCallbacks: @unchecked Sendable {
    var sink: ((FetchItem) throws -> FetchSink)?
    var done: ((FetchItem, FetchResult) throws -> Void)?
    var progress: ((Int, Int64) -> Void)?

    init(sink: @escaping (FetchItem) throws -> FetchSink,
         done: @escaping (FetchItem, FetchResult) throws -> Void,
         progress: ((Int, Int64) -> Void)?) {
        self.sink = sink
        self.done = done
        self.progress = progress
    }

    func clear() {
        sink = nil
        done = nil
        progress = nil
    }
}

/// Why an attempt ended, decided as soon as it is known (a status line, a limit crossed), so that
/// the cancellation that follows is not mistaken for a network error.
private enum AttemptEnd {
    /// Retry after this many seconds; `reason` is what the item fails with if attempts run out.
    case retry(after: TimeInterval, reason: String)
    case fail(String)
}

/// One item's progress through its attempts.
private struct ItemState {
    var attempts = 0
    var sink: FetchSink?
    /// Bytes given to the sink in this attempt.
    var received: Int64 = 0
    /// Content-Length of this attempt's 2xx response, if it sent one.
    var expected: Int64?
    var redirects = 0
    var end: AttemptEnd?
    var task: URLSessionDataTask?
}

/// One `run`: the session, the queue of items waiting for a slot, and each item's state.
/// Every method runs on the delegate queue, except `run`, which only starts and waits.
private final class FetchBatch: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    static let maxRedirects = 5

    let items: [FetchItem]
    let options: FetchOptions
    let queue: OperationQueue
    let callbacks: FetchCallbacks
    private var session: URLSession?
    private var states: [ItemState]
    private var results: [FetchResult?]
    private var taskItem: [Int: Int] = [:]
    private var nextItem = 0
    private var active = 0
    private var filesDone = 0
    private var bytesDone: Int64 = 0
    private var lastProgress = Date.distantPast
    private let finished = DispatchSemaphore(value: 0)

    init(items: [FetchItem], options: FetchOptions, queue: OperationQueue, callbacks: FetchCallbacks) {
        self.items = items
        self.options = options
        self.queue = queue
        self.callbacks = callbacks
        self.states = Array(repeating: ItemState(), count: items.count)
        self.results = Array(repeating: nil, count: items.count)
    }

    func run() -> [FetchResult] {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = options.timeout
        config.httpMaximumConnectionsPerHost = max(1, options.concurrency)
        // Nothing downloaded may land in a cache or a cookie jar on disk: these are legal holds.
        config.urlCache = nil
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.httpCookieStorage = nil
        config.httpShouldSetCookies = false
        config.urlCredentialStorage = nil
        session = URLSession(configuration: config, delegate: self, delegateQueue: queue)
        queue.addOperation { self.fillSlots() }
        finished.wait()
        session?.finishTasksAndInvalidate()
        return results.map { $0 ?? .failed(reason: "internal: no result") }
    }

    // MARK: Scheduling

    private func fillSlots() {
        while active < max(1, options.concurrency), nextItem < items.count {
            let i = nextItem
            nextItem += 1
            active += 1
            startAttempt(i)
        }
    }

    private func startAttempt(_ i: Int) {
        guard let url = URL(string: items[i].url) else { return finish(i, .failed(reason: "not a URL")) }
        if let refusal = Self.refusal(url) { return finish(i, .failed(reason: refusal)) }
        if states[i].attempts > 0, let sink = states[i].sink {
            do { try sink.reset() } catch { return finish(i, .failed(reason: describe(error))) }
            bytesDone -= states[i].received
        }
        states[i].attempts += 1
        states[i].received = 0
        states[i].expected = nil
        states[i].redirects = 0
        states[i].end = nil
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: options.timeout)
        request.setValue("Bearer \(options.token)", forHTTPHeaderField: "Authorization")
        guard let task = session?.dataTask(with: request) else { return finish(i, .failed(reason: "internal: no session")) }
        states[i].task = task
        taskItem[task.taskIdentifier] = i
        task.resume()
    }

    /// Why a URL may not be fetched, or nil: only https, except plain http to this machine
    /// (the tests' server), so the token never crosses a network in clear.
    static func refusal(_ url: URL) -> String? {
        let scheme = url.scheme?.lowercased()
        let host = url.host?.lowercased() ?? ""
        if scheme == "https", !host.isEmpty { return nil }
        if scheme == "http", ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host) { return nil }
        return "not https (plain http is allowed only to 127.0.0.1, ::1 or localhost)"
    }

    /// Ends attempt `i` the way `end` says: a retry later, or the item's result now.
    private func conclude(_ i: Int, _ end: AttemptEnd) {
        states[i].task = nil
        switch end {
        case .fail(let reason):
            finish(i, .failed(reason: reason))
        case .retry(let delay, let reason):
            guard states[i].attempts < options.maxAttempts else {
                return finish(i, .failed(reason: "\(reason) after \(states[i].attempts) attempts"))
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + max(0, delay)) {
                self.queue.addOperation { self.startAttempt(i) }
            }
        }
    }

    private func finish(_ i: Int, _ result: FetchResult) {
        states[i].task = nil
        states[i].sink = nil
        var result = result
        do { try callbacks.done?(items[i], result) } catch { result = .failed(reason: describe(error)) }
        results[i] = result
        filesDone += 1
        reportProgress(force: true)
        active -= 1
        if filesDone == items.count {
            finished.signal()
            return
        }
        fillSlots()
    }

    private func reportProgress(force: Bool) {
        guard let progress = callbacks.progress else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastProgress) >= 0.1 else { return }
        lastProgress = now
        progress(filesDone, bytesDone)
    }

    /// The delay before retry number `attempts + 1`: `backoff`, doubling per attempt.
    private func backoff(_ i: Int) -> TimeInterval {
        options.backoff * pow(2, Double(max(0, states[i].attempts - 1)))
    }

    /// The item of a live task, or nil for one that has been concluded (a late callback).
    private func item(of task: URLSessionTask) -> Int? {
        guard let i = taskItem[task.taskIdentifier], states[i].task === task else { return nil }
        return i
    }

    /// Settles an attempt as soon as its end is known and stops its transfer; its completion
    /// callback then concludes it. A refused redirect must not cancel: URLSession still waits for
    /// the redirect's answer, then hands over the 3xx response, which is cancelled when it comes.
    private func end(_ i: Int, _ end: AttemptEnd, cancel: Bool = true) {
        states[i].end = end
        if cancel { states[i].task?.cancel() }
    }

    // MARK: URLSession delegate

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        guard let i = item(of: task), states[i].end == nil else { return completionHandler(nil) }
        states[i].redirects += 1
        guard states[i].redirects <= Self.maxRedirects else {
            end(i, .fail("more than \(Self.maxRedirects) redirects"), cancel: false)
            return completionHandler(nil)
        }
        guard let target = request.url else {
            end(i, .fail("redirect without a usable Location"), cancel: false)
            return completionHandler(nil)
        }
        if let refusal = Self.refusal(target) {
            end(i, .fail("redirect refused: \(refusal)"), cancel: false)
            return completionHandler(nil)
        }
        // The token is Slack's: it goes only to the host the caller named, never to the
        // storage host a redirect points at.
        var next = request
        let original = URL(string: items[i].url)?.host?.lowercased()
        if target.host?.lowercased() == original {
            next.setValue("Bearer \(options.token)", forHTTPHeaderField: "Authorization")
        } else {
            next.setValue(nil, forHTTPHeaderField: "Authorization")
        }
        completionHandler(next)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        guard let i = item(of: dataTask), states[i].end == nil else { return completionHandler(.cancel) }
        guard let http = response as? HTTPURLResponse else {
            end(i, .fail("not an HTTP response"))
            return completionHandler(.cancel)
        }
        let code = http.statusCode
        switch code {
        case 200..<300:
            let length = http.expectedContentLength
            if length > options.maxBytes {
                end(i, .fail(tooLarge))
                return completionHandler(.cancel)
            }
            states[i].expected = length >= 0 ? length : nil
            if states[i].sink == nil {
                do {
                    guard let make = callbacks.sink else { throw FetchInternal("no sink") }
                    states[i].sink = try make(items[i])
                } catch {
                    end(i, .fail(describe(error)))
                    return completionHandler(.cancel)
                }
            }
            completionHandler(.allow)
            return
        case 429:
            let header = http.value(forHTTPHeaderField: "Retry-After")?.trimmingCharacters(in: .whitespaces)
            let wait = header.flatMap { Int($0) }.map { TimeInterval(max(0, $0)) } ?? options.backoff
            if wait > options.maxRetryAfter {
                end(i, .fail("rate limited: Retry-After \(Self.seconds(wait)) s is longer than \(Self.seconds(options.maxRetryAfter)) s"))
            } else {
                end(i, .retry(after: wait, reason: "rate limited (HTTP 429)"))
            }
        case 401:
            end(i, .fail("HTTP 401: the token was refused (check SLACK_TOKEN)"))
        case 300..<400:
            end(i, .fail("HTTP \(code) redirect not followed"))
        case 500..<600:
            end(i, .retry(after: backoff(i), reason: Self.statusLine(code)))
        default:
            end(i, .fail(Self.statusLine(code)))
        }
        // A refused response's body is not the file: never read it, never give it to the sink.
        completionHandler(.cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let i = item(of: dataTask), states[i].end == nil, let sink = states[i].sink else { return }
        let count = Int64(data.count)
        guard states[i].received + count <= options.maxBytes else { return end(i, .fail(tooLarge)) }
        do { try sink.write([UInt8](data)) } catch { return end(i, .fail(describe(error))) }
        states[i].received += count
        bytesDone += count
        reportProgress(force: false)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let i = item(of: task) else { return }
        taskItem[task.taskIdentifier] = nil
        if let end = states[i].end { return conclude(i, end) }
        let received = states[i].received
        // A body shorter than promised is reported as such whatever error curl gave for it.
        if let expected = states[i].expected, received < expected {
            return conclude(i, .retry(after: backoff(i), reason: "body truncated: \(received) of \(expected) bytes"))
        }
        if let error {
            if (error as? URLError)?.code == .timedOut {
                return conclude(i, .retry(after: backoff(i), reason: "timed out"))
            }
            return conclude(i, .retry(after: backoff(i), reason: "connection failed (\(describe(error)))"))
        }
        guard states[i].sink != nil else { return conclude(i, .fail("internal: finished without a response")) }
        finish(i, .fetched(bytes: received))
    }

    // MARK: Reasons

    private var tooLarge: String { "larger than --max-attachment-size (\(options.maxBytes) bytes)" }

    /// "300" for whole seconds, "0.5" otherwise.
    static func seconds(_ t: TimeInterval) -> String {
        t == t.rounded() && abs(t) < 1e15 ? String(Int(t)) : String(t)
    }

    static func statusLine(_ code: Int) -> String {
        let phrases = [400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
                       408: "Request Timeout", 410: "Gone", 451: "Unavailable For Legal Reasons",
                       500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                       504: "Gateway Timeout"]
        return phrases[code].map { "HTTP \(code) \($0)" } ?? "HTTP \(code)"
    }

    /// An error as one line. URLSession's errors print as NSError dumps, so they get their code
    /// and summary instead, as do Foundation's; the caller's own errors (LetheError) print as they
    /// describe themselves.
    private func describe(_ error: any Error) -> String {
        if let error = error as? URLError { return "URLError \(error.code.rawValue): \(error.localizedDescription)" }
        if error is CocoaError || type(of: error) is NSError.Type { return error.localizedDescription }
        return String(describing: error)
    }
}

/// A broken invariant of the fetcher itself, reported as that item's reason.
private struct FetchInternal: Error, CustomStringConvertible {
    let what: String
    init(_ what: String) { self.what = what }
    var description: String { "internal: \(what)" }
}
