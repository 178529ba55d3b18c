import Dispatch
import Foundation

/// Runs independent pieces of pure work on every core, each worker with its own context
/// (a zstd context is not thread-safe), and gives the results back in input order.
///
/// The import uses it for what needs no SQLite: extracting search terms, compressing,
/// sealing and digesting the buckets of a flush. The calling thread is one of the workers,
/// so with one core this is a plain loop.
final class ParallelWork<Context>: @unchecked Sendable {
    private let contexts: [Context]

    /// One context per worker: `workers` of them, made by `make`.
    init(workers: Int = ParallelWork.defaultWorkers, make: () -> Context) {
        contexts = (0..<max(1, workers)).map { _ in make() }
    }

    /// The machine's cores, at most 8 (beyond that the SQLite writer, which stays on one thread, is the limit).
    static var defaultWorkers: Int { min(8, max(1, ProcessInfo.processInfo.activeProcessorCount)) }

    var workers: Int { contexts.count }

    /// `body(context, i)` for each `i` in `0..<count`, on up to `workers` threads; the results in order of `i`.
    /// Pieces are handed out one at a time, so uneven pieces still keep every worker busy.
    func map<Result>(_ count: Int, _ body: (Context, Int) -> Result) -> [Result] {
        guard count > 0 else { return [] }
        let lanes = min(contexts.count, count)
        if lanes == 1 { return (0..<count).map { body(contexts[0], $0) } }
        let results = UnsafeMutableBufferPointer<Result?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        let ticket = Ticket()
        withoutActuallyEscaping(body) { body in
            let shared = Unchecked((body, results))
            DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                let (body, results) = shared.value
                let context = contexts[lane]
                while true {
                    let i = ticket.take()
                    guard i < count else { return }
                    results[i] = body(context, i)  // each index written by one worker only
                }
            }
        }
        return results.map { $0! }
    }
}

/// Hands out 0, 1, 2, … to whichever thread asks.
private final class Ticket: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0

    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        next += 1
        return next - 1
    }
}

/// Carries a value across threads where the caller guarantees the access pattern is safe.
private struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
