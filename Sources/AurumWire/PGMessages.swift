import AurumCore
import NIOCore

// PostgreSQL frontend/backend protocol 3.0: message framing.
//
// Every message after the startup phase is a type byte, a big-endian Int32 length that
// counts itself but not the type byte, and the body. The first message of a connection
// (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest) has no type byte: its length is
// followed by an Int32 request code.

/// The request codes of the untyped first messages.
enum PGRequestCode {
    /// Protocol 3.0 (major 3 in the high 16 bits, minor 0 in the low 16).
    static let protocol3: Int32 = 196_608
    static let sslRequest: Int32 = 80_877_103
    static let gssEncRequest: Int32 = 80_877_104
    static let cancelRequest: Int32 = 80_877_102
}

/// A message from the client.
enum PGFrontendMessage: Equatable, Sendable {
    /// StartupMessage: the protocol version and the `name=value` parameters.
    case startup(protocolVersion: Int32, parameters: [(String, String)])
    case sslRequest
    case gssEncRequest
    /// CancelRequest: the key the server gave in BackendKeyData.
    case cancelRequest(processID: Int32, secretKey: Int32)
    /// `p`: PasswordMessage, SASLInitialResponse or SASLResponse: the raw body, whose meaning
    /// depends on the authentication step.
    case password([UInt8])
    /// `Q`: simple query.
    case query(String)
    /// `X`: terminate.
    case terminate
    /// `S`: sync (ends an extended-query cycle).
    case sync
    /// `H`: flush.
    case flush
    /// `P`: Parse (statement name, query, declared parameter type OIDs, 0 = unspecified).
    case parse(name: String, query: String, parameterTypes: [UInt32])
    /// `B`: Bind.
    case bind(PGBind)
    /// `D`: Describe a statement (`S`) or portal (`P`).
    case describe(kind: UInt8, name: String)
    /// `E`: Execute a portal, at most `maxRows` rows (0: all).
    case execute(portal: String, maxRows: Int32)
    /// `C`: Close a statement (`S`) or portal (`P`).
    case close(kind: UInt8, name: String)
    /// `F`: FunctionCall (not supported).
    case functionCall
    /// `d`: CopyData (ignored outside COPY, as PostgreSQL does).
    case copyData([UInt8])
    /// `c`: CopyDone.
    case copyDone
    /// `f`: CopyFail with the client's message.
    case copyFail(String)

    static func == (a: PGFrontendMessage, b: PGFrontendMessage) -> Bool {
        switch (a, b) {
        case let (.startup(v1, p1), .startup(v2, p2)):
            return v1 == v2 && p1.map { $0.0 } == p2.map { $0.0 } && p1.map { $0.1 } == p2.map { $0.1 }
        case (.sslRequest, .sslRequest), (.gssEncRequest, .gssEncRequest), (.terminate, .terminate),
             (.sync, .sync), (.flush, .flush), (.copyDone, .copyDone):
            return true
        case let (.copyData(x), .copyData(y)): return x == y
        case let (.copyFail(x), .copyFail(y)): return x == y
        case let (.cancelRequest(p1, s1), .cancelRequest(p2, s2)): return p1 == p2 && s1 == s2
        case let (.password(x), .password(y)): return x == y
        case let (.query(x), .query(y)): return x == y
        case let (.parse(n1, q1, t1), .parse(n2, q2, t2)): return n1 == n2 && q1 == q2 && t1 == t2
        case let (.bind(x), .bind(y)): return x == y
        case let (.describe(k1, n1), .describe(k2, n2)), let (.close(k1, n1), .close(k2, n2)): return k1 == k2 && n1 == n2
        case let (.execute(p1, m1), .execute(p2, m2)): return p1 == p2 && m1 == m2
        case (.functionCall, .functionCall): return true
        default: return false
        }
    }
}

