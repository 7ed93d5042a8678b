import AurumCore
import AurumEngine
import Dispatch
import Foundation

/// A text format the parallel driver can split and parse: CSV (quote-aware record boundaries,
/// a header) or NDJSON (one object per line).
protocol TextFormat: Sendable {
    /// What chunks of one file need to know (the header's field-to-column mapping).
    associatedtype FileContext: Sendable
    /// Where a sequential boundary scan stands (inside quotes, after an escape, ...).
    associatedtype ScanState

    /// Called when a file is opened (its BOM already removed): consumes any preamble (skipped
    /// rows, a header) from the front of `reader.buffer` and returns the number of line feeds
    /// it consumed and the context for the file's chunks.
    func beginFile(_ reader: TextFileReader, index: Int) throws -> (lines: Int, context: FileContext)
    func initialScanState() -> ScanState
    /// Scans `p[from...]`, updating `state`; returns the offset just past the last record
    /// boundary (a record-ending line feed) in that range, or nil when there is none.
    func scan(_ p: UnsafeBufferPointer<UInt8>, from: Int, state: inout ScanState) -> Int?
    /// Parses a chunk of whole records into a block (called on worker threads).
    func parse(_ chunk: [UInt8], context: FileContext) -> ChunkOutput
}

/// A rejected record as a chunk parser reports it; the line is relative to the chunk
/// (line feeds before the record) until the driver knows where the chunk starts.
struct PendingReject: Sendable {
    var relativeLine: Int
    var column: String?
    var value: String?
    var reason: String
    var code: SQLState
    var raw: String?
}

/// What parsing one chunk produced.
struct ChunkOutput: Sendable {
    var block: Block?
    var rejects: [PendingReject] = []
    /// Line feeds in the chunk, so the driver can number the next chunk's lines.
    var lineFeeds: Int = 0
}

/// Reads a list of files in order, cuts them into chunks of whole records on the calling
/// thread (reading, decompression and the boundary scan are sequential), and parses up to
/// `parallelism + 1` chunks at once on Dispatch's global pool, handing blocks and rejected
/// rows back in input order. Rejections go to the `ErrorBudget` in input order, so the first
/// error reported is the first in the input, whatever chunk finished first.
final class TextSourceDriver<Format: TextFormat> {
    let paths: [String]
    let format: Format
    let errors: ErrorBudget
    let chunkSize: Int
    let maxInFlight: Int
    private(set) var bytesTotal: Int64?

    private var fileIndex = -1
    private var reader: TextFileReader?
    private var context: Format.FileContext?
    private var scanState: Format.ScanState?
    private var scanPosition = 0
    private var lastBoundary = 0
    private var finishedBytes: Int64 = 0
    /// Jobs in input order: (file index, result box).
    private var inFlight: [(file: Int, job: ChunkJob)] = []
    /// Next line number (1-based) per file, advanced as results are consumed in order.
    private var nextLine: [Int]

