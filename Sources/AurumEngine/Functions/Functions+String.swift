import AurumCore

// String functions. Kernels work on the offsets + bytes of `StringArray` inside one unsafe scope
// per column; a Swift String is built per row only for non-ASCII case mapping and for rare paths.
//
// Decisions (documented in docs/sql.md):
// - length/octet_length count bytes (ClickHouse); char_length/character_length/lengthUTF8 count
//   characters (PostgreSQL). Lengths and positions are Int64.
// - substring/substr/mid, left, right, position/strpos/locate, reverse, lpad/rpad count characters
//   (UTF-8 code points), as PostgreSQL does, so multi-byte text is never split. substring follows
//   DuckDB for offsets <= 0 and negative lengths (negative offset counts from the end).
// - locate(needle, haystack) takes MySQL's argument order (as current ClickHouse does);
//   position(haystack, needle) and strpos(haystack, needle) take the haystack first.
// - splitByChar returns text like ['a','b'] (Aurum has no Array type yet).
// - LIKE: % and _ with backslash escape; `_` matches one UTF-8 character; ILIKE folds ASCII case.
// - concat: any NULL argument gives NULL (ClickHouse); concat_ws skips NULLs (PostgreSQL).

/// Borrowed view of a (possibly broadcast) string column inside one unsafe scope.
struct StrView {
    let bytes: UnsafeBufferPointer<UInt8>
    let offsets: UnsafeBufferPointer<UInt32>
    let single: Bool

    @inline(__always) subscript(i: Int) -> UnsafeBufferPointer<UInt8> {
        let k = single ? 0 : i
        let a = Int(offsets[k]), b = Int(offsets[k + 1])
        guard b > a else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: bytes.baseAddress! + a, count: b - a)
    }
}

@inline(__always)
func withStrView<R>(_ c: Column, _ body: (StrView) throws -> R) rethrows -> R {
    let s = c.strings
    return try s.bytes.withUnsafeBufferPointer { b in
        try s.offsets.withUnsafeBufferPointer { o in try body(StrView(bytes: b, offsets: o, single: c.count == 1)) }
    }
}

extension StringArray {
    /// Appends bytes and closes the row.
    @inline(__always) mutating func appendRow(_ p: UnsafeBufferPointer<UInt8>) {
        if p.count > 0 { bytes.append(contentsOf: p) }
        offsets.append(UInt32(truncatingIfNeeded: bytes.count))
    }
    @inline(__always) mutating func closeRow() { offsets.append(UInt32(truncatingIfNeeded: bytes.count)) }
}

/// Builds a string column of n rows; `f` appends row i's bytes to `out`.
@inline(__always)
func buildStrings(_ n: Int, reserve: Int, _ f: (Int, inout [UInt8]) throws -> Void) rethrows -> StringArray {
    var out = StringArray()
    out.offsets.reserveCapacity(n + 1)
    out.bytes.reserveCapacity(reserve)
    for i in 0..<n {
        try f(i, &out.bytes)
        out.closeRow()
    }
    return out
}

@inline(__always) func isContinuation(_ b: UInt8) -> Bool { b & 0xC0 == 0x80 }

/// Number of UTF-8 characters.
@inline(__always)
func charCount(_ p: UnsafeBufferPointer<UInt8>) -> Int {
    var n = 0
    for b in p where !isContinuation(b) { n &+= 1 }
    return n
}

/// Byte offset of character `k` (0-based); p.count when k is at or past the end.
@inline(__always)
func byteOffset(ofChar k: Int, _ p: UnsafeBufferPointer<UInt8>) -> Int {
    if k <= 0 { return 0 }
    var chars = 0
    var i = 0
    while i < p.count {
        if !isContinuation(p[i]) {
            if chars == k { return i }
            chars &+= 1
        }
        i &+= 1
    }
    return p.count
}

@inline(__always) func isASCII(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
    var acc: UInt8 = 0
    for b in p { acc |= b }
    return acc < 0x80
}

/// Byte offset of the first occurrence of `needle` in `hay` at or after `from`, or nil.
@inline(__always)
func find(_ hay: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>, from: Int = 0) -> Int? {
    let m = needle.count
    if m == 0 { return from <= hay.count ? from : nil }
    if hay.count - from < m { return nil }
    let first = needle[0]
    var i = from
    let last = hay.count - m
    while i <= last {
        if hay[i] == first {
            var k = 1
            while k < m && hay[i + k] == needle[k] { k &+= 1 }
            if k == m { return i }
        }
        i &+= 1
    }
    return nil
}

