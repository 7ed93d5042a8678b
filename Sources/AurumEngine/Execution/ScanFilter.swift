import AurumCore
import AurumStorage

/// The filter of a scan, split for late materialisation.
///
/// Conjuncts that read exactly one LowCardinality(String) column (`p_category = 'MFGR#12'`,
/// `c_city IN (...)`, `p_brand BETWEEN 'a' AND 'b'`, `lower(s) LIKE '%x%'`, ...) are
/// *dictionary predicates*: when a part stores that column dictionary-encoded, the predicate
/// is evaluated once per distinct value (and once for NULL) and rows are selected by code,
/// before any other column of the morsel is read. Only the surviving rows of the remaining
/// columns are then materialised, and the rest of the filter runs on those.
struct ScanFilter: Sendable {
    struct DictionaryPredicate: Sendable {
        /// Position of the column in the scan's output (and `scan.columns`).
        let position: Int
        /// The conjunct with that column remapped to index 0 (evaluated on the dictionary).
        let onValues: BoundExpr
        /// The conjunct as written (used when a part stores the column plain).
        let original: BoundExpr
    }

    let dictionary: [DictionaryPredicate]
    /// Conjuncts that are not dictionary predicates, in their original order.
    let rest: [BoundExpr]
    /// Positions of LowCardinality(String) output columns: read as codes and materialised
    /// only for the rows that survive the dictionary predicates.
    let encodedPositions: [Int]

    init(_ filter: BoundExpr?, scan: ScanNode) {
        var dict: [DictionaryPredicate] = []
        var rest: [BoundExpr] = []
        let types = scan.columns.map { scan.table.storage.schema.columns[$0].type }
        for c in filter?.conjuncts ?? [] {
            let cols = c.columns
            if cols.count == 1, let p = cols.first, p < types.count,
               types[p].isLowCardinality, types[p].physical == .string {
                dict.append(DictionaryPredicate(position: p, onValues: c.remap([p: 0]), original: c))
            } else {
                rest.append(c)
            }
        }
        dictionary = dict
        self.rest = rest
        encodedPositions = types.indices.filter { types[$0].isLowCardinality && types[$0].physical == .string }
    }

    /// Per-worker cache of predicate outcomes per dictionary: key (predicate, dictionary id).
    struct Cache {
        private var entries: [Key: Outcome] = [:]
        struct Key: Hashable { let predicate: Int; let dictionary: Int }
        /// `pass[code]` for every dictionary value, and the outcome for NULL.
        struct Outcome { let pass: [Bool]; let nullPasses: Bool }

        mutating func outcome(_ k: Int, _ p: DictionaryPredicate, _ codes: DictionaryCodes, type: DataType) throws -> Outcome {
            let key = Key(predicate: k, dictionary: codes.id)
            if let o = entries[key] { return o }
            var pass = [Bool](repeating: false, count: codes.values.count)
            if codes.values.count > 0 {
                let values = Column(type: type, data: .string(codes.values))
                let sel = try Evaluator.select(p.onValues, Block(columns: [values], count: codes.values.count))
                for i in sel { pass[Int(i)] = true }
            }
            var nullPasses = false
            if type.isNullable {
                let nullRow = Column(type: type, data: .string(StringArray(offsets: [0, 0], bytes: [])), validity: [0])
                nullPasses = try !Evaluator.select(p.onValues, Block(columns: [nullRow], count: 1)).isEmpty
            }
            let o = Outcome(pass: pass, nullPasses: nullPasses)
            if entries.count > 4096 { entries.removeAll() }
            entries[key] = o
            return o
        }
    }

