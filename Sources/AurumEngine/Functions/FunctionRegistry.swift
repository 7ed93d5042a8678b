import AurumCore

/// The outcome of resolving a scalar function for argument types: the types the arguments
/// must be cast to, and the bound function.
struct ResolvedFunction: Sendable {
    var argumentTypes: [DataType]
    var function: BoundFunction
}

typealias ScalarResolver = @Sendable (_ name: String, _ args: [DataType]) throws -> ResolvedFunction

/// Scalar function registry: lowercased name -> resolver. Function files register themselves
/// in `FunctionRegistry.all` (see Functions+*.swift).
enum FunctionRegistry {
    static let table: [String: ScalarResolver] = {
        var t: [String: ScalarResolver] = [:]
        for (names, r) in arithmeticFunctions + conditionalFunctions + extraFunctions {
            for n in names { t[n.lowercased()] = r }
        }
        return t
    }()

    static func resolve(_ name: String, _ args: [DataType]) throws -> ResolvedFunction? {
        guard let r = table[name.lowercased()] else { return nil }
        return try r(name, args)
    }

    static func exists(_ name: String) -> Bool { table[name.lowercased()] != nil }

    // MARK: helpers for function definitions

    static func argCount(_ name: String, _ args: [DataType], _ range: ClosedRange<Int>) throws {
        guard range.contains(args.count) else {
            let want = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
            throw AurumError(.undefinedFunction, "function \(name) expects \(want) argument(s), got \(args.count)",
                             hint: "check the function's signature in docs/sql.md")
        }
    }

    static func typeError(_ name: String, _ args: [DataType]) -> AurumError {
        AurumError(.undefinedFunction, "function \(name)(\(args.map { $0.plain.description }.joined(separator: ", "))) does not exist",
                   hint: "no overload matches these argument types; you may need an explicit cast")
    }

    /// Result type nullable when any argument is nullable (for propagating functions).
    static func nullableIf(_ t: DataType, _ args: [DataType]) -> DataType {
        var r = t
        if args.contains(where: { $0.isNullable }) { r.isNullable = true }
        return r
    }
}

// MARK: - Generic kernel builders (broadcast-aware)

@inline(__always)
func mapUnary<A, R>(_ a: [A], _ n: Int, _ f: (A) -> R) -> [R] {
    a.withUnsafeBufferPointer { p in
        [R](unsafeUninitializedCapacity: n) { out, k in
            if p.count == n { for i in 0..<n { (out.baseAddress! + i).initialize(to: f(p[i])) } }
            else { let v = f(p[0]); for i in 0..<n { (out.baseAddress! + i).initialize(to: v) } }
            k = n
        }
    }
}

@inline(__always)
func mapBinary<A, B, R>(_ a: [A], _ b: [B], _ n: Int, _ f: (A, B) -> R) -> [R] {
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            [R](unsafeUninitializedCapacity: n) { out, k in
                let o = out.baseAddress!
                if pa.count == n && pb.count == n {
                    for i in 0..<n { (o + i).initialize(to: f(pa[i], pb[i])) }
                } else if pb.count == 1 && pa.count == n {
                    let c = pb[0]
                    for i in 0..<n { (o + i).initialize(to: f(pa[i], c)) }
                } else if pa.count == 1 && pb.count == n {
                    let c = pa[0]
                    for i in 0..<n { (o + i).initialize(to: f(c, pb[i])) }
                } else {
                    for i in 0..<n { (o + i).initialize(to: f(pa[pa.count == 1 ? 0 : i], pb[pb.count == 1 ? 0 : i])) }
                }
                k = n
            }
        }
    }
}

/// Row i of a possibly-broadcast column is valid.
@inline(__always)
func isValid(_ c: Column, _ i: Int) -> Bool {
    guard let v = c.validity else { return true }
    return v[c.count == 1 ? 0 : i] != 0
}

extension Column {
    /// The Int64 view of an integer/temporal column (convenience for kernels).
    var int64Values: [Int64] { Cast.int64s(data) }
    var doubleValues: [Double] { Cast.doubles(data) }
    var strings: StringArray {
        if case .string(let s) = data { return s }
        preconditionFailure("expected a String column, got \(type)")
    }
}