/// A Bind message.
struct PGBind: Equatable, Sendable {
    var portal: String
    var statement: String
    /// Parameter format codes: none (all text), one (for all), or one per parameter.
    var parameterFormats: [Int16]
    /// Parameter values; nil is NULL.
    var parameters: [[UInt8]?]
    /// Result column format codes: none (all text), one (for all), or one per column.
    var resultFormats: [Int16]
}

/// A framing error: the connection cannot continue (answered with FATAL, then closed).
struct PGProtocolError: Error, Sendable {
    var code: SQLState
    var message: String
    init(_ message: String, code: SQLState = .protocolViolation) {
        self.code = code
        self.message = message
    }
}

/// Splits the inbound byte stream into frontend messages.
///
/// It starts in the startup phase (untyped messages); after a StartupMessage it reads typed
/// messages. SSLRequest and GSSENCRequest keep it in the startup phase: the client sends the
/// real StartupMessage after the server's 'N'.
struct PGMessageDecoder: ByteToMessageDecoder {
    typealias InboundOut = PGFrontendMessage

    /// PostgreSQL's limit for the startup packet (MAX_STARTUP_PACKET_LENGTH).
    static let maxStartupLength = 10_000
    /// The largest typed message accepted (PostgreSQL's MaxAllocSize is 1 GiB too).
    static let maxMessageLength = 1 << 30

