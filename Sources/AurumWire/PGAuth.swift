import Crypto
import Foundation

// Password authentication for the PostgreSQL protocol: the methods, the stored forms of a
// password (plaintext, PostgreSQL's `md5<hex>` and SCRAM-SHA-256 verifiers), and the SCRAM
// server exchange (RFC 5802 / RFC 7677, without channel binding).

/// How clients prove who they are.
public enum PGAuthMethod: String, Sendable, CaseIterable {
    /// No password: every client gets in.
    case trust
    /// Cleartext password (AuthenticationCleartextPassword): only sensible over TLS.
    case password
    /// PostgreSQL's MD5 challenge: md5(md5(password + user) + salt).
    case md5
    /// SCRAM-SHA-256 (the PostgreSQL default since 14).
    case scramSHA256 = "scram-sha-256"
}

/// A password as the server stores it.
public enum PGStoredPassword: Sendable, Equatable {
    /// The password itself (only when the configuration says so explicitly).
    case plaintext(String)
    /// `md5` followed by 32 hex digits: md5(password + user name), as PostgreSQL stores it.
    case md5(String)
    /// A SCRAM-SHA-256 verifier.
    case scram(SCRAMVerifier)

    /// Parses a stored hash: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` or
    /// `md5<32 hex digits>`. Returns nil for anything else.
    public static func parseHash(_ text: String) -> PGStoredPassword? {
        if text.hasPrefix("SCRAM-SHA-256$") {
            return SCRAMVerifier(text).map { .scram($0) }
        }
        if text.count == 35, text.hasPrefix("md5"),
           text.dropFirst(3).allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
            return .md5(text)
        }
        return nil
    }
}

/// A SCRAM-SHA-256 verifier: what the server keeps instead of the password.
public struct SCRAMVerifier: Sendable, Equatable {
    public var iterations: Int
    public var salt: [UInt8]
    public var storedKey: [UInt8]
    public var serverKey: [UInt8]

    public init(iterations: Int, salt: [UInt8], storedKey: [UInt8], serverKey: [UInt8]) {
        self.iterations = iterations
        self.salt = salt
        self.storedKey = storedKey
        self.serverKey = serverKey
    }

    /// Parses PostgreSQL's text form `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`
    /// (salt and keys in base64).
    public init?(_ text: String) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "SCRAM-SHA-256" else { return nil }
        let a = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        let b = parts[2].split(separator: ":", omittingEmptySubsequences: false)
        guard a.count == 2, b.count == 2, let iterations = Int(a[0]), iterations > 0, iterations <= 10_000_000,
              let salt = Data(base64Encoded: String(a[1])), !salt.isEmpty,
              let stored = Data(base64Encoded: String(b[0])), stored.count == 32,
              let server = Data(base64Encoded: String(b[1])), server.count == 32
        else { return nil }
        self.init(iterations: iterations, salt: Array(salt), storedKey: Array(stored), serverKey: Array(server))
    }

    /// Computes the verifier of `password` (a fresh random 16-byte salt unless one is given).
    public static func make(password: String, salt: [UInt8]? = nil, iterations: Int = 4096) -> SCRAMVerifier {
        let salt = salt ?? (0..<16).map { _ in UInt8.random(in: 0...255) }
        let salted = SCRAM.saltedPassword(password, salt: salt, iterations: iterations)
        let clientKey = SCRAM.hmac(salted, Array("Client Key".utf8))
        return SCRAMVerifier(iterations: iterations, salt: salt, storedKey: SCRAM.sha256(clientKey),
                             serverKey: SCRAM.hmac(salted, Array("Server Key".utf8)))
    }

    /// PostgreSQL's text form.
    public var text: String {
        "SCRAM-SHA-256$\(iterations):\(Data(salt).base64EncodedString())$"
            + "\(Data(storedKey).base64EncodedString()):\(Data(serverKey).base64EncodedString())"
    }

    /// Whether `password` is the one this verifier was made from.
    public func matches(password: String) -> Bool {
        let salted = SCRAM.saltedPassword(password, salt: salt, iterations: iterations)
        let clientKey = SCRAM.hmac(salted, Array("Client Key".utf8))
        return SCRAM.constantTimeEqual(SCRAM.sha256(clientKey), storedKey)
    }
}

