import AurumCore
import CAurumShims
import Foundation
import Glibc

/// Thin POSIX file layer: every durable operation goes through here so the fault injector
/// sees it and errno maps to SQLSTATEs (ENOSPC/EDQUOT → 53100, anything else → 58030).
struct FileIO: Sendable {
    var fsyncEnabled: Bool
    var injector: FaultInjector?

    var isDead: Bool { injector?.isDead ?? false }

    static func error(_ what: String, _ path: String, errno e: Int32) -> AurumError {
        let msg = "could not \(what) \"\(path)\": \(String(cString: strerror(e)))"
        if e == ENOSPC || e == EDQUOT { return AurumError(.diskFull, msg, kind: .resources) }
        return AurumError(.ioError, msg, kind: .io)
    }

    func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 {
            let e = errno
            if e == EEXIST { return }
            throw FileIO.error("create directory", path, errno: e)
        }
    }

    func makeDirectories(_ path: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        catch { throw AurumError(.ioError, "could not create directory \"\(path)\": \(error)", kind: .io) }
    }

    /// Writes a whole small file (created exclusively) and fsyncs it.
    func writeFile(_ path: String, _ bytes: [UInt8]) throws -> (size: Int, hash: UInt64) {
        let w = try FileWriter(path: path, io: self)
        try w.append(bytes)
        return try w.finish()
    }

    func fsyncDirectory(_ path: String) throws {
        guard fsyncEnabled else { return }
        try injector?.check(.fsync, path: path)
        if aurum_fsync_dir(path) != 0 { throw FileIO.error("fsync directory", path, errno: errno) }
    }

    func rename(_ from: String, _ to: String) throws {
        try injector?.check(.rename, path: to)
        if Glibc.rename(from, to) != 0 { throw FileIO.error("rename \"\(from)\" to", to, errno: errno) }
    }

    func link(_ from: String, _ to: String) throws {
        try injector?.check(.write, path: to)
        if Glibc.link(from, to) != 0 { throw FileIO.error("hard-link \"\(from)\" to", to, errno: errno) }
    }

    /// Best-effort recursive removal (cleanup paths; never throws). Skipped after a simulated crash.
    func removeTree(_ path: String) {
        if isDead { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileIO.error("open", path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw FileIO.error("stat", path, errno: errno) }
        let size = Int(st.st_size)
        var out = [UInt8](repeating: 0, count: size)
        let n = try out.withUnsafeMutableBytes { try preadFully(fd, $0.baseAddress!, size, 0, path: path) }
        if n != size { out.removeLast(size - n) }
        return out
    }

    /// Reads up to `count` bytes at `offset`; returns the number read (short only at EOF).
    static func preadFully(_ fd: Int32, _ buf: UnsafeMutableRawPointer, _ count: Int, _ offset: Int, path: String) throws -> Int {
        var done = 0
        while done < count {
            let r = pread(fd, buf + done, count - done, off_t(offset + done))
            if r < 0 {
                if errno == EINTR { continue }
                throw FileIO.error("read", path, errno: errno)
            }
            if r == 0 { break }
            done += r
        }
        return done
    }

    static func fileSize(_ path: String) -> Int? {
        var st = stat()
        if stat(path, &st) != 0 { return nil }
        return Int(st.st_size)
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func listDirectory(_ path: String) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: path).sorted() }
        catch { throw AurumError(.ioError, "could not list directory \"\(path)\": \(error)", kind: .io) }
    }
}

/// A buffered, exclusive-create file writer that hashes what it writes (XXH64 of the
/// whole file) and fsyncs on `finish`. Not thread-safe.
final class FileWriter {
    let path: String
    private let io: FileIO
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var hasher = XXHash64()
    private(set) var size = 0
    static let flushThreshold = 4 << 20

    init(path: String, io: FileIO) throws {
        self.path = path
        self.io = io
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileIO.error("create file", path, errno: errno) }
    }
    deinit { if fd >= 0 { close(fd) } }

    /// Appends bytes; the writer buffers up to 4 MiB before a write(2).
    func append(_ bytes: [UInt8]) throws {
        bytes.withUnsafeBytes { hasher.update($0) }
        size += bytes.count
        if buffer.isEmpty && bytes.count >= FileWriter.flushThreshold {
            try writeOut(bytes)
            return
        }
        buffer.append(contentsOf: bytes)
        if buffer.count >= FileWriter.flushThreshold { try flush() }
    }

    /// Takes the buffer the caller filled (avoids a copy) and writes it.
    func append(buffer other: inout [UInt8]) throws {
        try append(other)
        other.removeAll(keepingCapacity: true)
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try writeOut(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeOut(_ bytes: [UInt8]) throws {
        try io.injector?.check(.write, path: path)
        try bytes.withUnsafeBytes { b in
            var done = 0
            while done < b.count {
                let r = Glibc.write(fd, b.baseAddress! + done, b.count - done)
                if r < 0 {
                    if errno == EINTR { continue }
                    throw FileIO.error("write", path, errno: errno)
                }
                done += r
            }
        }
    }

    /// Flushes, fsyncs (if enabled) and closes. Returns the file's size and XXH64.
    func finish() throws -> (size: Int, hash: UInt64) {
        try flush()
        if io.fsyncEnabled {
            try io.injector?.check(.fsync, path: path)
            if fsync(fd) != 0 { throw FileIO.error("fsync", path, errno: errno) }
        }
        let r = close(fd)
        fd = -1
        if r != 0 { throw FileIO.error("close", path, errno: errno) }
        return (size, hasher.digest())
    }
}
