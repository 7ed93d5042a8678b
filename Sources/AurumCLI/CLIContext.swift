#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// Where a command reads its input and writes its output.
///
/// The real process uses `CLIContext.standard()` (file descriptors 0, 1 and 2); tests use
/// `CLI.run(arguments:stdin:stdoutIsTerminal:)`, which captures both streams in memory, so no
/// subprocess is needed to test a command. Not thread-safe: one command runs at a time.
public final class CLIContext {
    /// Returns all of standard input as text (called at most once, and only when needed).
    let readStandardInput: () -> String
    /// Whether a person is likely reading standard input as they type (affects a prompt only).
    let stdinIsTerminal: Bool
    let stdout: TextOutput
    let stderr: TextOutput
    /// Whether stdout is a terminal: chooses the default output format (`table` vs `tsv`).
    let stdoutIsTerminal: Bool
    /// Whether stderr is a terminal: long commands draw a progress bar there.
    let stderrIsTerminal: Bool

    init(readStandardInput: @escaping () -> String, stdinIsTerminal: Bool,
         stdout: TextOutput, stderr: TextOutput, stdoutIsTerminal: Bool, stderrIsTerminal: Bool = false) {
        self.stderrIsTerminal = stderrIsTerminal
        self.readStandardInput = readStandardInput
        self.stdinIsTerminal = stdinIsTerminal
        self.stdout = stdout
        self.stderr = stderr
        self.stdoutIsTerminal = stdoutIsTerminal
    }

    /// The process's own standard streams.
    static func standard() -> CLIContext {
        CLIContext(
            readStandardInput: { readAll(fd: STDIN_FILENO) },
            stdinIsTerminal: isatty(STDIN_FILENO) == 1,
            stdout: TextOutput(fd: STDOUT_FILENO),
            stderr: TextOutput(fd: STDERR_FILENO),
            stdoutIsTerminal: isatty(STDOUT_FILENO) == 1,
            stderrIsTerminal: isatty(STDERR_FILENO) == 1)
    }

    func flush() {
        stdout.flush()
        stderr.flush()
    }

    static func readAll(fd: Int32) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                bytes.append(contentsOf: chunk[0..<n])
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A buffered text sink: a file descriptor, or memory (for tests).
///
/// Output to a descriptor is buffered (64 KiB) and written with `write(2)`; call `flush()`
/// before the process exits. A closed pipe (EPIPE) silently drops the rest, as `head` users
/// expect.
public final class TextOutput {
    private let fd: Int32?
    private var buffer: [UInt8] = []
    private var broken = false
    /// Everything written, for an in-memory output.
    public private(set) var captured = ""

    /// An output writing to `fd`.
    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(1 << 16)
    }

    /// An in-memory output.
    init() { fd = nil }

    func write(_ text: String) {
        guard fd != nil else {
            captured += text
            return
        }
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard let fd, !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        if broken { return }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    broken = true
                    return
                }
            }
        }
    }
}
