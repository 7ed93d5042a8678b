import AurumCore
import AurumEngine
import Foundation

/// A Delta Lake table's snapshot at one version, from replaying its `_delta_log`: the
/// schema (metaData), the partition columns, the column mapping, and the data files that are
/// live (added and not removed since).
///
/// Replay: the newest complete checkpoint at or before the wanted version (found by listing
/// the log; classic single-file, multi-part with every part present, or UUID-named), then
/// every JSON commit after it in version order. `_last_checkpoint` is only a hint in the
/// protocol and is not needed: the listing is the truth it summarises. Reader features Aurum
/// cannot honour (deletion vectors, ...) are refused with 0A000 naming the feature: rows are
/// never returned wrong.
public struct DeltaSnapshot: Sendable {
    public struct DataFile: Sendable, Equatable {
        /// Absolute path of the Parquet file.
        public var path: String
        /// Partition column (logical name) → value as the log stores it (nil: NULL).
        public var partitionValues: [String: String?]
        public var size: Int64
        /// numRecords from the add action's stats, when present.
        public var records: Int64?
    }

    /// A column of the table: its logical name, the name in the Parquet files (differs under
    /// column mapping), and its Aurum type.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var physicalName: String
        public var type: DataType
    }

    public var tablePath: String
    public var version: Int64
    public var fields: [Field]
    public var partitionColumns: [String]
    public var files: [DataFile]
    public var columnMappingMode: String

    public var columns: [SourceColumn] { fields.map { SourceColumn(name: $0.name, type: $0.type) } }
}

/// Reads Delta checkpoints (Parquet) into actions; provided by the Parquet reader.
public protocol DeltaCheckpointReader: Sendable {
    /// The actions of checkpoint files (all parts of one checkpoint), as JSON-like dictionaries
    /// keyed by action name (`add`, `remove`, `metaData`, `protocol`), one per row.
    func actions(of files: [String]) throws -> [[String: Any]]
}

public enum DeltaLog {
    /// Reader features this reader implements (protocol minReaderVersion 3).
    static let supportedReaderFeatures: Set<String> = ["columnMapping", "timestampNtz", "v2Checkpoint", "vacuumProtocolCheck"]

    static func error(_ path: String, _ message: String, code: SQLState = .badCopyFileFormat, hint: String? = nil) -> AurumError {
        AurumError(code, "Delta table \(path): \(message)", hint: hint)
    }

