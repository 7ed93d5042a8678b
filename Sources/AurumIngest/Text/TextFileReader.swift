import AurumCore
import Foundation

/// Reads one input file front to back, decompressing `.gz`/`.zst` (by name or magic bytes)
/// through `StreamDecompressor`, into `buffer`, which the caller consumes from the front.
/// Not thread-safe; owned by the source's driver (the thread calling `next()`).
final class TextFileReader {
    let path: String
    let codec: CompressionCodec
    private var fd: Int32
    private var decompressor: StreamDecompressor?
    private var readBuffer: [UInt8]
    /// Decompressed bytes not yet handed out.
    var buffer: [UInt8] = []
    private(set) var eof = false
    /// File bytes read so far (compressed bytes for compressed files).
    private(set) var bytesRead: Int64 = 0
    static let readSize = 1 << 20

    init(path: String) throws {
        self.path = path
        let file = open(path, O_RDONLY)
        if file < 0 { throw AurumError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        // Sniff the first bytes for compression magic, then start over.
        var head = [UInt8](repeating: 0, count: 4)
        let n = head.withUnsafeMutableBytes { Foundation.read(file, $0.baseAddress, 4) }
        if n < 0 { let e = errno; close(file); throw AurumError.io("cannot read \(path): \(String(cString: strerror(e)))") }
        lseek(file, 0, SEEK_SET)
        let codec = CompressionCodec.detect(path: path, prefix: head[0..<max(0, n)])
        do {
            decompressor = codec != .none ? try StreamDecompressor(codec) : nil
        } catch {
            close(file)
            throw error
        }
        self.codec = codec
        fd = file
        readBuffer = [UInt8](repeating: 0, count: TextFileReader.readSize)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Appends the next piece of the file (decompressed) to `buffer`; false once the file is
    /// exhausted. Throws 58030 on read errors and 22P04 on corrupt compressed data.
    func readMore() throws -> Bool {
        if eof { return false }
        let n = readBuffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
        if n < 0 { throw AurumError.io("cannot read \(path): \(String(cString: strerror(errno)))") }
        if n == 0 {
            eof = true
            close(fd)
            fd = -1
            do { try decompressor?.finish() } catch let e as AurumError { throw located(e) }
            return false
        }
        bytesRead += Int64(n)
        if decompressor != nil {
            do {
                try readBuffer.withUnsafeBytes { try decompressor!.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n]), into: &buffer) }
            } catch let e as AurumError { throw located(e) }
        } else {
            buffer.append(contentsOf: readBuffer[0..<n])
        }
        return true
    }

    private func located(_ e: AurumError) -> AurumError {
        var e = e
        e.message = "\(path): \(e.message)"
        return e
    }

    /// Reads until `buffer` holds at least `count` bytes or the file ends.
    func fill(atLeast count: Int) throws {
        while buffer.count < count, try readMore() {}
    }
}
