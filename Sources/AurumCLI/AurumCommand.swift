import ArgumentParser

/// The `aurum` command line: `aurum <subcommand> ...`.
///
/// Subcommands live in this library (not in the executable) so tests run them in-process
/// through `CLI.run(arguments:stdin:stdoutIsTerminal:)`. The executable only calls
/// `AurumCommand.main()`.
public struct AurumCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "aurum",
        abstract: "Aurum: an analytical database for the Gold layer of a data platform.",
        discussion: """
            The data directory (--data, default ./aurum-data) holds the catalog and the \
            tables; one process at a time may open it.
            """,
        version: "0.1.0-dev",
        subcommands: [QueryCommand.self, LoadCommand.self, IngestCommand.self, ServeCommand.self, DemoCommand.self, BenchCommand.self, InsertLoopCommand.self, PasswdCommand.self]
    )

    public init() {}
}

/// `--data DIR`, shared by every subcommand that opens a database.
public struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data directory (created if missing).", valueName: "dir"))
    public var data: String = "./aurum-data"

    public init() {}
}

/// A subcommand whose body reads and writes through a `CLIContext`, so tests can run it
/// without a subprocess. It returns the process exit status instead of exiting.
protocol ContextualCommand: ParsableCommand {
    func execute(in context: CLIContext) -> Int32
}

extension ContextualCommand {
    /// `run()` for the real process: standard streams, then exit with the status.
    func runWithStandardStreams() throws {
        let context = CLIContext.standard()
        let status = execute(in: context)
        context.flush()
        if status != 0 { throw ExitCode(status) }
    }
}

/// The outcome of an in-process CLI run.
public struct CLIResult: Sendable, Equatable {
    public var exitCode: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs the CLI in-process with captured output (for tests and embedding).
public enum CLI {
    /// Parses `arguments` (without the program name) and runs the subcommand.
    ///
    /// - Parameters:
    ///   - stdin: what the command reads as standard input.
    ///   - stdoutIsTerminal: pretend stdout is a terminal (selects the `table` default format).
    public static func run(arguments: [String], stdin: String = "", stdoutIsTerminal: Bool = false) -> CLIResult {
        let out = TextOutput(), err = TextOutput()
        let context = CLIContext(
            readStandardInput: { stdin }, stdinIsTerminal: false,
            stdout: out, stderr: err, stdoutIsTerminal: stdoutIsTerminal)
        var status: Int32
        do {
            var command = try AurumCommand.parseAsRoot(arguments)
            if let contextual = command as? any ContextualCommand {
                status = contextual.execute(in: context)
            } else {
                try command.run()
                status = 0
            }
        } catch {
            let message = AurumCommand.fullMessage(for: error)
            let code = AurumCommand.exitCode(for: error)
            if !message.isEmpty { (code == .success ? out : err).write(message + "\n") }
            status = code.rawValue
        }
        return CLIResult(exitCode: status, stdout: out.captured, stderr: err.captured)
    }
}
