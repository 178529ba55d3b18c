import Foundation

/// Reads and splits day files on a second thread while the importer merges,
/// indexes, compresses and seals on the first: the two halves of an import cost
/// about the same, and the machines this runs on have two cores.
///
/// Files come out in the order of the conversations given, each conversation's by date.
/// At most `depth` parsed files wait in memory, and the list of day files is taken one
/// conversation at a time (`SlackExport.dayFiles(of:)`), never copied whole: memory
/// stays bounded whatever the export's size.
final class DayFilePrefetcher: @unchecked Sendable {
    typealias Parsed = (messages: [RawMessage], skipped: [ImportWarning])

    private let export: SlackExport
    private let conversations: [Conversation]
    private let count: Int
    private let lock = NSLock()
    private var results: [Int: Result<Parsed, Error>] = [:]
    private let ready = DispatchSemaphore(value: 0)
    private let slots: DispatchSemaphore
    private var cancelled = false
    private var next = 0
    /// Slots the reader has taken and the importer not yet given back (under `lock`).
    private var taken = 0
    /// Signalled when the reader thread has returned.
    private let finished = DispatchSemaphore(value: 0)

    /// `count` is the number of day files the conversations have (`SlackExport.dayFiles(of:)`).
    init(export: SlackExport, conversations: [Conversation], count: Int, depth: Int = 8) {
        self.export = export
        self.conversations = conversations
        self.count = count
        self.slots = DispatchSemaphore(value: depth)
        let thread = Thread { [self] in produce() }
        thread.name = "lethe-reader"
        thread.start()
    }

    private func produce() {
        defer { finished.signal() }
        var i = 0
        for conversation in conversations {
            for day in export.dayFiles(of: conversation) {
                guard i < count else { return }
                slots.wait()
                lock.lock()
                taken += 1
                let stop = cancelled
                lock.unlock()
                if stop { return }
                let r = Result { try export.readMessages(day) }
                lock.lock()
                results[i] = r
                lock.unlock()
                i += 1
                ready.signal()
                if case .failure = r { return }
            }
        }
    }

    /// The next day file's messages, in order; nil after the last.
    func nextFile() throws -> Parsed? {
        guard next < count else { return nil }
        ready.wait()
        lock.lock()
        let r = results.removeValue(forKey: next)
        taken -= 1
        lock.unlock()
        next += 1
        slots.signal()
        guard let r else { throw LetheError(.failure, "internal: day file \(next - 1) was not read") }
        return try r.get()
    }

    /// Stops the reader thread and waits for it to return (it finishes the file it is
    /// reading, at most one): the process must not exit, or the export close, under it.
    func cancel() {
        lock.lock()
        let already = cancelled
        cancelled = true
        lock.unlock()
        guard !already else { return }
        slots.signal()
        finished.wait()
        finished.signal()  // a later cancel() returns at once
        // Give back the slots of files read ahead and never taken: libdispatch kills the
        // process (SIGILL) when a semaphore is freed below its starting value, which an
        // import that fails with the reader ahead did.
        lock.lock()
        let owed = taken
        taken = 0
        results.removeAll()
        lock.unlock()
        for _ in 0..<max(owed, 0) { slots.signal() }
    }
}
