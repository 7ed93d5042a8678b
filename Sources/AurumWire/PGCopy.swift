import AurumCore
import AurumEngine
import Foundation
import NIOCore
import Synchronization

/// The hand-off of COPY FROM STDIN data from the event loop (which receives CopyData,
/// CopyDone, CopyFail) to the query thread running the COPY.
///
/// Backpressure: when more than `highWater` bytes wait, `push` returns true and the event
/// loop stops reading the socket; the query thread turns reading back on (`resume`) once
/// the queue drained below `lowWater`.
final class PGCopyInQueue: @unchecked Sendable {
    enum End: Sendable {
        case done
        case failed(String)
        case protocolError(String)
    }

    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    private var head = 0
    private var bytes = 0
    private var end: End?
    private var woken = false
    private var closed = false
    private var paused = false
    let highWater: Int
    let lowWater: Int
    /// Called on the query thread when reading should resume.
    let resume: @Sendable () -> Void

    init(highWater: Int, resume: @escaping @Sendable () -> Void) {
        self.highWater = max(highWater, 4096)
        self.lowWater = self.highWater / 4
        self.resume = resume
    }

    /// Queues a chunk (event loop). Returns true when the caller should stop reading.
    func push(_ chunk: [UInt8]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed, end == nil else { return false }
        chunks.append(chunk)
        bytes += chunk.count
        condition.signal()
        if bytes > highWater && !paused {
            paused = true
            return true
        }
        return false
    }

    /// The client ended the data (event loop).
    func finish(_ e: End) {
        condition.lock()
        if end == nil { end = e }
        condition.signal()
        condition.unlock()
    }

    /// Cancel or timeout: a waiting `pop` throws.
    func wake() {
        condition.lock()
        woken = true
        condition.signal()
        condition.unlock()
    }

    /// Whether the query side is done with the COPY (the handler then stops routing to it).
    var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// The COPY is over on the query side: later pushes are dropped, reading resumes.
    func close() {
        condition.lock()
        closed = true
        let wasPaused = paused
        paused = false
        chunks = []
        head = 0
        bytes = 0
        condition.unlock()
        if wasPaused { resume() }
    }

    /// The next chunk, nil after CopyDone (query thread; blocks).
    func pop() throws -> [UInt8]? {
        condition.lock()
        while head == chunks.count && end == nil && !woken { condition.wait() }
        if woken {
            condition.unlock()
            throw AurumError(.queryCanceled, "canceling statement due to user request")
        }
        if head < chunks.count {
            let c = chunks[head]
            chunks[head] = []
            head += 1
            if head > 64 && head * 2 > chunks.count { chunks.removeFirst(head); head = 0 }
            bytes -= c.count
            var resumeNow = false
            if paused && bytes < lowWater {
                paused = false
                resumeNow = true
            }
            condition.unlock()
            if resumeNow { resume() }
            return c
        }
        let e = end!
        condition.unlock()
        switch e {
        case .done: return nil
        case .failed(let m): throw AurumError(.queryCanceled, "COPY from stdin failed: \(m)")
        case .protocolError(let m): throw AurumError(.protocolViolation, m)
        }
    }
}

/// `CopyIO` over the PostgreSQL protocol for one COPY statement run on a query thread.
final class PGCopyIO: CopyIO, @unchecked Sendable {
    let connection: PGConnection
    let output: PGOutput
    let batchBytes: Int
    /// Registers the queue with the connection handler (on the event loop) and sends `response`.
    let startCopyIn: @Sendable (PGCopyInQueue, ByteBuffer) -> EventLoopFuture<Void>
    /// Stops or resumes reading the socket.
    let setReading: @Sendable (Bool) -> Void
    private let queueBox = Mutex<PGCopyInQueue?>(nil)
    private var out: ByteBuffer
    private var scratch: [UInt8] = []
    private(set) var copyingOut = false

    init(connection: PGConnection, batchBytes: Int,
         startCopyIn: @escaping @Sendable (PGCopyInQueue, ByteBuffer) -> EventLoopFuture<Void>,
         setReading: @escaping @Sendable (Bool) -> Void) {
        self.connection = connection
        self.output = PGOutput(connection: connection)
        self.batchBytes = batchBytes
        self.startCopyIn = startCopyIn
        self.setReading = setReading
        self.out = connection.channel.allocator.buffer(capacity: 1024)
    }

    func beginCopyIn(columnCount: Int) throws {
        let setReading = self.setReading
        let q = PGCopyInQueue(highWater: 4 * batchBytes) { setReading(true) }
        queueBox.withLock { $0 = q }
        var b = connection.channel.allocator.buffer(capacity: 16 + 2 * columnCount)
        PGBackend.copyResponse(in: true, columns: columnCount, into: &b)
        do { try startCopyIn(q, b).wait() } catch { throw PGConnectionClosed() }
    }

    func readCopyData() throws -> [UInt8]? {
        guard let q = queueBox.withLock({ $0 }) else { return nil }
        return try q.pop()
    }

    func beginCopyOut(columnCount: Int) throws {
        PGBackend.copyResponse(in: false, columns: columnCount, into: &out)
        copyingOut = true
    }

    func writeCopyRow(_ row: [UInt8]) throws {
        PGBackend.copyData(row, into: &out)
        if out.readableBytes >= batchBytes {
            try flush()
            if connection.cancelRequested.load(ordering: .sequentiallyConsistent) { throw PGResultWriter.canceled }
        }
    }

    func appendText(_ column: Column, row: Int, to result: inout [UInt8]) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        PGValueEncoder.appendField(column, row: row, format: .text, to: &scratch)
        guard scratch.count >= 4 else { return false }
        let length = Int32(bitPattern: UInt32(scratch[0]) << 24 | UInt32(scratch[1]) << 16 | UInt32(scratch[2]) << 8 | UInt32(scratch[3]))
        if length < 0 { return false }
        result.append(contentsOf: scratch[4...])
        return true
    }

    func wake() {
        queueBox.withLock { $0 }?.wake()
    }

    /// After the statement (success or error): ends COPY OUT (CopyDone on success), sends
    /// what is buffered, and releases the COPY IN queue.
    func finish(success: Bool) throws {
        if let q = queueBox.withLock({ $0 }) { q.close() }
        if copyingOut && success { PGBackend.copyDone(into: &out) }
        try flush()
    }

    /// Runs a COPY statement with the client as its data channel; CopyOut data and CopyDone
    /// are sent before this returns.
    static func execute(_ sql: String, session: Session, connection: PGConnection, batchBytes: Int,
                        hooks: PGSimpleQuery.CopyHooks) throws -> [StatementResult] {
        let io = PGCopyIO(connection: connection, batchBytes: batchBytes, startCopyIn: hooks.startCopyIn, setReading: hooks.setReading)
        let results: [StatementResult]
        do {
            results = try session.execute(sql, copy: io)
        } catch {
            try io.finish(success: false)
            throw error
        }
        try io.finish(success: true)
        return results
    }

    /// `execute` for one statement: its command tag.
    static func run(_ sql: String, session: Session, connection: PGConnection, batchBytes: Int,
                    hooks: PGSimpleQuery.CopyHooks) throws -> String {
        try execute(sql, session: session, connection: connection, batchBytes: batchBytes, hooks: hooks).last?.commandTag ?? "COPY 0"
    }

    private func flush() throws {
        guard out.readableBytes > 0 else { return }
        try output.send(out)
        out.clear()
    }
}