    /// Whether `path` looks like a Delta table (has a `_delta_log` directory).
    public static func isDeltaTable(_ path: String) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("_delta_log"), isDirectory: &dir) && dir.boolValue
    }

    /// The snapshot at `version` (nil: the latest).
    public static func snapshot(_ tablePath: String, version wanted: Int64? = nil, checkpoints: DeltaCheckpointReader? = nil) throws -> DeltaSnapshot {
        let table = (tablePath as NSString).standardizingPath
        let logDir = (table as NSString).appendingPathComponent("_delta_log")
        guard isDeltaTable(table) else {
            throw error(table, "no _delta_log directory", code: .ioError, hint: "point at the table's root directory")
        }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: logDir) } catch {
            throw DeltaLog.error(table, "cannot list _delta_log: \(error.localizedDescription)", code: .ioError)
        }
        var commits: [Int64: String] = [:]
        var checkpointParts: [Int64: [String]] = [:]
        for n in names {
            if n.hasSuffix(".json"), let v = Int64(n.dropLast(5)), n.count == 25 { commits[v] = n }
            if let v = checkpointVersion(n) { checkpointParts[v, default: []].append(n) }
        }
        guard let latest = ([commits.keys.max(), checkpointParts.keys.max()].compactMap { $0 }).max() else {
            throw error(table, "_delta_log holds no commits")
        }
        let target = wanted ?? latest
        guard target >= 0, target <= latest else {
            throw error(table, "version \(target) does not exist (latest is \(latest))", code: .invalidParameterValue)
        }
        // the newest complete checkpoint at or before the target
        var start: Int64 = 0
        var state = ReplayState(table: table)
        let usable = checkpointParts.compactMap { v, names -> (Int64, [String])? in
            guard v <= target, let files = checkpointFiles(names) else { return nil }
            return (v, files)
        }.max { $0.0 < $1.0 }
        if let (cp, files) = usable {
            guard let reader = checkpoints else {
                throw error(table, "version \(target) needs checkpoint \(cp), and no checkpoint reader is available", code: .featureNotSupported)
            }
            let parts = files.map { (logDir as NSString).appendingPathComponent($0) }
            for action in try reader.actions(of: parts) { try state.apply(action, version: cp) }
            start = cp + 1
        } else if commits[0] == nil {
            // name the checkpoints that would have covered it but lack parts (a writer that died
            // midway, or files lost in a copy): their rows alone would be wrong, so they are not used
            let incomplete = checkpointParts.filter { $0.key <= target }.sorted { $0.key > $1.key }
                .compactMap { v, names in missingParts(names).map { "checkpoint \(v) lacks \($0)" } }
            let why = incomplete.isEmpty ? "no checkpoint precedes it" : "no complete checkpoint precedes it (\(incomplete.joined(separator: "; ")))"
            throw error(table, "version \(target) cannot be rebuilt: commit 0 is gone and \(why)",
                        hint: incomplete.isEmpty ? "the log was cleaned up; load a newer version"
                            : "restore the missing checkpoint parts or the JSON commits, or load a version after a complete checkpoint")
        }
        if start <= target {
            for v in start...target {
                guard let name = commits[v] else {
                    throw error(table, "commit \(v) is missing from _delta_log (have \(start)...\(latest))")
                }
                let path = (logDir as NSString).appendingPathComponent(name)
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw error(table, "cannot read \(name)", code: .ioError)
                }
                var line = 0
                for raw in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                    line += 1
                    if raw.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                    guard let obj = try? JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any] else {
                        throw error(table, "\(name):\(line): not a JSON object")
                    }
                    do { try state.apply(obj, version: v) } catch let e as AurumError {
                        var e = e
                        e.message = "Delta table \(table): \(name):\(line): " + e.message.replacingOccurrences(of: "Delta table \(table): ", with: "")
                        throw e
                    }
                }
            }
        }
        return try state.finish(version: target)
    }

    /// The version of a checkpoint file name, or nil for other files. Names (Delta protocol,
    /// "Checkpoint Naming Scheme"; n is 20 digits, o and p 10 digits):
    /// classic `n.checkpoint.parquet`, multi-part `n.checkpoint.o.p.parquet` (part o of p),
    /// UUID-named (v2) `n.checkpoint.<uuid>.parquet`. UUID-named JSON checkpoints are not read
    /// (the commits or an older checkpoint are used instead).
    static func checkpointVersion(_ name: String) -> Int64? {
        let f = name.split(separator: ".", omittingEmptySubsequences: false)
        guard f.count >= 3, f.count <= 5, f[0].count == 20, f[1] == "checkpoint", f.last == "parquet",
              f[0].allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(f[0])
    }

    /// The files of one complete checkpoint among the checkpoint files of one version, in
    /// part order, or nil when there is none. Several checkpoints may exist for a version
    /// (writers racing with different formats); each is complete on its own, so one is picked:
    /// the classic file, else a multi-part checkpoint with every part 1...p present, else a
    /// UUID-named one. A multi-part checkpoint with a part missing is never used (the protocol:
    /// "readers must only use a complete checkpoint").
    static func checkpointFiles(_ names: [String]) -> [String]? {
        var uuidNamed: [String] = []
        var multi: [Int: [Int: String]] = [:]   // parts p → part o → name
        for n in names {
            let f = n.split(separator: ".", omittingEmptySubsequences: false)
            switch f.count {
            case 3: return [n]   // classic
            case 4: uuidNamed.append(n)
            case 5:
                guard let (o, p) = multiPart(f) else { continue }
                multi[p, default: [:]][o] = n
            default: continue
            }
        }
        for (p, parts) in multi.sorted(by: { $0.key < $1.key }) where parts.count == p {
            return (1...p).compactMap { parts[$0] }
        }
        return uuidNamed.sorted().first.map { [$0] }
    }

    /// Part o of p of a multi-part checkpoint name split at its dots
    /// (`n.checkpoint.oooooooooo.pppppppppp.parquet`, 1 <= o <= p), or nil for other names.
    private static func multiPart(_ f: [Substring]) -> (part: Int, of: Int)? {
        guard f.count == 5, f[2].count == 10, f[3].count == 10, let o = Int(f[2]), let p = Int(f[3]), p >= 1, o >= 1, o <= p else { return nil }
        return (o, p)
    }

    /// Whether the checkpoint files of one version form a complete checkpoint.
    static func isComplete(_ names: [String]) -> Bool { checkpointFiles(names) != nil }

    /// For a version without a complete checkpoint: which parts its multi-part checkpoints
    /// lack (`part 2 of 3 (n.checkpoint.0000000002.0000000003.parquet)`, at most 5 named), or
    /// nil when it has a complete checkpoint or no multi-part one.
    static func missingParts(_ names: [String]) -> String? {
        guard checkpointFiles(names) == nil else { return nil }
        var multi: [Int: Set<Int>] = [:]
        var version = ""
        for n in names {
            let f = n.split(separator: ".", omittingEmptySubsequences: false)
            guard let (o, p) = multiPart(f) else { continue }
            multi[p, default: []].insert(o)
            version = String(f[0])
        }
        func pad(_ i: Int) -> String { let d = String(i); return String(repeating: "0", count: max(0, 10 - d.count)) + d }
        var out: [String] = []
        for (p, have) in multi.sorted(by: { $0.key < $1.key }) {
            var missing: [Int] = []
            var o = 1
            while o <= p && missing.count < 5 {   // p comes from a file name: never enumerate it whole
                if !have.contains(o) { missing.append(o) }
                o += 1
            }
            let more = p - have.count - missing.count
            out += missing.map { "part \($0) of \(p) (\(version).checkpoint.\(pad($0)).\(pad(p)).parquet)" }
            if more > 0 { out.append("\(more) more of its \(p) parts") }
        }
        return out.isEmpty ? nil : out.joined(separator: ", ")
    }

    /// Decodes a percent-encoded relative path of an add/remove action (`region=eu%20west/...`).
    static func decodePath(_ p: String, table: String) -> String {
        var s = p
        if s.hasPrefix("file://") { s = String(s.dropFirst(7)) } else if s.hasPrefix("file:") { s = String(s.dropFirst(5)) }
        let decoded = s.removingPercentEncoding ?? s
        return decoded.hasPrefix("/") ? decoded : (table as NSString).appendingPathComponent(decoded)
    }

    /// The Aurum type of a Delta schema type (`long`, `decimal(18,2)`, ...). Nested types
    /// (struct, array, map) are refused naming the column.
    static func aurumType(_ t: Any, column: String, table: String) throws -> DataType {
        guard let name = t as? String else {
            let kind = (t as? [String: Any])?["type"] as? String ?? "nested"
            throw error(table, "column \(column) has nested type \(kind), which Aurum cannot load yet", code: .featureNotSupported,
                        hint: "select the flat columns, or flatten it in the export")
        }
        switch name {
        case "long": return .int64
        case "integer": return .int32
        case "short": return .int16
        case "byte": return .int8
        case "float": return .float32
        case "double": return .float64
        case "boolean": return .bool
        case "string", "binary": return .string
        case "date": return .date
        case "timestamp", "timestamp_ntz": return DataType(.dateTime64(precision: 6))
        default:
            if name.hasPrefix("decimal("), name.hasSuffix(")") {
                let inner = name.dropFirst(8).dropLast().split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                if inner.count == 2, let p = inner[0], let s = inner[1], p >= 1, p <= 38, s >= 0, s <= p {
                    return DataType(.decimal(precision: p, scale: s))
                }
            }
            throw error(table, "column \(column) has type \(name), which Aurum does not support", code: .featureNotSupported)
        }
    }
}

