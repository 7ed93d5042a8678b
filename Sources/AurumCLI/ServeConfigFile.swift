import AurumWire
import Foundation
import Yams

/// `aurum serve --config FILE`: the YAML configuration file. Every key is optional; flags on
/// the command line override it. Relative paths are relative to the file's directory.
public struct ServeConfigFile: Sendable, Equatable {
    public var data: String?
    public var host: String?
    public var port: Int?
    /// nil: not set; `.some(nil)`: disabled (`http_port: off`).
    public var httpPort: Int??
    public var tlsCert: String?
    public var tlsKey: String?
    public var tlsRequire: PGTLSConfiguration.Requirement?
    public var authMethod: PGAuthMethod?
    public var users: [String: PGStoredPassword] = [:]
    public var allowRemoteWithoutPassword: Bool?
    public var shutdownTimeout: Double?
    public var queryThreads: Int?

    public init() {}

    /// The keys a file may hold.
    public static let keys = ["data", "host", "port", "http_port", "tls_cert", "tls_key", "tls_require", "auth_method",
                              "users", "allow_remote_without_password", "shutdown_timeout", "query_threads"]

    /// A mistake in the file: names the file, line and key.
    public struct Error: Swift.Error, Sendable, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// Reads and parses `path`.
    public static func load(path: String) throws -> ServeConfigFile {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Error(description: "cannot read the configuration file \(path): \(error.localizedDescription)")
        }
        let dir = (URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path)
        return try parse(text, file: path, baseDirectory: dir)
    }

    /// Parses YAML text. `file` only names the source in errors.
    public static func parse(_ text: String, file: String = "config", baseDirectory: String? = nil) throws -> ServeConfigFile {
        func fail(_ line: Int?, _ key: String?, _ message: String) -> Error {
            var d = file
            if let line { d += ":\(line)" }
            d += ": "
            if let key { d += "\(key): " }
            return Error(description: d + message)
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let e as YamlError {
            throw fail(nil, nil, "invalid YAML: \(e)")
        } catch {
            throw fail(nil, nil, "invalid YAML: \(error)")
        }
        var c = ServeConfigFile()
        guard let root else { return c }
        guard let mapping = root.mapping else {
            throw fail(root.mark.map { $0.line }, nil, "the file must be a mapping of keys to values")
        }
        func line(_ n: Node) -> Int? { n.mark.map { $0.line } }
        func scalar(_ key: String, _ n: Node) throws -> String {
            guard let s = n.scalar?.string else { throw fail(line(n), key, "expected a single value") }
            return s
        }
        func int(_ key: String, _ n: Node, _ range: ClosedRange<Int>) throws -> Int {
            guard let v = Int(try scalar(key, n)), range.contains(v) else {
                throw fail(line(n), key, "expected an integer between \(range.lowerBound) and \(range.upperBound), got \"\(n.scalar?.string ?? "")\"")
            }
            return v
        }
        func bool(_ key: String, _ n: Node) throws -> Bool {
            switch try scalar(key, n).lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: throw fail(line(n), key, "expected true or false, got \"\(n.scalar?.string ?? "")\"")
            }
        }
        func path(_ key: String, _ n: Node) throws -> String {
            let p = try scalar(key, n)
            guard !p.isEmpty else { throw fail(line(n), key, "expected a path") }
            if p.hasPrefix("/") || baseDirectory == nil { return p }
            return baseDirectory! + "/" + p
        }
        var seen: Set<String> = []
        for (k, v) in mapping {
            guard let key = k.scalar?.string else { throw fail(line(k), nil, "keys must be plain names") }
            guard keys.contains(key) else {
                throw fail(line(k), key, "unknown key (known keys: \(keys.joined(separator: ", ")))")
            }
            guard seen.insert(key).inserted else { throw fail(line(k), key, "duplicate key") }
            switch key {
            case "data": c.data = try path(key, v)
            case "host":
                let h = try scalar(key, v)
                guard !h.isEmpty else { throw fail(line(v), key, "expected an address") }
                c.host = h
            case "port": c.port = try int(key, v, 0...65535)
            case "http_port":
                let s = try scalar(key, v).lowercased()
                c.httpPort = (s == "off" || s == "false" || s == "no") ? .some(nil) : .some(try int(key, v, 0...65535))
            case "tls_cert": c.tlsCert = try path(key, v)
            case "tls_key": c.tlsKey = try path(key, v)
            case "tls_require":
                guard let r = PGTLSConfiguration.Requirement(rawValue: try scalar(key, v)) else {
                    throw fail(line(v), key, "expected one of \(PGTLSConfiguration.Requirement.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                c.tlsRequire = r
            case "auth_method":
                guard let m = PGAuthMethod(rawValue: try scalar(key, v)) else {
                    throw fail(line(v), key, "expected one of \(PGAuthMethod.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                c.authMethod = m
            case "allow_remote_without_password": c.allowRemoteWithoutPassword = try bool(key, v)
            case "shutdown_timeout":
                guard let d = Double(try scalar(key, v)), d >= 0, d.isFinite else {
                    throw fail(line(v), key, "expected a number of seconds (0 or more)")
                }
                c.shutdownTimeout = d
            case "query_threads": c.queryThreads = try int(key, v, 1...4096)
            case "users":
                guard let list = v.sequence else {
                    throw fail(line(v), key, "expected a list of users, each with name and password")
                }
                for u in list {
                    guard let m = u.mapping else { throw fail(line(u), key, "each user is a mapping with name and password") }
                    var name: String?
                    var secret: PGStoredPassword?
                    for (uk, uv) in m {
                        let field = uk.scalar?.string ?? ""
                        switch field {
                        case "name":
                            name = try scalar("users.name", uv)
                        case "password":
                            guard secret == nil else { throw fail(line(uk), "users.password", "a user has one password") }
                            guard let h = PGStoredPassword.parseHash(try scalar("users.password", uv)) else {
                                throw fail(line(uv), "users.password",
                                           "not a SCRAM-SHA-256 verifier or md5 hash (make one with `aurum passwd`; a plaintext password goes in plaintext_password)")
                            }
                            secret = h
                        case "plaintext_password":
                            guard secret == nil else { throw fail(line(uk), "users.plaintext_password", "a user has one password") }
                            secret = .plaintext(try scalar("users.plaintext_password", uv))
                        default:
                            throw fail(line(uk), "users.\(field)", "unknown key (known: name, password, plaintext_password)")
                        }
                    }
                    guard let name, !name.isEmpty else { throw fail(line(u), key, "a user needs a name") }
                    guard let secret else { throw fail(line(u), key, "user \"\(name)\" needs password or plaintext_password") }
                    guard c.users[name] == nil else { throw fail(line(u), key, "user \"\(name)\" is listed twice") }
                    c.users[name] = secret
                }
            default: break
            }
        }
        if (c.tlsCert == nil) != (c.tlsKey == nil) {
            throw fail(nil, c.tlsCert == nil ? "tls_key" : "tls_cert", "tls_cert and tls_key go together")
        }
        return c
    }
}