/// PostgreSQL's MD5 password hashes.
public enum PGMD5 {
    /// `md5` + hex(md5(password + user)): the stored form.
    public static func stored(password: String, user: String) -> String {
        "md5" + hex(Insecure.MD5.hash(data: Array(password.utf8) + Array(user.utf8)))
    }

    /// What the client answers to an MD5 challenge: `md5` + hex(md5(hex-part-of-stored + salt)).
    public static func response(stored: String, salt: [UInt8]) -> String {
        "md5" + hex(Insecure.MD5.hash(data: Array(stored.dropFirst(3).utf8) + salt))
    }

    static func hex<D: Sequence>(_ d: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in d { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// SCRAM-SHA-256 primitives and the server side of one exchange.
public enum SCRAM {
    public static let mechanism = "SCRAM-SHA-256"

    static func hmac(_ key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    static func sha256(_ data: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: data)) }

    /// Hi(password, salt, i) of RFC 5802: PBKDF2 with HMAC-SHA-256, one 32-byte block, over
    /// the SASLprep form of the password (as libpq and PostgreSQL compute it).
    static func saltedPassword(_ password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        let base = HMAC<SHA256>(key: SymmetricKey(data: Array(saslPrep(password).utf8)))
        var mac = base
        mac.update(data: salt + [0, 0, 0, 1])
        var u = Array(mac.finalize())
        var result = u
        if iterations > 1 {
            for _ in 1..<iterations {
                var m = base
                m.update(data: u)
                u = Array(m.finalize())
                for j in 0..<result.count { result[j] ^= u[j] }
            }
        }
        return result
    }

    /// SASLprep (RFC 4013) as PostgreSQL applies it to SCRAM passwords: ASCII passwords are
    /// used as they are; others have non-ASCII spaces mapped to a space, the characters
    /// "commonly mapped to nothing" removed, and NFKC applied. A password that then holds a
    /// prohibited character (controls, private use, non-characters, format and tagging
    /// characters) is used unchanged, as PostgreSQL does. The bidirectional-text rule is
    /// not checked.
    public static func saslPrep(_ password: String) -> String {
        if password.utf8.allSatisfy({ $0 < 0x80 }) { return password }
        var mapped = String.UnicodeScalarView()
        for u in password.unicodeScalars {
            let v = u.value
            if v == 0xA0 || v == 0x1680 || (0x2000...0x200B).contains(v) || v == 0x202F || v == 0x205F || v == 0x3000 {
                mapped.append(" ")
            } else if v == 0xAD || v == 0x34F || v == 0x1806 || (0x180B...0x180D).contains(v) || (0x200C...0x200D).contains(v)
                        || v == 0x2060 || (0xFE00...0xFE0F).contains(v) || v == 0xFEFF {
                continue
            } else {
                mapped.append(u)
            }
        }
        let normalized = String(mapped).precomposedStringWithCompatibilityMapping
        for u in normalized.unicodeScalars {
            let v = u.value
            let prohibited = v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v)
                || (0xE000...0xF8FF).contains(v) || (0xF0000...0xFFFFD).contains(v) || (0x100000...0x10FFFD).contains(v)
                || (0xFDD0...0xFDEF).contains(v) || (v & 0xFFFE) == 0xFFFE
                || (0x200E...0x200F).contains(v) || (0x202A...0x202E).contains(v) || (0x206A...0x206F).contains(v)
                || (0xFFF9...0xFFFD).contains(v) || (0x2FF0...0x2FFB).contains(v) || (0xE0001...0xE007F).contains(v)
                || v == 0x340 || v == 0x341 || v == 0x6DD || v == 0x70F || v == 0x180E || (0x2028...0x2029).contains(v)
                || (0x2061...0x2063).contains(v) || (0x1D173...0x1D17A).contains(v)
                || !u.properties.generalCategory.isAssigned
            if prohibited || normalized.isEmpty { return password }
        }
        return normalized
    }

    /// Compares in time that depends only on the lengths.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return diff == 0
    }