    private(set) var inStartupPhase = true

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if inStartupPhase { return try decodeStartup(buffer: &buffer, context: context) }
        return try decodeTyped(buffer: &buffer, context: context)
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial message at EOF is dropped: the client went away.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }

    private mutating func decodeStartup(buffer: inout ByteBuffer, context: ChannelHandlerContext) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return .needMoreData }
        guard length >= 8, Int(length) <= Self.maxStartupLength else {
            throw PGProtocolError("invalid length of startup packet")
        }
        guard buffer.readableBytes >= Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        guard var body = buffer.readSlice(length: Int(length) - 4), let code = body.readInteger(as: Int32.self) else {
            throw PGProtocolError("invalid length of startup packet")
        }
        switch code {
        case PGRequestCode.sslRequest:
            context.fireChannelRead(Self.wrapInboundOut(.sslRequest))
        case PGRequestCode.gssEncRequest:
            context.fireChannelRead(Self.wrapInboundOut(.gssEncRequest))
        case PGRequestCode.cancelRequest:
            guard let pid = body.readInteger(as: Int32.self), let key = body.readInteger(as: Int32.self) else {
                throw PGProtocolError("invalid length of cancel request")
            }
            context.fireChannelRead(Self.wrapInboundOut(.cancelRequest(processID: pid, secretKey: key)))
        default:
            // A StartupMessage: name/value C strings ending with an empty name.
            var parameters: [(String, String)] = []
            if code >> 16 == 3 {
                while let name = body.readNullTerminatedString(), !name.isEmpty {
                    guard let value = body.readNullTerminatedString() else {
                        throw PGProtocolError("invalid startup packet layout: expected terminator as last byte")
                    }
                    parameters.append((name, value))
                }
            }
            inStartupPhase = false
            context.fireChannelRead(Self.wrapInboundOut(.startup(protocolVersion: code, parameters: parameters)))
        }
        return .continue
    }

    private mutating func decodeTyped(buffer: inout ByteBuffer, context: ChannelHandlerContext) throws -> DecodingState {
        guard buffer.readableBytes >= 5,
              let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let length = buffer.getInteger(at: buffer.readerIndex + 1, as: Int32.self)
        else { return .needMoreData }
        guard length >= 4, Int(length) <= Self.maxMessageLength else {
            throw PGProtocolError("invalid message length \(length)")
        }
        guard buffer.readableBytes >= Int(length) + 1 else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 5)
        var body = buffer.readSlice(length: Int(length) - 4)!
        let message: PGFrontendMessage
        switch type {
        case UInt8(ascii: "Q"):
            guard let sql = body.readNullTerminatedString() else {
                throw PGProtocolError("invalid string in message")
            }
            message = .query(sql)
        case UInt8(ascii: "p"):
            message = .password(body.readBytes(length: body.readableBytes) ?? [])
        case UInt8(ascii: "X"): message = .terminate
        case UInt8(ascii: "S"): message = .sync
        case UInt8(ascii: "H"): message = .flush
        case UInt8(ascii: "P"):
            guard let name = body.readNullTerminatedString(), let query = body.readNullTerminatedString(),
                  let n = body.readInteger(as: UInt16.self) else { throw PGProtocolError("invalid Parse message") }
            var types: [UInt32] = []
            for _ in 0..<n {
                guard let t = body.readInteger(as: UInt32.self) else { throw PGProtocolError("invalid Parse message") }
                types.append(t)
            }
            message = .parse(name: name, query: query, parameterTypes: types)
        case UInt8(ascii: "B"):
            message = .bind(try Self.decodeBind(&body))
        case UInt8(ascii: "D"), UInt8(ascii: "C"):
            guard let kind = body.readInteger(as: UInt8.self), let name = body.readNullTerminatedString() else {
                throw PGProtocolError("invalid \(type == UInt8(ascii: "D") ? "Describe" : "Close") message")
            }
            guard kind == UInt8(ascii: "S") || kind == UInt8(ascii: "P") else {
                throw PGProtocolError("invalid \(type == UInt8(ascii: "D") ? "DESCRIBE" : "CLOSE") message subtype \(kind)")
            }
            message = type == UInt8(ascii: "D") ? .describe(kind: kind, name: name) : .close(kind: kind, name: name)
        case UInt8(ascii: "E"):
            guard let portal = body.readNullTerminatedString(), let maxRows = body.readInteger(as: Int32.self) else {
                throw PGProtocolError("invalid Execute message")
            }
            message = .execute(portal: portal, maxRows: maxRows)
        case UInt8(ascii: "F"):
            message = .functionCall
        case UInt8(ascii: "d"):
            message = .copyData(body.readBytes(length: body.readableBytes) ?? [])
        case UInt8(ascii: "c"):
            message = .copyDone
        case UInt8(ascii: "f"):
            message = .copyFail(body.readNullTerminatedString() ?? "")
        default:
            throw PGProtocolError("invalid frontend message type \(type)")
        }
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }

    static func decodeBind(_ body: inout ByteBuffer) throws -> PGBind {
        let bad = PGProtocolError("invalid Bind message")
        guard let portal = body.readNullTerminatedString(), let statement = body.readNullTerminatedString(),
              let nf = body.readInteger(as: UInt16.self) else { throw bad }
        var formats: [Int16] = []
        for _ in 0..<nf {
            guard let f = body.readInteger(as: Int16.self) else { throw bad }
            formats.append(f)
        }
        guard let np = body.readInteger(as: UInt16.self) else { throw bad }
        var params: [[UInt8]?] = []
        for _ in 0..<np {
            guard let len = body.readInteger(as: Int32.self) else { throw bad }
            if len < 0 { params.append(nil); continue }
            guard let bytes = body.readBytes(length: Int(len)) else { throw bad }
            params.append(bytes)
        }
        guard let nr = body.readInteger(as: UInt16.self) else { throw bad }
        var results: [Int16] = []
        for _ in 0..<nr {
            guard let f = body.readInteger(as: Int16.self) else { throw bad }
            results.append(f)
        }
        return PGBind(portal: portal, statement: statement, parameterFormats: formats, parameters: params, resultFormats: results)
    }
}

/// Transaction status reported in ReadyForQuery.
public enum PGTransactionStatus: UInt8, Sendable {
    /// Idle, not in a transaction block.
    case idle = 73         // 'I'
    /// In a transaction block.
    case inTransaction = 84 // 'T'
    /// In a failed transaction block (commands are refused until ROLLBACK).
    case failed = 69       // 'E'
}

/// Fields of an ErrorResponse or NoticeResponse.
struct PGErrorFields: Sendable {
    enum Severity: String, Sendable {
        case error = "ERROR", fatal = "FATAL", warning = "WARNING", notice = "NOTICE"
    }
    var severity: Severity
    var code: SQLState
    var message: String
    var detail: String?
    var hint: String?
    /// 1-based character position in the query string.
    var position: Int?
    /// CONTEXT ('W'), e.g. the COPY line and column of a bad value.
    var context: String?