@inline(__always) func hasPrefix(_ s: UnsafeBufferPointer<UInt8>, _ p: UnsafeBufferPointer<UInt8>) -> Bool {
    guard s.count >= p.count else { return false }
    for k in 0..<p.count where s[k] != p[k] { return false }
    return true
}
@inline(__always) func hasSuffix(_ s: UnsafeBufferPointer<UInt8>, _ p: UnsafeBufferPointer<UInt8>) -> Bool {
    guard s.count >= p.count else { return false }
    let o = s.count - p.count
    for k in 0..<p.count where s[o + k] != p[k] { return false }
    return true
}

private func stringArg(_ t: DataType) -> Bool { t.isString || t.base == .nothing }
private func intArg(_ t: DataType) -> Bool { t.isInteger || t.base == .nothing || t.base == .bool }

private func tooLong(_ fn: String) -> AurumError {
    AurumError(SQLState("54000"), "\(fn): result string too long", hint: "the result of one row is limited to 1 GB")
}
private let maxResultBytes = 1 << 30

// MARK: - Case mapping

private func mapCase(_ c: Column, _ n: Int, upper: Bool) -> StringArray {
    let s = c.strings
    // Whole-column ASCII check first: then one byte loop for all rows.
    let ascii = s.bytes.withUnsafeBufferPointer { isASCII($0) }
    if ascii {
        var out = s
        out.bytes.withUnsafeMutableBufferPointer { b in
            if upper { for i in 0..<b.count where b[i] &- 97 < 26 { b[i] &-= 32 } }
            else { for i in 0..<b.count where b[i] &- 65 < 26 { b[i] &+= 32 } }
        }
        return out
    }
    return withStrView(c) { v in
        buildStrings(n, reserve: s.bytes.count) { i, out in
            let p = v[i]
            if isASCII(p) {
                for b in p { out.append(upper ? (b &- 97 < 26 ? b &- 32 : b) : (b &- 65 < 26 ? b &+ 32 : b)) }
            } else {
                let str = String(decoding: p, as: UTF8.self)
                out.append(contentsOf: (upper ? str.uppercased() : str.lowercased()).utf8)
            }
        }
    }
}

// MARK: - substring family

/// DuckDB's substring window in characters: returns (start, end) 0-based, end exclusive.
@inline(__always)
func substringWindow(size: Int, offset: Int64, length: Int64) -> (Int, Int)? {
    var len = length
    if len == 0 { return nil }
    let sz = Int64(size)
    var start: Int64
    if offset > 0 { start = min(sz, offset - 1) }
    else if offset < 0 { start = max(sz + offset, 0) }
    else {
        start = 0
        len = len == .max ? len : len - 1
        if len <= 0 { return nil }
    }
    var end: Int64
    if len > 0 {
        let (e, o) = start.addingReportingOverflow(len)
        end = o ? sz : min(sz, e)
    } else {
        end = start
        start = max(0, start + len)
    }
    if start >= end { return nil }
    return (Int(start), Int(end))
}

private func substringKernel(_ c: [Column], _ n: Int) -> Column {
    let offsets = c[1].int64Values
    let lengths = c.count > 2 ? c[2].int64Values : [Int64.max]
    let total = c[0].strings.bytes.count
    let ascii = c[0].strings.bytes.withUnsafeBufferPointer { isASCII($0) }
    let out = withStrView(c[0]) { v in
        buildStrings(n, reserve: min(total, n * 16)) { i, out in
            let p = v[i]
            let off = offsets[offsets.count == 1 ? 0 : i], len = lengths[lengths.count == 1 ? 0 : i]
            let size = ascii ? p.count : charCount(p)
            guard let (s, e) = substringWindow(size: size, offset: off, length: len) else { return }
            let bs = ascii ? s : byteOffset(ofChar: s, p)
            let be = ascii ? e : byteOffset(ofChar: e, p)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: p[bs..<be]))
        }
    }
    return Column(type: .string, data: .string(out))
}

/// left(s, n) / right(s, n) in characters; a negative n drops |n| characters from the other end.
private func leftRightKernel(_ c: [Column], _ n: Int, left: Bool) -> Column {
    let counts = c[1].int64Values
    let out = withStrView(c[0]) { v in
        buildStrings(n, reserve: n * 8) { i, out in
            let p = v[i]
            let k = counts[counts.count == 1 ? 0 : i]
            let size = charCount(p)
            let keep = k >= 0 ? min(Int64(size), k) : max(0, Int64(size) + k)
            let chars = Int(keep)
            if left {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: p[0..<byteOffset(ofChar: chars, p)]))
            } else {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: p[byteOffset(ofChar: size - chars, p)...]))
            }
        }
    }
    return Column(type: .string, data: .string(out))
}

