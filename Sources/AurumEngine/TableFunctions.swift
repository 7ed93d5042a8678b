import AurumCore
import AurumSQL

/// Table functions in FROM: numbers(N), numbers(offset, N), generate_series(a, b[, step]).
enum TableFunctions {
    static func bind(_ f: FunctionCall, binder: Binder) throws -> (Plan, [String]) {
        let external = ExternalSources.provider.flatMap { $0.functions.contains(f.name.last.lowercased()) ? $0 : nil }
        let args = try f.arguments.map { a -> Value in
            // file('x.csv', CSVWithNames): a bare word is a format name, as in ClickHouse
            if external != nil, case .column(let n) = a, n.parts.count == 1 { return .string(n.last) }
            return try Evaluator.constantValue(try binder.bindExpr(a, Scope()))
        }
        func int(_ i: Int) throws -> Int64 {
            guard i < args.count, let v = args[i].asInt64 else {
                throw AurumError(.invalidParameterValue, "\(f.name.last): argument \(i + 1) must be an integer constant")
            }
            return v
        }
        let lname = f.name.last.lowercased()
        if let provider = external {
            let columns = try provider.describe(function: lname, arguments: args)
            let node = ExternalScanNode(function: lname, arguments: args, provider: provider, sourceColumns: columns,
                                        projection: Array(columns.indices))
            return (.external(node), columns.map(\.name))
        }
        switch lname {
        case "numbers", "system.numbers":
            let (start, count): (Int64, Int64) = args.count >= 2 ? (try int(0), try int(1)) : (0, try int(0))
            guard count >= 0, count <= 2_000_000_000 else { throw AurumError(.invalidParameterValue, "numbers(): count out of range") }
            return (.series(SeriesNode(start: start, count: count, step: 1, unsigned: true)), ["number"])
        case "generate_series":
            // a NULL bound gives no rows, as in PostgreSQL
            if args.contains(where: \.isNull) { return (.series(SeriesNode(start: 0, count: 0, step: 1, unsigned: false)), ["generate_series"]) }
            let a = try int(0), b = try int(1)
            let step = args.count >= 3 ? try int(2) : 1
            guard step != 0 else { throw AurumError(.invalidParameterValue, "step size cannot equal zero") }
            let count = max(0, (b - a) / step + 1)
            guard count <= 100_000_000 else { throw AurumError(.invalidParameterValue, "generate_series: too many rows") }
            return (.series(SeriesNode(start: a, count: count, step: step, unsigned: false)), ["generate_series"])
        default:
            if let r = try PGCatalog.tableFunction(f.name.last.lowercased(), args) { return r }
            // a scalar function in FROM: one row, one column (PostgreSQL)
            if FunctionRegistry.exists(f.name.last) {
                let e = try binder.call(f.name.last, args.map { .constant($0, $0.isNull ? .nothing : binder.literalType($0)) }, pos: 0)
                let v = try Evaluator.constantValue(e)
                var b = ColumnBuilder(type: e.type.nullable, capacity: 1)
                b.append(v)
                var c = b.finish()
                c.type = e.type.nullable
                return (.rows(Block(columns: [c], count: 1)), [f.name.last])
            }
            throw AurumError(.undefinedFunction, "table function \(f.name.last) does not exist", hint: "available: numbers(N), generate_series(a, b[, step])")
        }
    }
}
