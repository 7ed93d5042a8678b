import AurumCore

// Arithmetic: plus, minus, multiply, divide, modulo, intDiv, negate.
// Integers compute in Int64 with overflow checks (22003, never silent wrap-around),
// floats in Float64, decimals exactly in Int128 raw units.

enum ArithOp: Sendable { case add, sub, mul, div, mod, intDiv }

private func overflowError(_ op: String) -> AurumError {
    AurumError(.numericValueOutOfRange, "integer out of range in \(op)", hint: "cast an operand to a wider type (e.g. Decimal(38, 0) or Float64)")
}
private let divZero = AurumError(.divisionByZero, "division by zero")

/// Throws `err` if any valid row (both operands valid) has `flag[i]` set.
private func checkFlags(_ flags: [Bool], _ a: Column, _ b: Column, _ err: AurumError) throws {
    for i in 0..<flags.count where flags[i] && isValid(a, i) && isValid(b, i) { throw err }
}

private func intKernel(_ op: ArithOp, name: String) -> ScalarKernel {
    ScalarKernel { args, n in
        let a = args[0].int64Values, b = args[1].int64Values
        var bad = false
        let r: [Int64]
        switch op {
        case .add: r = mapBinary(a, b, n) { x, y in let (s, o) = x.addingReportingOverflow(y); bad = bad || o; return s }
        case .sub: r = mapBinary(a, b, n) { x, y in let (s, o) = x.subtractingReportingOverflow(y); bad = bad || o; return s }
        case .mul: r = mapBinary(a, b, n) { x, y in let (s, o) = x.multipliedReportingOverflow(by: y); bad = bad || o; return s }
        case .mod, .intDiv:
            r = mapBinary(a, b, n) { x, y in
                if y == 0 || (y == -1 && x == .min) { bad = true; return 0 }
                return op == .mod ? x % y : x / y
            }
        case .div: r = []
        }
        if bad {
            let flags: [Bool]
            switch op {
            case .add: flags = mapBinary(a, b, n) { $0.addingReportingOverflow($1).overflow }
            case .sub: flags = mapBinary(a, b, n) { $0.subtractingReportingOverflow($1).overflow }
            case .mul: flags = mapBinary(a, b, n) { $0.multipliedReportingOverflow(by: $1).overflow }
            default:
                try checkFlags(mapBinary(a, b, n) { _, y in y == 0 }, args[0], args[1], divZero)
                flags = mapBinary(a, b, n) { x, y in y == -1 && x == .min }
            }
            try checkFlags(flags, args[0], args[1], overflowError(name))
        }
        return Column(type: .int64, data: .int64(r))
    }
}

private func floatKernel(_ op: ArithOp) -> ScalarKernel {
    ScalarKernel { args, n in
        let a = args[0].doubleValues, b = args[1].doubleValues
        let r: [Double]
        switch op {
        case .add: r = mapBinary(a, b, n, +)
        case .sub: r = mapBinary(a, b, n, -)
        case .mul: r = mapBinary(a, b, n, *)
        case .div:
            var zero = false
            r = mapBinary(a, b, n) { x, y in if y == 0 { zero = true }; return x / y }
            if zero { try checkFlags(mapBinary(a, b, n) { _, y in y == 0 }, args[0], args[1], divZero) }
        case .mod:
            var zero = false
            r = mapBinary(a, b, n) { x, y in if y == 0 { zero = true }; return x.truncatingRemainder(dividingBy: y) }
            if zero { try checkFlags(mapBinary(a, b, n) { _, y in y == 0 }, args[0], args[1], divZero) }
        case .intDiv:
            var zero = false
            r = mapBinary(a, b, n) { x, y in if y == 0 { zero = true }; return (x / y).rounded(.down) }
            if zero { try checkFlags(mapBinary(a, b, n) { _, y in y == 0 }, args[0], args[1], divZero) }
        }
        return Column(type: .float64, data: .float64(r))
    }
}

