import AurumCore
import AurumEngine
import CLibpq
import Foundation

/// A PostgreSQL-compatible source (PostgreSQL, Redshift, a silver layer behind pgBouncer, ...)
/// read through libpq: the query's columns from its RowDescription (`PQdescribePrepared`,
/// without running it), then its rows streamed with `COPY (query) TO STDOUT` in text format
/// into Aurum's COPY parser. The session is put in UTC first, so timestamptz values arrive
/// as UTC with an offset and DateStyle is ISO.
public final class PostgresExport {
    private let conn: OpaquePointer
    public let url: String

    /// Connects (`postgresql://user:password@host:port/db?sslmode=...` or a key=value conninfo).
    /// A failure is 08001 with libpq's message (the password is never echoed).
    public init(url: String) throws {
        self.url = url
        guard let c = PQconnectdb(url) else { throw AurumError(.init("08001"), "could not allocate a libpq connection") }
        guard PQstatus(c) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(c)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(c)
            throw AurumError(.init("08001"), "could not connect to the PostgreSQL source: \(message)")
        }
        conn = c
        try exec("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 3; SET client_encoding = 'UTF8'")
    }

    deinit { PQfinish(conn) }

    private var lastError: String { String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines) }

    /// An error from the source, keeping its SQLSTATE.
    private func sourceError(_ r: OpaquePointer?, _ what: String) -> AurumError {
        let code = PQresultErrorField(r, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? "XX000"
        let message = PQresultErrorMessage(r).map { String(cString: $0) }?.trimmingCharacters(in: .whitespacesAndNewlines) ?? lastError
        return AurumError(SQLState(code), "PostgreSQL source: \(what): \(message.isEmpty ? lastError : message)")
    }

    private func exec(_ sql: String) throws {
        let r = PQexec(conn, sql)
        defer { PQclear(r) }
        let status = PQresultStatus(r)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else { throw sourceError(r, "setting up the session") }
    }

    /// The query's result columns and their Aurum types (all nullable: a query's nullability
    /// is not known), from the types the source reports. Unknown types load as text.
    public func describe(query: String) throws -> [SourceColumn] {
        var r = PQprepare(conn, "", query, 0, nil)
        guard PQresultStatus(r) == PGRES_COMMAND_OK else {
            defer { PQclear(r) }
            throw sourceError(r, "preparing the query")
        }
        PQclear(r)
        r = PQdescribePrepared(conn, "")
        defer { PQclear(r) }
        guard PQresultStatus(r) == PGRES_COMMAND_OK else { throw sourceError(r, "describing the query") }
        let n = Int(PQnfields(r))
        guard n > 0 else { throw AurumError(.invalidParameterValue, "the source query returns no columns") }
        return (0..<n).map { i in
            SourceColumn(name: String(cString: PQfname(r, Int32(i))), type: Self.type(oid: PQftype(r, Int32(i)), modifier: PQfmod(r, Int32(i))).nullable)
        }
    }

    /// The Aurum type of a PostgreSQL type OID (+ typmod).
    public static func type(oid: UInt32, modifier: Int32) -> DataType {
        switch oid {
        case 16: return .bool
        case 21: return .int16
        case 23: return .int32
        case 20: return .int64
        case 26: return .uint32                                   // oid
        case 700: return .float32
        case 701: return .float64
        case 1700:
            // numeric(p, s): typmod = ((p << 16) | s) + 4; unconstrained numeric keeps 38 digits, 10 after the point
            if modifier >= 4 {
                let p = Int((modifier - 4) >> 16) & 0xFFFF, s = Int(modifier - 4) & 0xFFFF
                if p >= 1 && p <= 38 && s <= p { return DataType(.decimal(precision: p, scale: s)) }
            }
            return DataType(.decimal(precision: 38, scale: 10))
        case 1082: return .date
        case 1114, 1184: return DataType(.dateTime64(precision: 6))   // timestamp, timestamptz (as UTC)
        case 2950: return DataType(.uuid)
        default: return .string                                       // text, varchar, char, name, json, bytea (\x hex), ...
        }
    }

    /// Streams the query's rows into `copy` (a `COPY t FROM STDIN` of the target, in-process or
    /// on a server: both sides speak COPY text, so the bytes pass through unchanged): returns
    /// the number of rows. `progress` gets the bytes received so far.
    public func copy(query: String, into copy: LoadTextSink, progress: ((Int64) -> Void)? = nil) throws -> Int {
        let r = PQexec(conn, "COPY (\(query)) TO STDOUT")
        guard PQresultStatus(r) == PGRES_COPY_OUT else {
            defer { PQclear(r) }
            throw sourceError(r, "starting COPY")
        }
        PQclear(r)
        var received: Int64 = 0
        var batch: [UInt8] = []
        batch.reserveCapacity(1 << 20)
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let n = PQgetCopyData(conn, &buffer, 0)
            if n == -1 { break }
            if n == -2 { throw AurumError(.init("08006"), "PostgreSQL source: COPY failed: \(lastError)") }
            if let buffer {
                buffer.withMemoryRebound(to: UInt8.self, capacity: Int(n)) { batch.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(n))) }
                PQfreemem(buffer)
            }
            received += Int64(n)
            if batch.count >= 1 << 20 {
                try copy.feed(batch)
                batch.removeAll(keepingCapacity: true)
                progress?(received)
            }
        }
        let done = PQgetResult(conn)
        defer { PQclear(done) }
        guard PQresultStatus(done) == PGRES_COMMAND_OK else { throw sourceError(done, "COPY") }
        while let extra = PQgetResult(conn) { PQclear(extra) }
        if !batch.isEmpty { try copy.feed(batch) }
        progress?(received)
        return try copy.finish()
    }
}