    /// Why an exchange failed: a malformed message (protocol violation) or a wrong proof.
    enum Failure: Error, Equatable {
        case malformed(String)
        case wrongProof
    }

    /// The server's state during one SCRAM exchange.
    struct ServerExchange {
        let verifier: SCRAMVerifier
        /// False when the user is unknown or cannot use SCRAM: the exchange runs to the end and fails.
        let genuine: Bool
        private(set) var clientFirstBare = ""
        private(set) var serverFirst = ""
        private(set) var gs2Header = ""
        private(set) var nonce = ""
        /// The server's part of the nonce (random unless a test fixes it).
        private let serverNonce: String

        init(verifier: SCRAMVerifier, genuine: Bool, serverNonce: String? = nil) {
            self.verifier = verifier
            self.genuine = genuine
            self.serverNonce = serverNonce ?? Data((0..<18).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        }

        /// Handles client-first-message; returns server-first-message.
        mutating func clientFirst(_ data: [UInt8]) throws(Failure) -> [UInt8] {
            let text = String(decoding: data, as: UTF8.self)
            // gs2-header: cbind-flag "," [authzid] ","
            let fields = text.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { throw .malformed("malformed SCRAM message") }
            switch fields[0] {
            case "n", "y": break
            default:
                if fields[0].hasPrefix("p=") {
                    throw .malformed("channel binding is not supported (SCRAM-SHA-256-PLUS was not offered)")
                }
                throw .malformed("malformed SCRAM message: unexpected channel-binding flag")
            }
            guard fields[1].isEmpty else { throw .malformed("client uses authorization identity, but it is not supported") }
            gs2Header = "\(fields[0]),,"
            clientFirstBare = String(fields[2])
            var clientNonce: Substring?
            for (i, attr) in clientFirstBare.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
                if i == 0 {
                    if attr.hasPrefix("m=") { throw .malformed("SCRAM extensions are not supported") }
                    guard attr.hasPrefix("n=") else { throw .malformed("malformed SCRAM message: expected n=") }
                } else if i == 1 {
                    guard attr.hasPrefix("r="), attr.count > 2 else { throw .malformed("malformed SCRAM message: expected r=") }
                    clientNonce = attr.dropFirst(2)
                }
            }
            guard let clientNonce, clientNonce.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7e && $0 != UInt8(ascii: ",") }) else {
                throw .malformed("malformed SCRAM message: invalid nonce")
            }
            nonce = String(clientNonce) + serverNonce
            serverFirst = "r=\(nonce),s=\(Data(verifier.salt).base64EncodedString()),i=\(verifier.iterations)"
            return Array(serverFirst.utf8)
        }

        /// Handles client-final-message; returns server-final-message (`v=` signature) when the
        /// proof is right.
        func clientFinal(_ data: [UInt8]) throws(Failure) -> [UInt8] {
            let text = String(decoding: data, as: UTF8.self)
            guard let proofRange = text.range(of: ",p=", options: .backwards) else {
                throw .malformed("malformed SCRAM message: missing proof")
            }
            let withoutProof = String(text[..<proofRange.lowerBound])
            let attrs = withoutProof.split(separator: ",", omittingEmptySubsequences: false)
            guard attrs.count >= 2, attrs[0].hasPrefix("c="), attrs[1].hasPrefix("r=") else {
                throw .malformed("malformed SCRAM message: expected c= and r=")
            }
            guard let binding = Data(base64Encoded: String(attrs[0].dropFirst(2))),
                  Array(binding) == Array(gs2Header.utf8) else {
                throw .malformed("SCRAM channel binding check failed")
            }
            guard attrs[1].dropFirst(2) == nonce else { throw .malformed("SCRAM nonce mismatch") }
            guard let proof = Data(base64Encoded: String(text[proofRange.upperBound...])), proof.count == 32 else {
                throw .malformed("malformed SCRAM proof")
            }
            let authMessage = Array("\(clientFirstBare),\(serverFirst),\(withoutProof)".utf8)
            let clientSignature = SCRAM.hmac(verifier.storedKey, authMessage)
            let clientKey = zip(Array(proof), clientSignature).map { $0 ^ $1 }
            let ok = SCRAM.constantTimeEqual(SCRAM.sha256(clientKey), verifier.storedKey)
            guard ok && genuine else { throw .wrongProof }
            let serverSignature = SCRAM.hmac(verifier.serverKey, authMessage)
            return Array("v=\(Data(serverSignature).base64EncodedString())".utf8)
        }
    }
}