// MARK: - Trim

/// The set of characters to trim: ASCII bytes in a table, or Unicode scalars for non-ASCII sets.
private struct TrimSet {
    var table = [Bool](repeating: false, count: 256)
    var scalars: Set<Unicode.Scalar>? = nil
    init(_ chars: String) {
        if chars.utf8.allSatisfy({ $0 < 0x80 }) { for b in chars.utf8 { table[Int(b)] = true } }
        else { scalars = Set(chars.unicodeScalars) }
    }
}

private func trimKernel(_ c: [Column], _ n: Int, leading: Bool, trailing: Bool, name: String) throws -> Column {
    var set = TrimSet(" ")
    if c.count == 2 {
        guard let chars = try constantText(c[1], function: name, argument: "characters") else { return zeroColumn(.string, n) }
        set = TrimSet(chars)
    }
    let table = set.table
    let scalars = set.scalars
    let out = withStrView(c[0]) { v in
        buildStrings(n, reserve: c[0].strings.bytes.count) { i, out in
            let p = v[i]
            if let scalars {
                var u = Array(String(decoding: p, as: UTF8.self).unicodeScalars)[...]
                if leading { while let f = u.first, scalars.contains(f) { u = u.dropFirst() } }
                if trailing { while let l = u.last, scalars.contains(l) { u = u.dropLast() } }
                var s = String.UnicodeScalarView()
                s.append(contentsOf: u)
                out.append(contentsOf: String(s).utf8)
                return
            }
            var a = 0, b = p.count
            if leading { while a < b && table[Int(p[a])] { a += 1 } }
            if trailing { while b > a && table[Int(p[b - 1])] { b -= 1 } }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: p[a..<b]))
        }
    }
    return Column(type: .string, data: .string(out))
}

// MARK: - LIKE

/// A compiled LIKE pattern. Fast paths for exact, prefix%, %suffix and %infix%; the general case
/// is the classic two-pointer wildcard match with backtracking to the last %.
struct LikePattern: Sendable {
    enum Kind: Sendable { case exact, prefix, suffix, infix, prefixSuffix, general, any }
    /// Pattern elements for the general matcher: literal byte, one character, any sequence.
    enum Element: Sendable, Equatable { case byte(UInt8), one, many }
    var kind: Kind
    var literal: [UInt8] = []
    var literal2: [UInt8] = []
    var elements: [Element] = []
    let caseInsensitive: Bool

    init(_ pattern: UnsafeBufferPointer<UInt8>, caseInsensitive ci: Bool) {
        caseInsensitive = ci
        var els: [Element] = []
        var i = 0
        while i < pattern.count {
            let b = pattern[i]
            if b == 92 && i + 1 < pattern.count { els.append(.byte(ci ? lowerASCII(pattern[i + 1]) : pattern[i + 1])); i += 2; continue }
            if b == 37 { if els.last != .many { els.append(.many) } }
            else if b == 95 { els.append(.one) }
            else { els.append(.byte(ci ? lowerASCII(b) : b)) }
            i += 1
        }
        elements = els
        let hasOne = els.contains(.one)
        let manyCount = els.filter { $0 == .many }.count
        func bytes(_ s: ArraySlice<Element>) -> [UInt8] { s.map { if case .byte(let b) = $0 { return b }; return 0 } }
        kind = .general
        if hasOne { return }
        if manyCount == 0 { kind = .exact; literal = bytes(els[...]) }
        else if els == [.many] { kind = .any }
        else if manyCount == 1 && els.last == .many { kind = .prefix; literal = bytes(els.dropLast()) }
        else if manyCount == 1 && els.first == .many { kind = .suffix; literal = bytes(els.dropFirst()) }
        else if manyCount == 2 && els.first == .many && els.last == .many { kind = .infix; literal = bytes(els.dropFirst().dropLast()) }
        else if manyCount == 1, let m = els.firstIndex(of: .many) {
            kind = .prefixSuffix; literal = bytes(els[..<m]); literal2 = bytes(els[(m + 1)...])
        }
    }

