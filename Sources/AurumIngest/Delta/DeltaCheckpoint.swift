import AurumCore
import AurumEngine
import Foundation

/// Reads Delta checkpoint files (Parquet, one action per row in the columns `add`, `remove`,
/// `metaData`, `protocol`, ...) into the same dictionaries a JSON commit line parses to, so
/// `DeltaLog` replays both alike. Only the fields the reader uses are decoded: add.path,
/// partitionValues, size, stats, deletionVector; remove.path; metaData.schemaString,
/// partitionColumns, configuration; protocol versions and reader features; sidecar.path.
/// A v2 checkpoint's `sidecar` actions name Parquet files in `_delta_log/_sidecars/` that hold
/// its add and remove actions; they are read too (without them the live files would be
/// silently incomplete). A sidecar that is missing is 58030 naming it.
public struct ParquetCheckpointReader: DeltaCheckpointReader {
    public init() {}

    public func actions(of files: [String]) throws -> [[String: Any]] {
        var out: [[String: Any]] = []
        var sidecars: [String] = []
        for path in files {
            let f = try ParquetFile(path: path)
            for rg in f.rowGroups.indices {
                out += try actions(f, rowGroup: rg, rows: Int(f.rowGroups[rg]), sidecars: &sidecars)
            }
        }
        for s in sidecars {
            let path = Self.sidecarPath(s, checkpoints: files)
            guard FileManager.default.fileExists(atPath: path) else {
                throw AurumError(.ioError, "Delta checkpoint sidecar \(path) is missing (the checkpoint references it)",
                                 hint: "the _delta_log was copied incompletely")
            }
            let f = try ParquetFile(path: path)
            var nested: [String] = []
            for rg in f.rowGroups.indices {
                out += try actions(f, rowGroup: rg, rows: Int(f.rowGroups[rg]), sidecars: &nested)
            }
            guard nested.isEmpty else {
                throw AurumError(.badCopyFileFormat, "Delta checkpoint sidecar \(f.displayName) references further sidecars")
            }
        }
        return out
    }

    /// Where a sidecar action's path points: a bare name or relative path is under
    /// `_delta_log/_sidecars/` (beside the checkpoint); `file:` URIs and absolute paths are used
    /// as they are (percent-decoded).
    static func sidecarPath(_ raw: String, checkpoints: [String]) -> String {
        var s = raw
        if s.hasPrefix("file://") { s = String(s.dropFirst(7)) } else if s.hasPrefix("file:") { s = String(s.dropFirst(5)) }
        let decoded = s.removingPercentEncoding ?? s
        if decoded.hasPrefix("/") { return decoded }
        let logDir = ((checkpoints.first ?? "") as NSString).deletingLastPathComponent
        return ((logDir as NSString).appendingPathComponent("_sidecars") as NSString).appendingPathComponent(decoded)
    }

    private func actions(_ f: ParquetFile, rowGroup rg: Int, rows: Int, sidecars: inout [String]) throws -> [[String: Any]] {
        let reader = LeafReader(file: f, rowGroup: rg, rows: rows)
        let addPath = try reader.scalar(["add", "path"])
        let addSize = try reader.scalar(["add", "size"])
        let addStats = try reader.scalar(["add", "stats"])
        let addDV = try reader.scalar(["add", "deletionVector", "storageType"])
        let addPV = try reader.map(["add", "partitionValues"])
        let removePath = try reader.scalar(["remove", "path"])
        let schema = try reader.scalar(["metaData", "schemaString"])
        let partitionColumns = try reader.list(["metaData", "partitionColumns"])
        let configuration = try reader.map(["metaData", "configuration"])
        let minReader = try reader.scalar(["protocol", "minReaderVersion"])
        let readerFeatures = try reader.list(["protocol", "readerFeatures"])
        let sidecarPath = try reader.scalar(["sidecar", "path"])
        var out: [[String: Any]] = []
        for r in 0..<rows {
            if let p = sidecarPath[r]?.asString { sidecars.append(p) }
            if let p = addPath[r]?.asString {
                var a: [String: Any] = ["path": p, "size": NSNumber(value: addSize[r]?.asInt64 ?? 0)]
                if let s = addStats[r]?.asString { a["stats"] = s }
                if let dv = addDV[r]?.asString { a["deletionVector"] = ["storageType": dv] }
                var pv: [String: Any] = [:]
                for (k, v) in addPV[r] ?? [] { pv[k] = v ?? NSNull() }
                a["partitionValues"] = pv
                out.append(["add": a])
            }
            if let p = removePath[r]?.asString { out.append(["remove": ["path": p]]) }
            if let s = schema[r]?.asString {
                var conf: [String: Any] = [:]
                for (k, v) in configuration[r] ?? [] { conf[k] = v ?? NSNull() }
                out.append(["metaData": ["schemaString": s, "partitionColumns": (partitionColumns[r] ?? []).compactMap { $0 },
                                         "configuration": conf] as [String: Any]])
            }
            if let v = minReader[r]?.asInt64 {
                var p: [String: Any] = ["minReaderVersion": NSNumber(value: v)]
                if let features = readerFeatures[r] { p["readerFeatures"] = features.compactMap { $0 } }
                out.append(["protocol": p])
            }
        }
        return out
    }
}