    init(severity: Severity, code: SQLState, message: String, detail: String? = nil, hint: String? = nil, position: Int? = nil) {
        self.severity = severity
        self.code = code
        self.message = message
        self.detail = detail
        self.hint = hint
        self.position = position
    }

    init(_ error: AurumError, severity: Severity = .error) {
        self.init(severity: severity, code: error.code, message: error.message, detail: error.detail,
                  hint: error.hint, position: error.position)
        self.context = error.context
    }
}

/// Writes backend messages into a ByteBuffer.
enum PGBackend {
    /// Appends a message: type byte, length placeholder, body written by `body`, then the
    /// length patched in.
    static func message(_ type: UInt8, into out: inout ByteBuffer, _ body: (inout ByteBuffer) -> Void = { _ in }) {
        out.writeInteger(type)
        let lengthIndex = out.writerIndex
        out.writeInteger(Int32(0))
        body(&out)
        out.setInteger(Int32(out.writerIndex - lengthIndex), at: lengthIndex)
    }

    static func authenticationOk(into out: inout ByteBuffer) {
        message(UInt8(ascii: "R"), into: &out) { $0.writeInteger(Int32(0)) }
    }

    static func authenticationCleartextPassword(into out: inout ByteBuffer) {
        message(UInt8(ascii: "R"), into: &out) { $0.writeInteger(Int32(3)) }
    }

    static func authenticationMD5Password(salt: [UInt8], into out: inout ByteBuffer) {
        message(UInt8(ascii: "R"), into: &out) {
            $0.writeInteger(Int32(5))
            $0.writeBytes(salt)
        }
    }

    /// AuthenticationSASL: the mechanisms offered, each a C string, then an empty one.
    static func authenticationSASL(mechanisms: [String], into out: inout ByteBuffer) {
        message(UInt8(ascii: "R"), into: &out) {
            $0.writeInteger(Int32(10))
            for m in mechanisms { $0.writeCString(m) }
            $0.writeInteger(UInt8(0))
        }
    }

    static func authenticationSASLContinue(_ data: [UInt8], into out: inout ByteBuffer) {
        message(UInt8(ascii: "R"), into: &out) {
            $0.writeInteger(Int32(11))
            $0.writeBytes(data)
        }
    }

    static func authenticationSASLFinal(_ data: [UInt8], into out: inout ByteBuffer) {
        message(UInt8(ascii: "R"), into: &out) {
            $0.writeInteger(Int32(12))
            $0.writeBytes(data)
        }
    }

    static func parameterStatus(_ name: String, _ value: String, into out: inout ByteBuffer) {
        message(UInt8(ascii: "S"), into: &out) {
            $0.writeCString(name)
            $0.writeCString(value)
        }
    }

    static func backendKeyData(processID: Int32, secretKey: Int32, into out: inout ByteBuffer) {
        message(UInt8(ascii: "K"), into: &out) {
            $0.writeInteger(processID)
            $0.writeInteger(secretKey)
        }
    }

    /// NegotiateProtocolVersion: the newest minor version supported and the unrecognised
    /// protocol options.
    static func negotiateProtocolVersion(minor: Int32, unrecognised: [String], into out: inout ByteBuffer) {
        message(UInt8(ascii: "v"), into: &out) {
            $0.writeInteger(minor)
            $0.writeInteger(Int32(unrecognised.count))
            for o in unrecognised { $0.writeCString(o) }
        }
    }

    static func readyForQuery(_ status: PGTransactionStatus, into out: inout ByteBuffer) {
        message(UInt8(ascii: "Z"), into: &out) { $0.writeInteger(status.rawValue) }
    }

    /// One RowDescription field.
    struct Field: Sendable {
        var name: String
        var tableOID: UInt32 = 0
        var attributeNumber: Int16 = 0
        var typeOID: UInt32
        var typeSize: Int16
        var typeModifier: Int32
        var format: PGFormat = .text
    }