    /// Reads `morsel` for `scan`, applying the whole filter. Returns nil when no row survives.
    func read(_ morsel: Morsel, scan: ScanNode, cache: inout Cache) throws -> Block? {
        let part = morsel.part
        if encodedPositions.isEmpty {
            var b = try part.read(columns: scan.columns, granules: morsel.granules)
            return try applyRest(rest, to: &b) ? b : nil
        }
        let schema = scan.table.storage.schema
        var sel: [Int32]? = nil                         // nil: every row so far
        var decoded: [Int: (codes: DictionaryCodes, validity: [UInt8]?)] = [:]
        var fallback: [BoundExpr] = []
        for (k, p) in dictionary.enumerated() {
            let column = scan.columns[p.position]
            let got: (codes: DictionaryCodes, validity: [UInt8]?)
            if let d = decoded[p.position] {
                got = d
            } else if let d = try part.readDictionary(column: column, granules: morsel.granules) {
                got = d
                decoded[p.position] = d
            } else {
                fallback.append(p.original)
                continue
            }
            let o = try cache.outcome(k, p, got.codes, type: schema.columns[column].type)
            sel = Self.select(o, got.codes, got.validity, within: sel)
            if sel!.isEmpty { return nil }
        }
        // The other LowCardinality columns: codes only, decoded after the selection.
        for pos in encodedPositions where decoded[pos] == nil {
            if let d = try part.readDictionary(column: scan.columns[pos], granules: morsel.granules) { decoded[pos] = d }
        }
        // Materialise the surviving rows of every output column.
        let others = scan.columns.indices.filter { decoded[$0] == nil }
        let read = others.isEmpty ? nil : try part.read(columns: others.map { scan.columns[$0] }, granules: morsel.granules)
        let rowCount = read?.count ?? decoded.values.first?.codes.count ?? 0
        var columns = [Column?](repeating: nil, count: scan.columns.count)
        for (i, pos) in others.enumerated() {
            let c = read!.columns[i]
            columns[pos] = sel.map { c.gather($0) } ?? c
        }
        for (pos, d) in decoded {
            let type = schema.columns[scan.columns[pos]].type
            var codes = d.codes
            var validity = d.validity
            if let s = sel {
                codes = s.withUnsafeBufferPointer { codes.gather($0) }
                if let v = validity {
                    let g = s.map { v[Int($0)] }
                    validity = g.contains(0) ? g : nil
                }
            }
            columns[pos] = Column(type: type, data: .string(codes.materialize(validity: validity)), validity: validity, dictionary: codes)
        }
        var b = Block(columns: columns.map { $0! }, count: sel?.count ?? rowCount)
        return try applyRest(fallback + rest, to: &b) ? b : nil
    }

    /// Applies conjuncts in order, gathering after each selective one; false when empty.
    private func applyRest(_ conjuncts: [BoundExpr], to b: inout Block) throws -> Bool {
        for c in conjuncts {
            let sel = try Evaluator.select(c, b)
            if sel.isEmpty { return false }
            if sel.count != b.count { b = b.gather(sel) }
        }
        return true
    }

    /// Rows (of `within`, or of all rows) whose code passes.
    static func select(_ o: Cache.Outcome, _ codes: DictionaryCodes, _ validity: [UInt8]?, within: [Int32]?) -> [Int32] {
        var out: [Int32] = []
        o.pass.withUnsafeBufferPointer { pass in
            func run<T: FixedWidthInteger>(_ a: [T]) {
                a.withUnsafeBufferPointer { c in
                    out.reserveCapacity(within?.count ?? c.count)
                    if let v = validity {
                        let np = o.nullPasses
                        if let w = within {
                            for i in w { let r = Int(i); if v[r] == 0 ? np : pass[Int(c[r])] { out.append(i) } }
                        } else {
                            for r in 0..<c.count where v[r] == 0 ? np : pass[Int(c[r])] { out.append(Int32(r)) }
                        }
                    } else if let w = within {
                        for i in w where pass[Int(c[Int(i)])] { out.append(i) }
                    } else {
                        for r in 0..<c.count where pass[Int(c[r])] { out.append(Int32(r)) }
                    }
                }
            }
            switch codes.codes {
            case .uint8(let a): run(a)
            case .uint16(let a): run(a)
            case .uint32(let a): run(a)
            default: preconditionFailure("dictionary codes must be unsigned integers")
            }
        }
        return out
    }
}