/// Reassembles rows of a few nested leaves of one row group (Dremel levels, see `ParquetLeaf`).
private struct LeafReader {
    let file: ParquetFile
    let rowGroup: Int
    let rows: Int

    func node(_ path: [String]) -> ParquetSchemaNode? {
        var n = file.schemaTree
        for name in path {
            guard let c = n.children.first(where: { $0.name == name }) else { return nil }
            n = c
        }
        return n
    }

    /// A non-repeated leaf: its value per row (nil when it or an ancestor is NULL, or the
    /// checkpoint has no such column).
    func scalar(_ path: [String]) throws -> [Value?] {
        guard let n = node(path), n.isLeaf else { return Array(repeating: nil, count: rows) }
        let leaf = try file.readLeaf(rowGroup: rowGroup, path: path)
        guard leaf.maxRepetitionLevel == 0 else {
            throw AurumError(.badCopyFileFormat, "\(file.displayName): checkpoint column \(path.joined(separator: ".")) is repeated")
        }
        var out: [Value?] = []
        out.reserveCapacity(rows)
        var k = 0
        for slot in 0..<leaf.count {
            let present = leaf.definitionLevels.isEmpty || Int(leaf.definitionLevels[slot]) == leaf.maxDefinitionLevel
            if present {
                guard k < leaf.values.count else { throw truncated(path) }
                out.append(leaf.values.value(at: k))
                k += 1
            } else {
                out.append(nil)
            }
        }
        guard out.count == rows else { throw truncated(path) }
        return out
    }

    /// The entries of a repeated leaf per row: nil when the list/map is NULL or absent, else
    /// its elements (nil for a NULL element). `repeatedPath` is the repeated group.
    func repeated(_ leafPath: [String], entry repeatedPath: [String]) throws -> [[String?]?] {
        guard let n = node(leafPath), n.isLeaf, let group = node(repeatedPath) else { return Array(repeating: nil, count: rows) }
        let leaf = try file.readLeaf(rowGroup: rowGroup, path: leafPath)
        var out: [[String?]?] = []
        var k = 0
        for slot in 0..<leaf.count {
            let def = leaf.definitionLevels.isEmpty ? leaf.maxDefinitionLevel : Int(leaf.definitionLevels[slot])
            let rep = leaf.repetitionLevels.isEmpty ? 0 : Int(leaf.repetitionLevels[slot])
            if rep == 0 { out.append(def >= group.maxDefinitionLevel - 1 ? [] : nil) }
            guard !out.isEmpty else { throw truncated(leafPath) }
            if def >= group.maxDefinitionLevel {
                var entries = out[out.count - 1] ?? []
                if def == leaf.maxDefinitionLevel {
                    guard k < leaf.values.count else { throw truncated(leafPath) }
                    entries.append(leaf.values.value(at: k).asString)
                    k += 1
                } else {
                    entries.append(nil)
                }
                out[out.count - 1] = entries
            }
        }
        guard out.count == rows else { throw truncated(leafPath) }
        return out
    }

    /// A map<string,string> column (`key_value` entries) per row.
    func map(_ path: [String]) throws -> [[(String, String?)]?] {
        let keys = try repeated(path + ["key_value", "key"], entry: path + ["key_value"])
        let values = try repeated(path + ["key_value", "value"], entry: path + ["key_value"])
        return zip(keys, values).map { k, v in
            guard let k else { return nil }
            return k.enumerated().map { i, key in (key ?? "", v.flatMap { i < $0.count ? $0[i] : nil }) }
        }
    }

    /// A list<string> column (`list.element`) per row.
    func list(_ path: [String]) throws -> [[String?]?] {
        try repeated(path + ["list", "element"], entry: path + ["list"])
    }

    func truncated(_ path: [String]) -> AurumError {
        AurumError(.badCopyFileFormat, "\(file.displayName): checkpoint column \(path.joined(separator: ".")) has fewer values than rows")
    }
}
