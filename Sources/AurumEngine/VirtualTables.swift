import AurumCore
import AurumStorage

/// system.* tables answered from the catalog and storage snapshots.
enum VirtualTables {
    struct Table { var names: [String]; var block: Block }
    static let systemTableNames = ["columns", "databases", "numbers_mt_unsupported", "parts", "tables"].filter { !$0.hasSuffix("unsupported") }

    static func lookup(database: String, name: String, qualified: Bool, session: SessionContext) throws -> Table? {
        guard database.lowercased() == "system" else { return nil }
        let catalog = session.catalog
        switch name.lowercased() {
        case "databases":
            var b = ResultBuilder(["name"])
            for d in (catalog.databases + ["system"]).sorted() { b.add([.string(d)]) }
            return Table(names: b.names, block: b.block(types: [.string]))
        case "tables":
            var b = ResultBuilder(["database", "name", "engine", "total_rows", "total_bytes", "uuid", "create_table_query", "sorting_key", "partition_key"])
            for t in catalog.allTables {
                let snap = t.storage.snapshot()
                b.add([.string(t.database), .string(t.name), .string(t.definition.engineName), .uint(UInt64(snap.rowCount)),
                       .uint(UInt64(snap.parts.reduce(0) { $0 + $1.bytesOnDisk })), .string(t.uuid),
                       .string(t.definition.createSQL(database: t.database, name: t.name, uuid: nil)),
                       .string(t.definition.orderBy.map { SQLPrinter.expr($0) }.joined(separator: ", ")),
                       .string(t.definition.partitionBy.map { SQLPrinter.expr($0) } ?? "")])
            }
            // the system tables list themselves, as in ClickHouse (engine SystemTables, ..., no row counts)
            for s in systemTableNames {
                b.add([.string("system"), .string(s), .string("System" + s.prefix(1).uppercased() + s.dropFirst()), .null, .null,
                       .string(""), .string(""), .string(""), .string("")])
            }
            return Table(names: b.names, block: b.block(types: [.string, .string, .string, .uint64, .uint64, .string, .string, .string, .string]))
        case "columns":
            var b = ResultBuilder(["database", "table", "name", "type", "position", "default_kind", "default_expression", "is_in_sorting_key", "comment"])
            for t in catalog.allTables {
                let keys = Set(t.sortKey)
                for (i, c) in t.definition.columns.enumerated() {
                    b.add([.string(t.database), .string(t.name), .string(c.name), .string(c.type.description), .uint(UInt64(i + 1)),
                           .string(c.defaultExpr == nil ? "" : "DEFAULT"), .string(c.defaultExpr.map { SQLPrinter.expr($0) } ?? ""),
                           .uint(keys.contains(i) ? 1 : 0), .string(c.comment ?? "")])
                }
            }
            return Table(names: b.names, block: b.block(types: [.string, .string, .string, .string, .uint64, .string, .string, .uint8, .string]))
        case "parts":
            var b = ResultBuilder(["database", "table", "name", "partition", "partition_id", "rows", "bytes_on_disk", "data_compressed_bytes",
                                   "data_uncompressed_bytes", "level", "marks", "active"])
            for t in catalog.allTables {
                for p in t.storage.snapshot().parts {
                    b.add([.string(t.database), .string(t.name), .string(p.name), .string(p.partitionID), .string(p.partitionID),
                           .uint(UInt64(p.rowCount)), .uint(UInt64(p.bytesOnDisk)), .uint(UInt64(p.bytesOnDisk)),
                           .uint(UInt64(p.bytesUncompressed)), .uint(UInt64(p.level)), .uint(UInt64(p.granuleCount)), .uint(1)])
                }
            }
            return Table(names: b.names, block: b.block(types: [.string, .string, .string, .string, .string, .uint64, .uint64, .uint64, .uint64, .uint64, .uint64, .uint8]))
        default:
            throw AurumError(.undefinedTable, "relation \"system.\(name)\" does not exist", hint: "system tables: \(systemTableNames.joined(separator: ", "))")
        }
    }
}

import AurumSQL

/// SQL LIKE matching on bytes: `%` any run, `_` one byte (one UTF-8 scalar when not ASCII is
/// not distinguished), backslash escapes. Compiled once per pattern.
struct LikeMatcher: Sendable {
    enum Token: Sendable { case literal([UInt8]), any, one }
    let tokens: [Token]
    let caseInsensitive: Bool

    init(pattern: String, caseInsensitive: Bool) {
        self.caseInsensitive = caseInsensitive
        var toks: [Token] = []
        var lit: [UInt8] = []
        var it = Array(pattern.utf8).makeIterator()
        while let c = it.next() {
            switch c {
            case 0x25: if !lit.isEmpty { toks.append(.literal(lit)); lit = [] }; if case .any? = toks.last {} else { toks.append(.any) }
            case 0x5F: if !lit.isEmpty { toks.append(.literal(lit)); lit = [] }; toks.append(.one)
            case 0x5C: if let n = it.next() { lit.append(caseInsensitive ? LikeMatcher.lower(n) : n) }
            default: lit.append(caseInsensitive ? LikeMatcher.lower(c) : c)
            }
        }
        if !lit.isEmpty { toks.append(.literal(lit)) }
        tokens = toks
    }

    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c + 32 : c }

    func matches(_ s: [UInt8]) -> Bool {
        s.withUnsafeBufferPointer { matches($0) }
    }

    func matches(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        match(0, s, 0)
    }

    private func match(_ ti: Int, _ s: UnsafeBufferPointer<UInt8>, _ si: Int) -> Bool {
        var ti = ti, si = si
        while ti < tokens.count {
            switch tokens[ti] {
            case .one:
                guard si < s.count else { return false }
                // advance one UTF-8 scalar
                si += 1
                while si < s.count && (s[si] & 0xC0) == 0x80 { si += 1 }
                ti += 1
            case .literal(let l):
                guard si + l.count <= s.count else { return false }
                for k in 0..<l.count {
                    let c = caseInsensitive ? LikeMatcher.lower(s[si + k]) : s[si + k]
                    if c != l[k] { return false }
                }
                si += l.count; ti += 1
            case .any:
                if ti == tokens.count - 1 { return true }
                var k = si
                while k <= s.count {
                    if match(ti + 1, s, k) { return true }
                    k += 1
                }
                return false
            }
        }
        return si == s.count
    }
}
