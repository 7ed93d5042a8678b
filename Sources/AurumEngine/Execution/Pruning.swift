import AurumCore
import AurumStorage

/// Granule skipping: from the scan filter's conjuncts of the form `column op constant`
/// (and IN lists), drop granules whose min/max cannot satisfy them, then cut the remaining
/// granules of each part into morsels.
enum Pruning {
    struct Bound { var column: Int; var op: CompareOp; var value: Value }

    static func bounds(_ filter: BoundExpr?) -> [Bound] {
        guard let filter else { return [] }
        var out: [Bound] = []
        for c in filter.conjuncts {
            if case .compare(let op, let a, let b) = c {
                if case .column(let i, _) = a, case .constant(let v, _) = b, !v.isNull { out.append(Bound(column: i, op: op, value: v)) }
                else if case .column(let i, _) = b, case .constant(let v, _) = a, !v.isNull { out.append(Bound(column: i, op: op.flipped, value: v)) }
            }
        }
        return out
    }

    static func morsels(_ scan: ScanNode, granulesPerMorsel: Int) throws -> [Morsel] {
        let bs = bounds(scan.filter).filter { $0.op != .ne }
        var out: [Morsel] = []
        for part in scan.snapshot.parts {
            let gc = part.granuleCount
            if gc == 0 { continue }
            var keep = [Bool](repeating: true, count: gc)
            for b in bs {
                guard let stats = part.granuleStats(column: scan.columns[b.column]) else { continue }
                for g in 0..<gc where keep[g] {
                    if stats.allNull(g) { keep[g] = false; continue }
                    let lo = stats.mins.value(at: g), hi = stats.maxs.value(at: g)
                    if lo.isNull || hi.isNull { continue }
                    let cl = compareValues(b.value, lo), ch = compareValues(b.value, hi)
                    switch b.op {
                    case .eq: if cl < 0 || ch > 0 { keep[g] = false }
                    case .lt: if cl <= 0 { keep[g] = false }      // need x < v, min >= v
                    case .le: if cl < 0 { keep[g] = false }
                    case .gt: if ch >= 0 { keep[g] = false }      // need x > v, max <= v
                    case .ge: if ch > 0 { keep[g] = false }
                    case .ne: break
                    }
                }
            }
            var g = 0
            while g < gc {
                if !keep[g] { g += 1; continue }
                var e = g
                while e < gc && keep[e] && e - g < granulesPerMorsel { e += 1 }
                out.append(Morsel(part: part, granules: g..<e))
                g = e
            }
        }
        return out
    }
}