    @inline(__always) func matches(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        if caseInsensitive && kind != .any {
            // Fold the subject's ASCII case into a small buffer (patterns were folded at compile time).
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, s.count)) { buf in
                for k in 0..<s.count { buf[k] = lowerASCII(s[k]) }
                return matchFolded(UnsafeBufferPointer(rebasing: buf[0..<s.count]))
            }
        }
        return matchFolded(s)
    }

    @inline(__always) private func matchFolded(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        switch kind {
        case .any: return true
        case .exact:
            return literal.withUnsafeBufferPointer { l in s.count == l.count && hasPrefix(s, l) }
        case .prefix: return literal.withUnsafeBufferPointer { hasPrefix(s, $0) }
        case .suffix: return literal.withUnsafeBufferPointer { hasSuffix(s, $0) }
        case .infix: return literal.withUnsafeBufferPointer { find(s, $0) != nil }
        case .prefixSuffix:
            return literal.withUnsafeBufferPointer { a in
                literal2.withUnsafeBufferPointer { b in s.count >= a.count + b.count && hasPrefix(s, a) && hasSuffix(s, b) }
            }
        case .general: return elements.withUnsafeBufferPointer { general(s, $0) }
        }
    }

    private func general(_ s: UnsafeBufferPointer<UInt8>, _ p: UnsafeBufferPointer<Element>) -> Bool {
        var si = 0, pi = 0
        var starP = -1, starS = 0
        @inline(__always) func nextChar(_ i: Int) -> Int {
            var j = i + 1
            while j < s.count && isContinuation(s[j]) { j += 1 }
            return j
        }
        while si < s.count {
            if pi < p.count {
                switch p[pi] {
                case .many:
                    starP = pi; starS = si; pi += 1
                    continue
                case .one:
                    si = nextChar(si); pi += 1
                    continue
                case .byte(let b):
                    if b == s[si] { si += 1; pi += 1; continue }
                }
            }
            guard starP >= 0 else { return false }
            pi = starP + 1
            starS = nextChar(starS)
            si = starS
        }
        while pi < p.count && p[pi] == .many { pi += 1 }
        return pi == p.count
    }
}

@inline(__always) func lowerASCII(_ b: UInt8) -> UInt8 { b &- 65 < 26 ? b &+ 32 : b }

private func likeKernel(_ c: [Column], _ n: Int, ci: Bool, negate: Bool) -> Column {
    let pat = c[1]
    var out = [UInt8](repeating: 0, count: n)
    guard n > 0 else { return Column(type: .bool, data: .uint8(out)) }
    withStrView(c[0]) { v in
        withStrView(pat) { pv in
            if pat.count == 1 || n == 1 {
                let compiled = LikePattern(pv[0], caseInsensitive: ci)
                for i in 0..<n { out[i] = compiled.matches(v[i]) != negate ? 1 : 0 }
            } else {
                // Per-row patterns: recompile only when the pattern changes.
                var last: [UInt8] = []
                var compiled = LikePattern(pv[0], caseInsensitive: ci)
                last = Array(pv[0])
                for i in 0..<n {
                    let p = pv[i]
                    if !(p.count == last.count && last.withUnsafeBufferPointer { hasPrefix(p, $0) }) {
                        compiled = LikePattern(p, caseInsensitive: ci)
                        last = Array(p)
                    }
                    out[i] = compiled.matches(v[i]) != negate ? 1 : 0
                }
            }
        }
    }
    return Column(type: .bool, data: .uint8(out))
}

// MARK: - toString