/// Decimal kernel: operands arrive as decimals with scales sa, sb; result type `rt`.
private func decimalKernel(_ op: ArithOp, sa: Int, sb: Int, rt: DataType) -> ScalarKernel {
    ScalarKernel { args, n in
        let a = Cast.decimalRaw(args[0].data), b = Cast.decimalRaw(args[1].data)
        let rs = rt.decimalScale
        let maxv = DecimalMath.maxRaw(precision: rt.decimalPrecision)
        var bad = false, zero = false
        var r: [Int128]
        switch op {
        case .add, .sub:
            // operands were cast to the result scale
            r = mapBinary(a, b, n) { x, y in
                let (s, o) = op == .add ? x.addingReportingOverflow(y) : x.subtractingReportingOverflow(y)
                if o || s > maxv || s < -maxv { bad = true }
                return s
            }
        case .mul:
            r = mapBinary(a, b, n) { x, y in
                let (s, o) = x.multipliedReportingOverflow(by: y)
                if o || s > maxv || s < -maxv { bad = true }
                return s
            }
        case .div:
            // result = a / b at scale rs: (a * 10^(rs - sa + sb)) / b, rounded half away from zero
            let shift = rs - sa + sb
            r = mapBinary(a, b, n) { x, y in
                if y == 0 { zero = true; return 0 }
                if shift >= 0 {
                    let (m, o) = x.multipliedReportingOverflow(by: DecimalMath.pow10[shift])
                    if o { bad = true; return 0 }
                    return DecimalMath.divRound(m, y)
                }
                return DecimalMath.divRound(x, y * DecimalMath.pow10[-shift])
            }
        case .mod:
            r = mapBinary(a, b, n) { x, y in if y == 0 { zero = true; return 0 }; return x % y }
        case .intDiv:
            r = mapBinary(a, b, n) { x, y in if y == 0 { zero = true; return 0 }; return x / y }
        }
        if zero { try checkFlags(mapBinary(b, b, n) { y, _ in y == 0 }, args[0], args[1], divZero) }
        if bad {
            for i in 0..<n where isValid(args[0], i) && isValid(args[1], i) {
                let x = a[a.count == 1 ? 0 : i], y = b[b.count == 1 ? 0 : i]
                var over = false
                switch op {
                case .add, .sub:
                    let (s, o) = op == .add ? x.addingReportingOverflow(y) : x.subtractingReportingOverflow(y)
                    over = o || s > maxv || s < -maxv
                case .mul:
                    let (s, o) = x.multipliedReportingOverflow(by: y)
                    over = o || s > maxv || s < -maxv
                case .div: over = y != 0 && (rs - sa + sb) >= 0 && x.multipliedReportingOverflow(by: DecimalMath.pow10[rs - sa + sb]).overflow
                default: break
                }
                if over { throw AurumError(.numericValueOutOfRange, "decimal result out of range for \(rt.plain)", hint: "cast to a Decimal with more precision or to Float64") }
            }
        }
        if op == .intDiv {
            return Column(type: .int64, data: .int64(r.map { Int64(truncatingIfNeeded: $0) }))
        }
        return Column(type: rt, data: Cast.makeDecimal(r, rt))
    }
}

