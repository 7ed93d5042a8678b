import AurumWire
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `aurum passwd`: turns a password read from standard input into the hash to store in the
/// configuration file (or AURUM_USERS), so the file never holds the password itself.
struct PasswdCommand: ContextualCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Make a password hash for the serve configuration (reads the password from standard input).",
        discussion: """
            Prints a users entry for the --config file and the AURUM_USERS form. The password is the \\
            first line of standard input; on a terminal it is asked for without echo. scram-sha-256 \\
            (default) makes a verifier with a random salt; md5 hashes password + user name, so \\
            --user matters.
            """
    )

    @Option(help: ArgumentHelp("The user name.", valueName: "name"))
    var user: String = "aurum"

    @Option(help: ArgumentHelp("scram-sha-256 or md5.", valueName: "method"))
    var method: String = "scram-sha-256"

    @Option(help: ArgumentHelp("SCRAM iteration count.", valueName: "n"))
    var iterations: Int = 4096

    mutating func validate() throws {
        guard method == "scram-sha-256" || method == "md5" else {
            throw ValidationError("--method must be scram-sha-256 or md5")
        }
        guard (1...10_000_000).contains(iterations) else { throw ValidationError("--iterations must be between 1 and 10000000") }
        guard !user.isEmpty, !user.contains(":"), !user.contains(","), !user.contains("\n") else {
            throw ValidationError("--user must be a non-empty name without ':', ',' or newlines")
        }
    }

    mutating func run() throws { try runWithStandardStreams() }

    func execute(in context: CLIContext) -> Int32 {
        let password: String
        if context.stdinIsTerminal {
            context.stderr.write("Password for \(user): ")
            context.stderr.flush()
            password = Self.readWithoutEcho()
            context.stderr.write("\n")
        } else {
            let all = context.readStandardInput()
            password = String(all.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        }
        guard !password.isEmpty else {
            context.stderr.write("ERROR: empty password\n")
            return 1
        }
        let hash = method == "md5"
            ? PGMD5.stored(password: password, user: user)
            : SCRAMVerifier.make(password: password, iterations: iterations).text
        context.stdout.write("""
            # for the serve configuration file (users:)
              - name: \(Self.yamlQuoted(user))
                password: "\(hash)"
            # or in the environment
            AURUM_USERS='\(user):\(hash)'

            """)
        return 0
    }

    static func yamlQuoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// One line from the terminal with echo off.
    static func readWithoutEcho() -> String {
        var old = termios()
        let haveTerminal = tcgetattr(STDIN_FILENO, &old) == 0
        if haveTerminal {
            var quiet = old
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        }
        defer { if haveTerminal { tcsetattr(STDIN_FILENO, TCSAFLUSH, &old) } }
        return readLine(strippingNewline: true) ?? ""
    }
}