/// Text form of any column (Value.description semantics); integers, strings, dates and
/// timestamps are formatted without a Value per row.
func textColumn(_ c: Column, _ n: Int) -> StringArray {
    switch c.type.base {
    case .string: return c.strings
    case .int8, .int16, .int32, .int64:
        let v = c.int64Values
        return buildStrings(n, reserve: n * 8) { i, out in
            let x = v[i]
            if x == .min { out.append(contentsOf: String(x).utf8) } else { appendNumber(&out, Int(x), width: 1) }
        }
    case .uint8, .uint16, .uint32:
        let v = c.int64Values
        return buildStrings(n, reserve: n * 6) { i, out in appendNumber(&out, Int(v[i]), width: 1) }
    case .bool:
        guard case .uint8(let v) = c.data else { break }
        return buildStrings(n, reserve: n * 5) { i, out in out.append(contentsOf: v[i] != 0 ? [116, 114, 117, 101] : [102, 97, 108, 115, 101]) }
    case .date:
        let v = c.int64Values
        return buildStrings(n, reserve: n * 10) { i, out in
            let d = Temporal.civil(Int(v[i]))
            appendNumber(&out, d.year, width: 4); out.append(45); appendNumber(&out, d.month, width: 2); out.append(45); appendNumber(&out, d.day, width: 2)
        }
    case .dateTime, .dateTime64:
        var p = 0
        if case .dateTime64(let x) = c.type.base { p = x }
        let v = c.int64Values
        let k = Temporal.pow10[p]
        return buildStrings(n, reserve: n * (20 + p)) { i, out in
            let t = CivilTime(ticks: v[i], ticksPerSecond: k)
            appendNumber(&out, t.year, width: 4); out.append(45); appendNumber(&out, t.month, width: 2); out.append(45)
            appendNumber(&out, t.day, width: 2); out.append(32); appendNumber(&out, t.hour, width: 2); out.append(58)
            appendNumber(&out, t.minute, width: 2); out.append(58); appendNumber(&out, t.second, width: 2)
            if p > 0 { out.append(46); appendNumber(&out, Int(t.fraction), width: p) }
        }
    default: break
    }
    var out = StringArray()
    for i in 0..<n { out.append(c.isNull(i) ? "" : Value.decode(c.data, at: i, type: c.type.plain).description) }
    return out
}

// MARK: - Resolvers

private func unaryString(_ rt: DataType, _ k: @escaping @Sendable (Column, Int) throws -> Column) -> ScalarResolver {
    { name, a in
        try FunctionRegistry.argCount(name, a, 1...1)
        guard stringArg(a[0]) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string], returns: rt) { c, n in try k(c[0], n) }
    }
}

private func lengths(_ c: Column, _ n: Int, chars: Bool) -> Column {
    let s = c.strings
    if !chars {
        return Column(type: .int64, data: .int64(s.offsets.withUnsafeBufferPointer { o in
            (0..<n).map { i in Int64(o[i + 1] &- o[i]) }
        }))
    }
    return withStrView(c) { v in Column(type: .int64, data: .int64((0..<n).map { Int64(charCount(v[$0])) })) }
}

private func predicate2(_ c: [Column], _ n: Int, _ f: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Bool) -> Column {
    var out = [UInt8](repeating: 0, count: n)
    withStrView(c[0]) { a in withStrView(c[1]) { b in for i in 0..<n { out[i] = f(a[i], b[i]) ? 1 : 0 } } }
    return Column(type: .bool, data: .uint8(out))
}

private func padKernel(_ c: [Column], _ n: Int, left: Bool, name: String) throws -> Column {
    let lens = c[1].int64Values
    for i in 0..<lens.count where lens[i] > Int64(maxResultBytes) && isValid(c[1], i) { throw tooLong(name) }
    let out = withStrView(c[0]) { v in
        withStrView(c.count > 2 ? c[2] : Column(type: .string, data: .string(StringArray([" "])))) { fv in
            buildStrings(n, reserve: n * 8) { i, out in
                let p = v[i], fill = fv[i]
                let target = max(0, Int(lens[lens.count == 1 ? 0 : i]))
                let size = charCount(p)
                if size >= target || fill.count == 0 {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: p[0..<byteOffset(ofChar: min(size, target), p)]))
                    return
                }
                let need = target - size
                let fillChars = charCount(fill)
                func appendFill() {
                    var k = 0
                    while k + fillChars <= need { out.append(contentsOf: fill); k += fillChars }
                    if k < need { out.append(contentsOf: UnsafeBufferPointer(rebasing: fill[0..<byteOffset(ofChar: need - k, fill)])) }
                }
                if left { appendFill(); out.append(contentsOf: p) } else { out.append(contentsOf: p); appendFill() }
            }
        }
    }
    return Column(type: .string, data: .string(out))
}

private func replaceKernel(_ c: [Column], _ n: Int, all: Bool) -> Column {
    let out = withStrView(c[0]) { v in
        withStrView(c[1]) { fv in
            withStrView(c[2]) { tv in
                buildStrings(n, reserve: c[0].strings.bytes.count) { i, out in
                    let s = v[i], from = fv[i], to = tv[i]
                    if from.count == 0 { out.append(contentsOf: s); return }
                    var pos = 0
                    while let k = find(s, from, from: pos) {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: s[pos..<k]))
                        out.append(contentsOf: to)
                        pos = k + from.count
                        if !all { break }
                    }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: s[pos...]))
                }
            }
        }
    }
    return Column(type: .string, data: .string(out))
}