    static func rowDescription(_ fields: [Field], into out: inout ByteBuffer) {
        message(UInt8(ascii: "T"), into: &out) {
            $0.writeInteger(Int16(truncatingIfNeeded: fields.count))
            for f in fields {
                $0.writeCString(f.name)
                $0.writeInteger(f.tableOID)
                $0.writeInteger(f.attributeNumber)
                $0.writeInteger(f.typeOID)
                $0.writeInteger(f.typeSize)
                $0.writeInteger(f.typeModifier)
                $0.writeInteger(f.format.rawValue)
            }
        }
    }

    static func commandComplete(_ tag: String, into out: inout ByteBuffer) {
        message(UInt8(ascii: "C"), into: &out) { $0.writeCString(tag) }
    }

    static func parseComplete(into out: inout ByteBuffer) { message(UInt8(ascii: "1"), into: &out) }
    static func bindComplete(into out: inout ByteBuffer) { message(UInt8(ascii: "2"), into: &out) }
    static func closeComplete(into out: inout ByteBuffer) { message(UInt8(ascii: "3"), into: &out) }
    static func noData(into out: inout ByteBuffer) { message(UInt8(ascii: "n"), into: &out) }
    static func portalSuspended(into out: inout ByteBuffer) { message(UInt8(ascii: "s"), into: &out) }

    static func parameterDescription(_ oids: [UInt32], into out: inout ByteBuffer) {
        message(UInt8(ascii: "t"), into: &out) {
            $0.writeInteger(Int16(truncatingIfNeeded: oids.count))
            for o in oids { $0.writeInteger(o) }
        }
    }

    /// CopyInResponse ('G') / CopyOutResponse ('H'): overall text format, `columns` text columns.
    static func copyResponse(in isIn: Bool, columns: Int, into out: inout ByteBuffer) {
        message(UInt8(ascii: isIn ? "G" : "H"), into: &out) {
            $0.writeInteger(UInt8(0))
            $0.writeInteger(Int16(truncatingIfNeeded: columns))
            for _ in 0..<columns { $0.writeInteger(Int16(0)) }
        }
    }

    static func copyData(_ bytes: [UInt8], into out: inout ByteBuffer) {
        message(UInt8(ascii: "d"), into: &out) { $0.writeBytes(bytes) }
    }

    static func copyDone(into out: inout ByteBuffer) {
        message(UInt8(ascii: "c"), into: &out)
    }

    static func emptyQueryResponse(into out: inout ByteBuffer) {
        message(UInt8(ascii: "I"), into: &out)
    }

    /// ErrorResponse (severity ERROR or FATAL) or NoticeResponse (WARNING, NOTICE).
    static func errorOrNotice(_ fields: PGErrorFields, into out: inout ByteBuffer) {
        let isError = fields.severity == .error || fields.severity == .fatal
        message(UInt8(ascii: isError ? "E" : "N"), into: &out) { buffer in
            func field(_ code: Unicode.Scalar, _ value: String) {
                buffer.writeInteger(UInt8(ascii: code))
                buffer.writeCString(value)
            }
            field("S", fields.severity.rawValue)
            field("V", fields.severity.rawValue)
            field("C", fields.code.code)
            field("M", fields.message)
            if let d = fields.detail { field("D", d) }
            if let h = fields.hint { field("H", h) }
            if let p = fields.position { field("P", String(p)) }
            if let w = fields.context { field("W", w) }
            buffer.writeInteger(UInt8(0))
        }
    }
}

extension ByteBuffer {
    /// Writes `string` as a C string (PostgreSQL strings may not contain NUL; any NUL in it is
    /// dropped rather than cutting the message).
    mutating func writeCString(_ string: String) {
        if string.utf8.contains(0) {
            writeBytes(string.utf8.filter { $0 != 0 })
        } else {
            writeString(string)
        }
        writeInteger(UInt8(0))
    }
}