/// Who may connect and how they authenticate.
public struct PGAuthentication: Sendable {
    /// The method every client must use.
    public var method: PGAuthMethod
    /// Users by name.
    public var users: [String: PGStoredPassword]
    /// One password that any user name may use (the `AURUM_PASSWORD` environment variable).
    public var sharedPassword: String?

    public init(method: PGAuthMethod, users: [String: PGStoredPassword] = [:], sharedPassword: String? = nil) {
        self.method = method
        self.users = users
        self.sharedPassword = sharedPassword
    }

    /// Trust: no passwords.
    public static let trust = PGAuthentication(method: .trust)

    /// Whether any password is configured (a non-loopback bind needs one).
    public var hasPasswords: Bool { method != .trust && (!users.isEmpty || sharedPassword != nil) }

    /// The stored password of `user`, if the user is known.
    func stored(for user: String) -> PGStoredPassword? {
        if let s = users[user] { return s }
        if let p = sharedPassword { return .plaintext(p) }
        return nil
    }

    /// Parses `AURUM_USERS`: entries `name:hash` separated by commas or newlines, where hash
    /// is a SCRAM verifier or an md5 hash (never a plaintext password).
    public static func parseUserList(_ text: String) throws -> [String: PGStoredPassword] {
        var out: [String: PGStoredPassword] = [:]
        for raw in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            let entry = raw.trimmingCharacters(in: .whitespaces)
            if entry.isEmpty { continue }
            guard let colon = entry.firstIndex(of: ":"), colon != entry.startIndex else {
                throw PGAuthConfigError("user entry \"\(entry.prefix(40))\" is not name:hash")
            }
            let name = String(entry[..<colon])
            guard let hash = PGStoredPassword.parseHash(String(entry[entry.index(after: colon)...])) else {
                throw PGAuthConfigError("the password of user \"\(name)\" is neither a SCRAM-SHA-256 verifier nor an md5 hash (make one with `aurum passwd`)")
            }
            out[name] = hash
        }
        return out
    }
}

/// A configuration mistake about users or passwords.
public struct PGAuthConfigError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Per-server secret material for answering unknown users exactly like known ones.
struct PGAuthSecrets: Sendable {
    let key: [UInt8] = (0..<32).map { _ in UInt8.random(in: 0...255) }
    /// Verifiers of shared/plaintext passwords, made once (their salt is random per server).
    let plaintextVerifiers: [String: SCRAMVerifier]

    init(_ auth: PGAuthentication) {
        var v: [String: SCRAMVerifier] = [:]
        if auth.method == .scramSHA256 {
            if let p = auth.sharedPassword { v[p] = SCRAMVerifier.make(password: p) }
            for case .plaintext(let p) in auth.users.values where v[p] == nil { v[p] = SCRAMVerifier.make(password: p) }
        }
        plaintextVerifiers = v
    }

    /// A verifier for a user that cannot succeed: salt and keys derived from the user name and
    /// the server's secret, so repeated attempts see the same salt, as for a real user.
    func fakeVerifier(user: String) -> SCRAMVerifier {
        let salt = Array(SCRAM.hmac(key, Array(("salt:" + user).utf8)).prefix(16))
        return SCRAMVerifier(iterations: 4096, salt: salt,
                             storedKey: SCRAM.hmac(key, Array(("stored:" + user).utf8)),
                             serverKey: SCRAM.hmac(key, Array(("server:" + user).utf8)))
    }
}

extension Unicode.GeneralCategory {
    /// False for unassigned code points (RFC 4013 prohibits them in stored strings).
    var isAssigned: Bool { self != .unassigned }
}