    final class ChunkJob: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var output: ChunkOutput?
        let preambleLines: Int
        init(preambleLines: Int) { self.preambleLines = preambleLines }
        func finish(_ o: ChunkOutput) { output = o; done.signal() }
        func wait() -> ChunkOutput { done.wait(); return output! }
    }

    init(paths: [String], format: Format, errors: ErrorBudget, chunkSize: Int, parallelism: Int?) throws {
        self.paths = paths
        self.format = format
        self.errors = errors
        self.chunkSize = max(1024, chunkSize)
        let cores = max(1, parallelism ?? ProcessInfo.processInfo.activeProcessorCount)
        maxInFlight = cores + 1
        nextLine = [Int](repeating: 1, count: paths.count)
        var total: Int64 = 0
        for p in paths {
            var st = stat()
            guard stat(p, &st) == 0 else { throw AurumError.io("cannot open \(p): \(String(cString: strerror(errno)))") }
            guard (st.st_mode & S_IFMT) == S_IFREG else { throw AurumError.io("\(p) is not a regular file") }
            total += Int64(st.st_size)
        }
        bytesTotal = total
    }

    var bytesRead: Int64 { finishedBytes + (reader?.bytesRead ?? 0) }

    /// The next non-empty block, or nil at the end of the last file.
    func next() throws -> Block? {
        while true {
            while inFlight.count < maxInFlight, let (file, chunk, preamble) = try nextChunk() {
                guard chunk.count < Int(Int32.max) else {
                    throw AurumError(.badCopyFileFormat, "\(paths[file]): a record longer than 2 GB (an unterminated quote?)")
                }
                let job = ChunkJob(preambleLines: preamble)
                let format = self.format
                let context = self.context!
                DispatchQueue.global().async { job.finish(format.parse(chunk, context: context)) }
                inFlight.append((file, job))
            }
            guard !inFlight.isEmpty else { return nil }
            let (file, job) = inFlight.removeFirst()
            let output = job.wait()
            nextLine[file] += job.preambleLines
            let firstLine = nextLine[file]
            nextLine[file] += output.lineFeeds
            for r in output.rejects {
                let location = "\(paths[file]):\(firstLine + r.relativeLine)"
                var message = r.reason
                if let c = r.column { message += " (column \(c)" + (r.value.map { ": \"\(Self.clip($0))\"" } ?? "") + ")" }
                let row = RejectedRow(location: location, column: r.column, value: r.value, reason: r.reason, raw: r.raw)
                try errors.reject(row, error: AurumError(r.code, message))
            }
            if let b = output.block, b.count > 0 { return b }
        }
    }

    static func clip(_ s: String) -> String { s.count > 100 ? String(s.prefix(100)) + "..." : s }

    /// The next chunk of whole records, opening files as needed: (file index, bytes, line feeds
    /// of the file's preamble when this is its first chunk).
    private func nextChunk() throws -> (Int, [UInt8], Int)? {
        var preamble = 0
        while true {
            if reader == nil {
                fileIndex += 1
                guard fileIndex < paths.count else { return nil }
                let r = try TextFileReader(path: paths[fileIndex])
                try r.fill(atLeast: 3)
                if r.buffer.count >= 3, r.buffer[0] == 0xEF, r.buffer[1] == 0xBB, r.buffer[2] == 0xBF { r.buffer.removeFirst(3) }
                let (lines, ctx) = try format.beginFile(r, index: fileIndex)
                preamble = lines
                reader = r
                context = ctx
                scanState = format.initialScanState()
                scanPosition = 0
                lastBoundary = 0
            }
            let r = reader!
            // Scan up to `chunkSize` bytes (further only while no boundary has been found),
            // reading as needed; each byte is scanned once, as the state carries over a cut.
            var cut = false
            while true {
                let target = scanPosition < chunkSize ? min(r.buffer.count, chunkSize) : r.buffer.count
                if target > scanPosition {
                    let from = scanPosition
                    let found = r.buffer.withUnsafeBufferPointer {
                        format.scan(UnsafeBufferPointer(rebasing: $0[0..<target]), from: from, state: &scanState!)
                    }
                    if let found { lastBoundary = found }
                    scanPosition = target
                }
                if lastBoundary > 0 && scanPosition >= chunkSize { cut = true; break }
                if scanPosition < r.buffer.count { continue }
                if r.eof { break }
                if !(try r.readMore()) { break }
            }
            if !cut {
                // The end of the file: the rest is the last chunk.
                let chunk = r.buffer
                r.buffer = []
                finishedBytes += r.bytesRead
                reader = nil
                if chunk.isEmpty && preamble == 0 { continue }
                return (fileIndex, chunk, preamble)
            }
            // Hand out everything up to the last boundary; keep the partial record.
            var chunk = r.buffer
            var rest: [UInt8] = []
            rest.reserveCapacity(max(chunkSize, chunk.count - lastBoundary) + TextFileReader.readSize)
            rest.append(contentsOf: chunk[lastBoundary...])
            r.buffer = rest
            chunk.removeLast(chunk.count - lastBoundary)
            scanPosition -= lastBoundary
            lastBoundary = 0
            return (fileIndex, chunk, preamble)
        }
    }
}