/// Resolves arithmetic on numeric types (temporal arithmetic is handled by the binder).
func resolveArithmetic(_ op: ArithOp, _ name: String, _ args: [DataType]) throws -> ResolvedFunction {
    try FunctionRegistry.argCount(name, args, 2...2)
    let a = args[0], b = args[1]
    func numericish(_ t: DataType) -> Bool { t.isNumeric || t.base == .bool || t.base == .nothing }
    guard numericish(a), numericish(b) else { throw FunctionRegistry.typeError(name, args) }
    let nullable = a.isNullable || b.isNullable
    func fn(_ rt: DataType, _ k: ScalarKernel) -> BoundFunction {
        BoundFunction(name: name, returnType: nullable ? rt.nullable : rt, kernel: k, nulls: .propagate)
    }
    if a.isFloat || b.isFloat || (op == .div && !a.isDecimal && !b.isDecimal) {
        return ResolvedFunction(argumentTypes: [.float64, .float64], function: fn(.float64, floatKernel(op)))
    }
    if a.isDecimal || b.isDecimal {
        let da = TypeRules.asDecimal(a.base == .nothing ? b : a), db = TypeRules.asDecimal(b.base == .nothing ? a : b)
        let sa = da.decimalScale, sb = db.decimalScale
        let ia = TypeRules.integerDigits(da), ib = TypeRules.integerDigits(db)
        switch op {
        case .add, .sub:
            let s = max(sa, sb)
            let rt = DataType.decimal(min(38, max(ia, ib) + s + 1), s)
            let at = DataType.decimal(min(38, ia + s), s), bt = DataType.decimal(min(38, ib + s), s)
            return ResolvedFunction(argumentTypes: [at, bt], function: fn(rt, decimalKernel(op, sa: s, sb: s, rt: rt)))
        case .mul:
            let s = sa + sb
            guard s <= 38 else { throw AurumError(.numericValueOutOfRange, "decimal scale \(s) of the product exceeds 38", hint: "cast an operand to a smaller scale") }
            let rt = DataType.decimal(min(38, max(s, da.decimalPrecision + db.decimalPrecision)), s)
            return ResolvedFunction(argumentTypes: [da, db], function: fn(rt, decimalKernel(op, sa: sa, sb: sb, rt: rt)))
        case .div:
            let s = max(6, sa, sb)
            let rt = DataType.decimal(38, min(s, 38))
            return ResolvedFunction(argumentTypes: [da, db], function: fn(rt, decimalKernel(op, sa: sa, sb: sb, rt: rt)))
        case .mod:
            let s = max(sa, sb)
            let rt = DataType.decimal(min(38, max(ia, ib) + s), s)
            return ResolvedFunction(argumentTypes: [.decimal(min(38, ia + s), s), .decimal(min(38, ib + s), s)],
                                    function: fn(rt, decimalKernel(op, sa: s, sb: s, rt: rt)))
        case .intDiv:
            let s = max(sa, sb)
            return ResolvedFunction(argumentTypes: [.decimal(min(38, ia + s), s), .decimal(min(38, ib + s), s)],
                                    function: fn(.int64, decimalKernel(op, sa: s, sb: s, rt: .decimal(38, s))))
        }
    }
    // ClickHouse result types for + - * of integers narrower than 64 bits: the next wider type
    // (UInt8 + UInt8 -> UInt16, Int32 * Int32 -> Int64; a difference or a mixed-sign operation is
    // signed). The Int64 result always fits; 64-bit operands give Int64 as before.
    func width(_ t: DataType) -> Int {
        switch t.base { case .bool, .int8, .uint8: 1; case .int16, .uint16: 2; case .int32, .uint32: 4; default: 8 }
    }
    let w = max(width(a), width(b))
    if w < 8 && (op == .add || op == .sub || op == .mul) {
        let unsigned = op != .sub && (a.isUnsignedInteger || a.base == .bool) && (b.isUnsignedInteger || b.base == .bool)
        let rt: DataType = switch w { case 1: unsigned ? .uint16 : .int16; case 2: unsigned ? .uint32 : .int32; default: unsigned ? .uint64 : .int64 }
        let k = intKernel(op, name: name)
        return ResolvedFunction(argumentTypes: [.int64, .int64], function: fn(rt, ScalarKernel { c, n in
            let r = try k.run(c, n)
            return Column(type: rt, data: integerData(r.int64Values.map { Int128($0) }, rt), validity: r.validity)
        }))
    }
    return ResolvedFunction(argumentTypes: [.int64, .int64], function: fn(.int64, intKernel(op, name: name)))
}

let arithmeticFunctions: [([String], ScalarResolver)] = [
    (["plus"], { n, a in try resolveArithmetic(.add, n, a) }),
    (["minus"], { n, a in try resolveArithmetic(.sub, n, a) }),
    (["multiply"], { n, a in try resolveArithmetic(.mul, n, a) }),
    (["divide"], { n, a in try resolveArithmetic(.div, n, a) }),
    (["modulo", "mod"], { n, a in try resolveArithmetic(.mod, n, a) }),
    (["intDiv", "div"], { n, a in try resolveArithmetic(.intDiv, n, a) }),
    (["negate"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...1)
        let t = a[0]
        if t.isFloat {
            return ResolvedFunction(argumentTypes: [.float64], function: BoundFunction(name: name, returnType: FunctionRegistry.nullableIf(.float64, a),
                kernel: ScalarKernel { c, n in Column(type: .float64, data: .float64(mapUnary(c[0].doubleValues, n) { -$0 })) }, nulls: .propagate))
        }
        if t.isDecimal {
            let dt = t.plain
            return ResolvedFunction(argumentTypes: [dt], function: BoundFunction(name: name, returnType: FunctionRegistry.nullableIf(dt, a),
                kernel: ScalarKernel { c, n in Column(type: dt, data: Cast.makeDecimal(mapUnary(Cast.decimalRaw(c[0].data), n) { -$0 }, dt)) }, nulls: .propagate))
        }
        guard t.isInteger || t.base == .nothing else { throw FunctionRegistry.typeError(name, a) }
        return ResolvedFunction(argumentTypes: [.int64], function: BoundFunction(name: name, returnType: FunctionRegistry.nullableIf(.int64, a),
            kernel: ScalarKernel { c, n in
                let v = c[0].int64Values
                for i in 0..<v.count where v[i] == .min && isValid(c[0], i) { throw overflowError("negate") }
                return Column(type: .int64, data: .int64(mapUnary(v, n) { 0 &- $0 }))
            }, nulls: .propagate))
    }),
]