/// The state of a log replay.
struct ReplayState {
    let table: String
    var files: [String: DeltaSnapshot.DataFile] = [:]   // by decoded path
    var order: [String] = []
    var schemaString: String?
    var partitionColumns: [String] = []
    var configuration: [String: String] = [:]
    var sawProtocol = false

    init(table: String) { self.table = table }

    mutating func apply(_ action: [String: Any], version: Int64) throws {
        if let p = action["protocol"] as? [String: Any] {
            sawProtocol = true
            let reader = (p["minReaderVersion"] as? NSNumber)?.intValue ?? 1
            guard reader <= 3 else {
                throw DeltaLog.error(table, "needs Delta reader version \(reader); Aurum reads versions 1 to 3", code: .featureNotSupported)
            }
            if reader == 3 {
                let features = (p["readerFeatures"] as? [String]) ?? []
                let unsupported = features.filter { !DeltaLog.supportedReaderFeatures.contains($0) }
                if !unsupported.isEmpty {
                    throw DeltaLog.error(table, "uses reader features Aurum does not implement: \(unsupported.joined(separator: ", "))",
                                         code: .featureNotSupported, hint: "rows could be read wrong without them, so the table is not loaded")
                }
            }
        }
        if let m = action["metaData"] as? [String: Any] {
            schemaString = m["schemaString"] as? String
            partitionColumns = (m["partitionColumns"] as? [String]) ?? []
            configuration = [:]
            for (k, v) in (m["configuration"] as? [String: Any]) ?? [:] { configuration[k] = v as? String ?? "\(v)" }
        }
        if let a = action["add"] as? [String: Any] {
            guard let raw = a["path"] as? String else { throw DeltaLog.error(table, "an add action has no path") }
            if let dv = a["deletionVector"], !(dv is NSNull) {
                throw DeltaLog.error(table, "file \(raw) has a deletion vector, which Aurum does not apply", code: .featureNotSupported,
                                     hint: "run OPTIMIZE/PURGE on the table (or disable deletion vectors) before loading")
            }
            let path = DeltaLog.decodePath(raw, table: table)
            var pv: [String: String?] = [:]
            for (k, v) in (a["partitionValues"] as? [String: Any]) ?? [:] { pv[k] = v is NSNull ? nil : (v as? String ?? "\(v)") }
            var records: Int64?
            if let stats = a["stats"] as? String, let d = stats.data(using: .utf8),
               let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any] {
                records = (o["numRecords"] as? NSNumber)?.int64Value
            }
            if files[path] == nil { order.append(path) }
            files[path] = DeltaSnapshot.DataFile(path: path, partitionValues: pv, size: (a["size"] as? NSNumber)?.int64Value ?? 0, records: records)
        }
        if let r = action["remove"] as? [String: Any], let raw = r["path"] as? String {
            files[DeltaLog.decodePath(raw, table: table)] = nil
        }
    }

    func finish(version: Int64) throws -> DeltaSnapshot {
        guard let schemaString, let data = schemaString.data(using: .utf8),
              let schema = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let fieldList = schema["fields"] as? [[String: Any]] else {
            throw DeltaLog.error(table, "no metaData action with a schema at version \(version)")
        }
        let mode = configuration["delta.columnMapping.mode"] ?? "none"
        guard ["none", "name", "id"].contains(mode) else {
            throw DeltaLog.error(table, "unknown column mapping mode \(mode)", code: .featureNotSupported)
        }
        var fields: [DeltaSnapshot.Field] = []
        for f in fieldList {
            guard let name = f["name"] as? String, let t = f["type"] else { throw DeltaLog.error(table, "a schema field has no name or type") }
            let meta = f["metadata"] as? [String: Any] ?? [:]
            var physical = name
            if mode != "none" {
                guard let p = meta["delta.columnMapping.physicalName"] as? String else {
                    throw DeltaLog.error(table, "column \(name) has no physical name under column mapping mode \(mode)")
                }
                physical = p
            }
            var type = try DeltaLog.aurumType(t, column: name, table: table)
            if (f["nullable"] as? Bool) ?? true { type = type.nullable }
            fields.append(DeltaSnapshot.Field(name: name, physicalName: physical, type: type))
        }
        for p in partitionColumns where !fields.contains(where: { $0.name == p }) {
            throw DeltaLog.error(table, "partition column \(p) is not in the schema")
        }
        let live = order.compactMap { files[$0] }
        return DeltaSnapshot(tablePath: table, version: version, fields: fields, partitionColumns: partitionColumns, files: live,
                             columnMappingMode: mode)
    }
}