/// 1-based character position of needle in haystack at or after character `start` (0 when absent).
private func positionKernel(_ hay: Column, _ needle: Column, _ start: Column?, _ n: Int) -> Column {
    let starts = start?.int64Values ?? [1]
    var out = [Int64](repeating: 0, count: n)
    withStrView(hay) { h in
        withStrView(needle) { nd in
            for i in 0..<n {
                let s = h[i]
                let st = starts[starts.count == 1 ? 0 : i]
                if st < 1 { continue }
                let from = byteOffset(ofChar: Int(st - 1), s)
                if st > 1 && from == s.count && nd[i].count > 0 { continue }
                if st - 1 > Int64(charCount(s)) { continue }
                if let k = find(s, nd[i], from: from) {
                    out[i] = Int64(charCount(UnsafeBufferPointer(rebasing: s[0..<k]))) + 1
                }
            }
        }
    }
    return Column(type: .int64, data: .int64(out))
}

let stringFunctions: [([String], ScalarResolver)] = [
    (["lower", "lcase"], unaryString(.string) { c, n in Column(type: .string, data: .string(mapCase(c, n, upper: false))) }),
    (["upper", "ucase"], unaryString(.string) { c, n in Column(type: .string, data: .string(mapCase(c, n, upper: true))) }),
    (["length", "octet_length"], unaryString(.int64) { c, n in lengths(c, n, chars: false) }),
    (["char_length", "character_length", "lengthUTF8"], unaryString(.int64) { c, n in lengths(c, n, chars: true) }),
    (["empty"], unaryString(.bool) { c, n in
        Column(type: .bool, data: .uint8(c.strings.offsets.withUnsafeBufferPointer { o in (0..<n).map { o[$0 + 1] == o[$0] ? 1 : 0 } }))
    }),
    (["notEmpty"], unaryString(.bool) { c, n in
        Column(type: .bool, data: .uint8(c.strings.offsets.withUnsafeBufferPointer { o in (0..<n).map { o[$0 + 1] != o[$0] ? 1 : 0 } }))
    }),
    (["reverse", "reverseUTF8"], unaryString(.string) { c, n in
        let out = withStrView(c) { v in
            buildStrings(n, reserve: c.strings.bytes.count) { i, out in
                let p = v[i]
                var e = p.count
                while e > 0 {
                    var s = e - 1
                    while s > 0 && isContinuation(p[s]) { s -= 1 }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: p[s..<e]))
                    e = s
                }
            }
        }
        return Column(type: .string, data: .string(out))
    }),
    (["substring", "substr", "mid", "substringUTF8"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...3)
        guard stringArg(a[0]), a.dropFirst().allSatisfy(intArg) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string] + a.dropFirst().map { _ in .int64 }, returns: .string) { c, n in substringKernel(c, n) }
    }),
    (["left"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        guard stringArg(a[0]), intArg(a[1]) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string, .int64], returns: .string) { c, n in leftRightKernel(c, n, left: true) }
    }),
    (["right"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        guard stringArg(a[0]), intArg(a[1]) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string, .int64], returns: .string) { c, n in leftRightKernel(c, n, left: false) }
    }),
    (["concat"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...256)
        return propagating(name, a, args: a.map { _ in .string }, returns: .string) { c, n in
            let views = c
            var total = 0
            for x in views { total += x.count == 1 ? x.strings.bytes.count * n : x.strings.bytes.count }
            if total > Int(UInt32.max) { throw tooLong(name) }
            // Concatenate column by column into per-row segments: gather offsets once per argument.
            var lens = [Int](repeating: 0, count: n)
            for x in views {
                let s = x.strings
                if x.count == 1 { let l = s.length(at: 0); for i in 0..<n { lens[i] += l } }
                else { s.offsets.withUnsafeBufferPointer { o in for i in 0..<n { lens[i] += Int(o[i + 1] &- o[i]) } } }
            }
            var offsets = [UInt32](repeating: 0, count: n + 1)
            for i in 0..<n { offsets[i + 1] = offsets[i] &+ UInt32(truncatingIfNeeded: lens[i]) }
            var bytes = [UInt8](repeating: 0, count: Int(offsets[n]))
            var cursor = offsets.map { Int($0) }
            bytes.withUnsafeMutableBufferPointer { dst in
                for x in views {
                    withStrView(x) { v in
                        for i in 0..<n {
                            let p = v[i]
                            if p.count > 0 { UnsafeMutableRawPointer(dst.baseAddress! + cursor[i]).copyMemory(from: p.baseAddress!, byteCount: p.count) }
                            cursor[i] += p.count
                        }
                    }
                }
            }
            return Column(type: .string, data: .string(StringArray(offsets: offsets, bytes: bytes)))
        }
    }),
    (["concat_ws", "concatWithSeparator"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...256)
        let rt = DataType(.string, nullable: a[0].isNullable)
        return ResolvedFunction(argumentTypes: a.map { _ in .string }, function: BoundFunction(
            name: name, returnType: rt, kernel: ScalarKernel { c, n in
                // PostgreSQL: a NULL separator gives NULL; NULL values are skipped.
                var validity: [UInt8]? = nil
                let out = withStrView(c[0]) { sep in
                    buildStrings(n, reserve: n * 16) { i, out in
                        if !isValid(c[0], i) {
                            if validity == nil { validity = [UInt8](repeating: 1, count: n) }
                            validity![i] = 0
                            return
                        }
                        var first = true
                        for k in 1..<c.count where isValid(c[k], i) {
                            if !first { out.append(contentsOf: sep[i]) }
                            first = false
                            withStrView(c[k]) { v in out.append(contentsOf: v[i]) }
                        }
                    }
                }
                return Column(type: rt, data: .string(out), validity: validity)
            }, nulls: .custom))
    }),
    (["position", "strpos", "instr"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...3)
        guard stringArg(a[0]), stringArg(a[1]), a.count == 2 || intArg(a[2]) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string, .string] + (a.count == 3 ? [.int64] : []), returns: .int64) { c, n in
            positionKernel(c[0], c[1], c.count == 3 ? c[2] : nil, n)
        }
    }),
    (["locate"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...3)
        guard stringArg(a[0]), stringArg(a[1]), a.count == 2 || intArg(a[2]) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string, .string] + (a.count == 3 ? [.int64] : []), returns: .int64) { c, n in
            positionKernel(c[1], c[0], c.count == 3 ? c[2] : nil, n)
        }
    }),
    (["replace", "replaceAll"], { name, a in
        try FunctionRegistry.argCount(name, a, 3...3)
        guard a.allSatisfy(stringArg) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string, .string, .string], returns: .string) { c, n in replaceKernel(c, n, all: true) }
    }),
    (["replaceOne"], { name, a in
        try FunctionRegistry.argCount(name, a, 3...3)
        guard a.allSatisfy(stringArg) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string, .string, .string], returns: .string) { c, n in replaceKernel(c, n, all: false) }
    }),
    (["trim", "btrim", "trimBoth"], trimResolver(leading: true, trailing: true)),
    (["ltrim", "trimLeft"], trimResolver(leading: true, trailing: false)),
    (["rtrim", "trimRight"], trimResolver(leading: false, trailing: true)),
    (["startsWith", "starts_with"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        guard a.allSatisfy(stringArg) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string, .string], returns: .bool) { c, n in predicate2(c, n) { hasPrefix($0, $1) } }
    }),
    (["endsWith", "ends_with"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        guard a.allSatisfy(stringArg) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string, .string], returns: .bool) { c, n in predicate2(c, n) { hasSuffix($0, $1) } }
    }),
    (["splitByChar"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        guard a.allSatisfy(stringArg) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string, .string], returns: .string) { c, n in
            guard let sep = try constantText(c[0], function: name, argument: "separator") else { return zeroColumn(.string, n) }
            guard sep.utf8.count == 1, let sb = sep.utf8.first else {
                throw AurumError(.invalidParameterValue, "\(name): the separator must be exactly one byte, got \"\(sep)\"")
            }
            let out = withStrView(c[1]) { v in
                buildStrings(n, reserve: c[1].strings.bytes.count + n * 4) { i, out in
                    let p = v[i]
                    out.append(91)  // [
                    out.append(39)
                    for b in p {
                        if b == sb { out.append(39); out.append(44); out.append(39); continue }
                        if b == 39 || b == 92 { out.append(92) }
                        out.append(b)
                    }
                    out.append(39)
                    out.append(93)
                }
            }
            return Column(type: .string, data: .string(out))
        }
    }),
    (["repeat"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        guard stringArg(a[0]), intArg(a[1]) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string, .int64], returns: .string) { c, n in
            let times = c[1].int64Values
            var total = 0
            for i in 0..<n where isValid(c[0], i) && isValid(c[1], i) {
                let t = max(0, times[times.count == 1 ? 0 : i])
                let (m, o) = Int(t).multipliedReportingOverflow(by: c[0].strings.length(at: c[0].count == 1 ? 0 : i))
                if o || m > maxResultBytes { throw tooLong(name) }
                total += m
                if total > Int(UInt32.max) { throw tooLong(name) }
            }
            let out = withStrView(c[0]) { v in
                buildStrings(n, reserve: total) { i, out in
                    let t = times[times.count == 1 ? 0 : i]
                    guard t > 0, isValid(c[0], i), isValid(c[1], i) else { return }
                    for _ in 0..<t { out.append(contentsOf: v[i]) }
                }
            }
            return Column(type: .string, data: .string(out))
        }
    }),
    (["lpad", "leftPad"], padResolver(left: true)),
    (["rpad", "rightPad"], padResolver(left: false)),
    (["toString"], { name, a in
        try FunctionRegistry.argCount(name, a, 1...1)
        let t = a[0].base == .nothing ? DataType.string : a[0].plain
        return propagating(name, a, args: [t], returns: .string) { c, n in Column(type: .string, data: .string(textColumn(c[0], c[0].count))) }
    }),
    (["like"], likeResolver(ci: false, negate: false)),
    (["ilike"], likeResolver(ci: true, negate: false)),
    (["notLike"], likeResolver(ci: false, negate: true)),
    (["notILike"], likeResolver(ci: true, negate: true)),
    (["match"], { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        guard a.allSatisfy(stringArg) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string, .string], returns: .bool) { c, n in
            guard let pattern = try constantText(c[1], function: name, argument: "pattern") else { return zeroColumn(.bool, n) }
            let re: Regex<AnyRegexOutput>
            do { re = try Regex(pattern) } catch {
                throw AurumError(.invalidParameterValue, "\(name): invalid regular expression: \(pattern)")
            }
            let s = c[0].strings
            var out = [UInt8](repeating: 0, count: n)
            for i in 0..<n where isValid(c[0], i) { out[i] = s.string(at: c[0].count == 1 ? 0 : i).contains(re) ? 1 : 0 }
            return Column(type: .bool, data: .uint8(out))
        }
    }),
    (["replaceRegexpAll", "regexp_replace", "replaceRegexpOne"], { name, a in
        try FunctionRegistry.argCount(name, a, 3...3)
        guard a.allSatisfy(stringArg) else { throw FunctionRegistry.typeError(name, a) }
        let one = name.lowercased() == "replaceregexpone" || name.lowercased() == "regexp_replace"
        return propagating(name, a, args: [.string, .string, .string], returns: .string) { c, n in
            guard let pattern = try constantText(c[1], function: name, argument: "pattern"),
                  let replacement = try constantText(c[2], function: name, argument: "replacement") else { return zeroColumn(.string, n) }
            let re: Regex<AnyRegexOutput>
            do { re = try Regex(pattern) } catch {
                throw AurumError(.invalidParameterValue, "\(name): invalid regular expression: \(pattern)")
            }
            let s = c[0].strings
            var out = StringArray()
            for i in 0..<n {
                guard isValid(c[0], i) else { out.appendEmpty(); continue }
                let str = s.string(at: c[0].count == 1 ? 0 : i)
                out.append(one ? str.replacing(re, with: replacement, maxReplacements: 1) : str.replacing(re, with: replacement))
            }
            return Column(type: .string, data: .string(out))
        }
    }),
]

private func trimResolver(leading: Bool, trailing: Bool) -> ScalarResolver {
    { name, a in
        try FunctionRegistry.argCount(name, a, 1...2)
        guard a.allSatisfy(stringArg) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: a.map { _ in .string }, returns: .string) { c, n in
            try trimKernel(c, n, leading: leading, trailing: trailing, name: name)
        }
    }
}

private func padResolver(left: Bool) -> ScalarResolver {
    { name, a in
        try FunctionRegistry.argCount(name, a, 2...3)
        guard stringArg(a[0]), intArg(a[1]), a.count == 2 || stringArg(a[2]) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string, .int64] + (a.count == 3 ? [.string] : []), returns: .string) { c, n in
            try padKernel(c, n, left: left, name: name)
        }
    }
}

private func likeResolver(ci: Bool, negate: Bool) -> ScalarResolver {
    { name, a in
        try FunctionRegistry.argCount(name, a, 2...2)
        guard a.allSatisfy(stringArg) else { throw FunctionRegistry.typeError(name, a) }
        return propagating(name, a, args: [.string, .string], returns: .bool) { c, n in likeKernel(c, n, ci: ci, negate: negate) }
    }
}
