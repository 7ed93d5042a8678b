import Testing
import AurumCore
@testable import AurumEngine

// Kernel-level tests of the scalar function library (Functions+Date/String/Math/Conversion).
// `call` does what the binder does: resolve, cast each argument to the declared type, run the
// kernel, and (for propagating functions) AND the argument validity.

private func col(_ t: DataType, _ values: [Value]) -> Column {
    var b = ColumnBuilder(type: t, capacity: values.count)
    for v in values { b.append(v.isNull ? .null : (try! v.cast(to: t))) }
    var c = b.finish()
    if c.validity != nil { c.type.isNullable = true }
    return c
}
private func strs(_ s: [String?]) -> Column { col(s.contains(nil) ? DataType.string.nullable : .string, s.map { $0.map(Value.string) ?? .null }) }
private func str(_ s: String) -> Column { strs([s]) }
private func ints(_ v: [Int64?], _ t: DataType = .int64) -> Column { col(v.contains(nil) ? t.nullable : t, v.map { $0.map(Value.int) ?? .null }) }
private func int(_ v: Int64) -> Column { ints([v]) }
private func dates(_ s: [String?]) -> Column { col(s.contains(nil) ? DataType.date.nullable : .date, s.map { $0.map(Value.string) ?? .null }) }
private func times(_ s: [String], _ t: DataType = .dateTime) -> Column { col(t, s.map(Value.string)) }
private func doubles(_ v: [Double?]) -> Column { col(v.contains(nil) ? DataType.float64.nullable : .float64, v.map { $0.map(Value.float) ?? .null }) }
private func decimals(_ s: [String], _ p: Int, _ sc: Int) -> Column { col(.decimal(p, sc), s.map(Value.string)) }

private func call(_ name: String, _ cols: [Column], consts: [Value?] = []) throws -> Column {
    let types = cols.map(\.type)
    guard let r = try FunctionRegistry.$constantArguments.withValue(consts, operation: { try FunctionRegistry.resolve(name, types) }) else {
        throw AurumError(.undefinedFunction, "no function \(name)")
    }
    let args = try zip(cols, r.argumentTypes).map { try Cast.column($0, to: $1) }
    let n = args.map(\.count).max() ?? 1
    var out = try r.function.kernel.run(args, n)
    #expect(out.count == n)
    if case .propagate = r.function.nulls { out.validity = Evaluator.mergeValidity(args, n) }
    out.type = r.function.returnType
    if out.validity != nil { out.type.isNullable = true }
    return out
}

/// Text of each row ("NULL" for NULL).
private func text(_ c: Column) -> [String] { (0..<c.count).map { c.value(at: $0).description } }

private func code(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch let e as AurumError { return e.code.code } catch { return "?" }
}

@Suite struct DateFunctionTests {
    @Test func partsOfDatesAndTimes() throws {
        let d = dates(["1900-01-01", "2024-02-29", "2299-12-31", nil, "1969-12-31"])
        #expect(text(try call("toYear", [d])) == ["1900", "2024", "2299", "NULL", "1969"])
        #expect(text(try call("YEAR", [d])) == ["1900", "2024", "2299", "NULL", "1969"])
        #expect(text(try call("toMonth", [d])) == ["1", "2", "12", "NULL", "12"])
        #expect(text(try call("toQuarter", [d])) == ["1", "1", "4", "NULL", "4"])
        #expect(text(try call("toDayOfMonth", [d])) == ["1", "29", "31", "NULL", "31"])
        #expect(text(try call("day", [d])) == ["1", "29", "31", "NULL", "31"])
        // 1900-01-01 was a Monday, 2024-02-29 a Thursday, 2299-12-31 a Sunday, 1969-12-31 a Wednesday
        #expect(text(try call("toDayOfWeek", [d])) == ["1", "4", "7", "NULL", "3"])
        #expect(text(try call("toDayOfWeek", [d, int(3)])) == ["2", "5", "1", "NULL", "4"])
        #expect(text(try call("toDayOfYear", [d])) == ["1", "60", "365", "NULL", "365"])
        #expect(text(try call("toYYYYMM", [d])) == ["190001", "202402", "229912", "NULL", "196912"])
        #expect(text(try call("toYYYYMMDD", [d])) == ["19000101", "20240229", "22991231", "NULL", "19691231"])
        #expect(try call("toYear", [d]).type == DataType.uint16.nullable)

        let t = times(["2024-02-29 13:45:07", "1969-12-31 23:59:59"])
        #expect(text(try call("toHour", [t])) == ["13", "23"])
        #expect(text(try call("toMinute", [t])) == ["45", "59"])
        #expect(text(try call("toSecond", [t])) == ["7", "59"])
        #expect(text(try call("toUnixTimestamp", [t])) == ["1709214307", "-1"])
        let t64 = times(["1969-12-31 23:59:59.5", "2299-12-31 23:59:59.999999"], .dateTime64(6))
        #expect(text(try call("toSecond", [t64])) == ["59", "59"])
        #expect(text(try call("toDate", [t64])) == ["1969-12-31", "2299-12-31"])
        #expect(text(try call("toYear", [t64])) == ["1969", "2299"])
    }

    @Test func isoWeeks() throws {
        // 2021-01-03 is in ISO week 53 of 2020; 2024-12-30 is in week 1 of 2025.
        let d = dates(["2021-01-03", "2021-01-04", "2024-12-30", "2026-06-15"])
        #expect(text(try call("toISOWeek", [d])) == ["53", "1", "1", "25"])
        #expect(text(try call("toISOYear", [d])) == ["2020", "2021", "2025", "2026"])
    }

    @Test func startOfPeriods() throws {
        let d = dates(["2024-02-29", "1900-01-01", "2299-12-31", "2024-03-03"])
        #expect(text(try call("toStartOfMonth", [d])) == ["2024-02-01", "1900-01-01", "2299-12-01", "2024-03-01"])
        #expect(text(try call("toStartOfQuarter", [d])) == ["2024-01-01", "1900-01-01", "2299-10-01", "2024-01-01"])
        #expect(text(try call("toStartOfYear", [d])) == ["2024-01-01", "1900-01-01", "2299-01-01", "2024-01-01"])
        #expect(text(try call("toMonday", [d])) == ["2024-02-26", "1900-01-01", "2299-12-25", "2024-02-26"])
        // mode 0: weeks start on Sunday (2024-03-03 is a Sunday), mode 1: Monday
        #expect(text(try call("toStartOfWeek", [d])) == ["2024-02-25", "1899-12-31", "2299-12-31", "2024-03-03"])
        #expect(text(try call("toStartOfWeek", [d, int(1)])) == ["2024-02-26", "1900-01-01", "2299-12-25", "2024-02-26"])

        let t = times(["2024-02-29 13:47:59", "1969-12-31 23:59:59"])
        #expect(text(try call("toStartOfDay", [t])) == ["2024-02-29 00:00:00", "1969-12-31 00:00:00"])
        #expect(text(try call("toStartOfHour", [t])) == ["2024-02-29 13:00:00", "1969-12-31 23:00:00"])
        #expect(text(try call("toStartOfFifteenMinutes", [t])) == ["2024-02-29 13:45:00", "1969-12-31 23:45:00"])
        #expect(text(try call("toStartOfFiveMinute", [t])) == ["2024-02-29 13:45:00", "1969-12-31 23:55:00"])
        #expect(text(try call("toStartOfMinute", [t])) == ["2024-02-29 13:47:00", "1969-12-31 23:59:00"])
        #expect(try call("toStartOfDay", [dates(["2024-01-02"])]).type == .dateTime)
        let t64 = times(["2024-02-29 13:47:59.123"], .dateTime64(3))
        let r = try call("toStartOfHour", [t64])
        #expect(r.type == .dateTime64(3))
        #expect(text(r) == ["2024-02-29 13:00:00.000"])
    }

    @Test func conversions() throws {
        #expect(text(try call("toDate", [strs(["2024-02-29", "1900-01-01 10:00:00", nil])])) == ["2024-02-29", "1900-01-01", "NULL"])
        #expect(text(try call("toDate", [ints([0, -1, 19782])])) == ["1970-01-01", "1969-12-31", "2024-02-29"])
        #expect(text(try call("toDate", [times(["2024-02-29 23:59:59"])])) == ["2024-02-29"])
        #expect(code { _ = try call("toDate", [str("2023-02-29")]) } == "22007")
        #expect(code { _ = try call("toDate", [str("nope")]) } == "22007")
        #expect(text(try call("toDateTime", [str("2024-02-29T13:45:07")])) == ["2024-02-29 13:45:07"])
        #expect(text(try call("toDateTime", [dates(["2299-12-31"])])) == ["2299-12-31 00:00:00"])
        #expect(text(try call("toDateTime", [ints([86400])])) == ["1970-01-02 00:00:00"])
        let r = try call("toDateTime64", [str("2024-02-29 13:45:07.123456"), int(3)], consts: [nil, .int(3)])
        #expect(r.type == .dateTime64(3))
        #expect(text(r) == ["2024-02-29 13:45:07.123"])
        // without the constant the resolver assumes 3; a different runtime value is refused
        #expect(code { _ = try call("toDateTime64", [str("2024-02-29"), int(6)]) } == "0A000")
    }

    @Test func dateDiffCountsBoundaries() throws {
        func diff(_ unit: String, _ a: String, _ b: String) throws -> String {
            text(try call("dateDiff", [str(unit), times([a]), times([b])]))[0]
        }
        #expect(try diff("month", "2024-01-31 00:00:00", "2024-02-01 00:00:00") == "1")
        #expect(try diff("year", "2023-12-31 23:59:59", "2024-01-01 00:00:00") == "1")
        #expect(try diff("day", "2024-01-01 23:00:00", "2024-01-02 01:00:00") == "1")
        #expect(try diff("hour", "2024-01-01 00:59:59", "2024-01-01 01:00:00") == "1")
        #expect(try diff("second", "2024-01-01 00:00:00", "2023-12-31 23:59:00") == "-60")
        // 2024-01-07 is a Sunday, 2024-01-08 a Monday: one week boundary
        #expect(try diff("week", "2024-01-07 00:00:00", "2024-01-08 00:00:00") == "1")
        #expect(try diff("quarter", "2024-03-31 00:00:00", "2024-04-01 00:00:00") == "1")
        // Date vs DateTime, and broadcast of a constant first date
        let r = try call("date_diff", [str("day"), dates(["2024-02-28"]), dates(["2024-03-01", "2023-02-28", "1900-01-01"])])
        #expect(text(r) == ["2", "-365", "-45348"])
        #expect(code { _ = try call("dateDiff", [str("fortnight"), dates(["2024-01-01"]), dates(["2024-01-01"])]) } == "22023")
        // NULL unit -> NULL
        let nullUnit = try call("dateDiff", [strs([nil]), dates(["2024-01-01"]), dates(["2024-01-02"])])
        #expect(text(nullUnit) == ["NULL"])
    }

    @Test func dateTrunc() throws {
        let ts = times(["2024-05-17 13:45:07.250000"], .dateTime64(6))
        #expect(text(try call("date_trunc", [str("month"), ts])) == ["2024-05-01 00:00:00.000000"])
        #expect(text(try call("date_trunc", [str("week"), ts])) == ["2024-05-13 00:00:00.000000"])
        #expect(text(try call("date_trunc", [str("hour"), ts])) == ["2024-05-17 13:00:00.000000"])
        #expect(text(try call("date_trunc", [str("quarter"), ts])) == ["2024-04-01 00:00:00.000000"])
        #expect(text(try call("date_trunc", [str("millisecond"), ts])) == ["2024-05-17 13:45:07.250000"])
        // a Date stays a Date
        let d = try call("date_trunc", [str("year"), dates(["1900-06-30"])])
        #expect(d.type == .date)
        #expect(text(d) == ["1900-01-01"])
        // text is a timestamp
        let s = try call("date_trunc", [str("day"), str("1969-12-31 23:00:00")])
        #expect(s.type == .dateTime64(6))
        #expect(text(s) == ["1969-12-31 00:00:00.000000"])
    }

    @Test func addAndSubtract() throws {
        let d = dates(["2024-01-31", "2024-02-29", nil])
        #expect(text(try call("addMonths", [d, int(1)])) == ["2024-02-29", "2024-03-29", "NULL"])
        #expect(text(try call("addYears", [d, int(1)])) == ["2025-01-31", "2025-02-28", "NULL"])
        #expect(text(try call("subtractMonths", [d, int(11)])) == ["2023-02-28", "2023-03-29", "NULL"])
        #expect(text(try call("addQuarters", [d, int(-1)])) == ["2023-10-31", "2023-11-29", "NULL"])
        #expect(text(try call("addDays", [d, int(1)])) == ["2024-02-01", "2024-03-01", "NULL"])
        #expect(text(try call("subtractWeeks", [d, int(1)])) == ["2024-01-24", "2024-02-22", "NULL"])
        #expect(text(try call("addDays", [dates(["2299-12-31"]), int(-145_000)])) == ["1903-01-02"])
        let h = try call("addHours", [dates(["2024-01-01"]), int(25)])
        #expect(h.type == .dateTime)
        #expect(text(h) == ["2024-01-02 01:00:00"])
        let t = times(["2024-01-31 10:30:00"], .dateTime64(3))
        #expect(text(try call("addMonths", [t, int(1)])) == ["2024-02-29 10:30:00.000"])
        #expect(text(try call("subtractSeconds", [t, int(30)])) == ["2024-01-31 10:29:30.000"])
        #expect(code { _ = try call("addDays", [dates(["2024-01-01"]), int(Int64(Int32.max))]) } == "22008")
    }

    @Test func formatting() throws {
        let t = times(["2024-02-09 08:05:03.042"], .dateTime64(3))
        #expect(text(try call("formatDateTime", [t, str("%Y-%m-%d %H:%M:%S")])) == ["2024-02-09 08:05:03"])
        #expect(text(try call("formatDateTime", [t, str("%F %T|%y|%j|%e|%p %I|%a %b|%Q|%u %w|%D|%R|%%|%f")])) ==
                ["2024-02-09 08:05:03|24|040| 9|AM 08|Fri Feb|1|5 5|02/09/24|08:05|%|042"])
        #expect(code { _ = try call("formatDateTime", [t, str("%K")]) } == "22023")
        #expect(text(try call("to_char", [t, str("YYYY-MM-DD HH24:MI:SS")])) == ["2024-02-09 08:05:03"])
        #expect(text(try call("to_char", [t, str("Mon DD YY HH12 AM Q MS")])) == ["Feb 09 24 08 AM 1 042"])
        #expect(text(try call("to_char", [t, str("Month|FMMonth|FMDD|Day|D")])) == ["February |February|9|Friday   |6"])
        #expect(text(try call("to_char", [dates(["1900-01-01"]), str("YYYY\"Q\"Q")])) == ["1900Q1"])
    }

    @Test func nowAndToday() throws {
        let r = try FunctionRegistry.resolve("now", [])!
        #expect(r.function.deterministic == false)
        let now = try r.function.kernel.run([], 3)
        #expect(now.count == 3)
        let year = text(try call("toYear", [now]))[0]
        #expect(Int(year)! >= 2024)
        let today = try FunctionRegistry.resolve("today", [])!.function.kernel.run([], 1)
        #expect(today.type == .date)
    }
}

@Suite struct StringFunctionTests {
    @Test func caseAndLength() throws {
        let s = strs(["Hello", "Ünïcødé ✓", "", nil])
        #expect(text(try call("upper", [s])) == ["HELLO", "ÜNÏCØDÉ ✓", "", "NULL"])
        #expect(text(try call("lower", [strs(["ABC xyz", "ÀB"])])) == ["abc xyz", "àb"])
        #expect(text(try call("length", [s])) == ["5", "15", "0", "NULL"])
        #expect(text(try call("char_length", [s])) == ["5", "9", "0", "NULL"])
        #expect(text(try call("lengthUTF8", [s])) == ["5", "9", "0", "NULL"])
        #expect(text(try call("empty", [s])) == ["false", "false", "true", "NULL"])
        #expect(text(try call("notEmpty", [s])) == ["true", "true", "false", "NULL"])
        #expect(text(try call("reverse", [strs(["abc", "añb"])])) == ["cba", "bña"])
    }

    @Test func substrings() throws {
        let s = strs(["hello", "ñandú"])
        #expect(text(try call("substring", [s, int(2), int(3)])) == ["ell", "and"])
        #expect(text(try call("substr", [s, int(2)])) == ["ello", "andú"])
        #expect(text(try call("substring", [s, int(0), int(3)])) == ["he", "ña"])
        #expect(text(try call("substring", [s, int(-2)])) == ["lo", "dú"])
        #expect(text(try call("substring", [s, int(10)])) == ["", ""])
        #expect(text(try call("mid", [s, ints([1, 5]), int(1)])) == ["h", "ú"])
        #expect(text(try call("left", [s, int(2)])) == ["he", "ña"])
        #expect(text(try call("left", [s, int(-1)])) == ["hell", "ñand"])
        #expect(text(try call("right", [s, int(2)])) == ["lo", "dú"])
        #expect(text(try call("right", [s, int(-4)])) == ["o", "ú"])
    }

    @Test func concatAndPosition() throws {
        let a = strs(["a", nil, "c"])
        #expect(text(try call("concat", [a, str("-"), ints([1, 2, 3])])) == ["a-1", "NULL", "c-3"])
        #expect(text(try call("concat_ws", [str(","), a, str("x")])) == ["a,x", "x", "c,x"])
        #expect(text(try call("concat_ws", [strs([nil]), str("y")])) == ["NULL"])
        let h = strs(["hello", "ñandú", "abc"])
        #expect(text(try call("position", [h, str("l")])) == ["3", "0", "0"])
        #expect(text(try call("strpos", [h, str("dú")])) == ["0", "4", "0"])
        #expect(text(try call("locate", [str("c"), h])) == ["0", "0", "3"])
        #expect(text(try call("position", [h, str("")])) == ["1", "1", "1"])
        #expect(text(try call("position", [str("abcabc"), str("c"), int(4)])) == ["6"])
    }

    @Test func replaceTrimPad() throws {
        #expect(text(try call("replaceAll", [strs(["aXbXc", "none"]), str("X"), str("--")])) == ["a--b--c", "none"])
        #expect(text(try call("replaceOne", [str("aXbXc"), str("X"), str("")])) == ["abXc"])
        #expect(text(try call("replace", [str("abc"), str(""), str("z")])) == ["abc"])
        #expect(text(try call("trim", [str("  a b  ")])) == ["a b"])
        #expect(text(try call("ltrim", [str("  a ")])) == ["a "])
        #expect(text(try call("trimRight", [str("  a ")])) == ["  a"])
        #expect(text(try call("btrim", [str("xxaxyx"), str("xy")])) == ["a"])
        #expect(text(try call("trim", [str("ééaé"), str("é")])) == ["a"])
        #expect(text(try call("lpad", [str("hi"), int(5)])) == ["   hi"])
        #expect(text(try call("lpad", [str("hi"), int(5), str("ab")])) == ["abahi"])
        #expect(text(try call("rpad", [str("hi"), int(4), str("ñ")])) == ["hiññ"])
        #expect(text(try call("leftPad", [str("hello"), int(2)])) == ["he"])
        #expect(text(try call("repeat", [str("ab"), ints([3, 0, -1])])) == ["ababab", "", ""])
        #expect(code { _ = try call("repeat", [str("ab"), int(1 << 40)]) } == "54000")
    }

    @Test func predicatesAndSplit() throws {
        let s = strs(["prefix-body", "body", nil])
        #expect(text(try call("startsWith", [s, str("prefix")])) == ["true", "false", "NULL"])
        #expect(text(try call("endsWith", [s, str("body")])) == ["true", "true", "NULL"])
        #expect(text(try call("splitByChar", [str(","), strs(["a,b,,c", "", "it's"])])) == ["['a','b','','c']", "['']", "['it\\'s']"])
        #expect(code { _ = try call("splitByChar", [str("ab"), str("x")]) } == "22023")
    }

    @Test func likePatterns() throws {
        let s = strs(["apple", "banana", "Apple pie", "grape", "", nil, "añb"])
        func like(_ p: String, _ fn: String = "like") throws -> [String] { text(try call(fn, [s, str(p)])) }
        #expect(try like("apple") == ["true", "false", "false", "false", "false", "NULL", "false"])
        #expect(try like("a%") == ["true", "false", "false", "false", "false", "NULL", "true"])
        #expect(try like("%e") == ["true", "false", "true", "true", "false", "NULL", "false"])
        #expect(try like("%an%") == ["false", "true", "false", "false", "false", "NULL", "false"])
        #expect(try like("%") == ["true", "true", "true", "true", "true", "NULL", "true"])
        #expect(try like("a_b") == ["false", "false", "false", "false", "false", "NULL", "true"])
        #expect(try like("_r%p_") == ["false", "false", "false", "true", "false", "NULL", "false"])
        #expect(try like("b%n%a") == ["false", "true", "false", "false", "false", "NULL", "false"])
        #expect(try like("a%e") == ["true", "false", "false", "false", "false", "NULL", "false"])
        #expect(try like("APPLE%", "ilike") == ["true", "false", "true", "false", "false", "NULL", "false"])
        #expect(try like("%a%", "notLike") == ["false", "false", "true", "false", "true", "NULL", "false"])
        #expect(try like("%P%", "notILike") == ["false", "true", "false", "false", "true", "NULL", "true"])
        #expect(text(try call("like", [strs(["50%", "50x"]), str("50\\%")])) == ["true", "false"])
        // an empty block
        #expect(try call("like", [strs([]), strs([])]).count == 0)
        // per-row patterns
        #expect(text(try call("like", [strs(["abc", "abc", "xbc"]), strs(["a%", "%z", "_bc"])])) == ["true", "false", "true"])
        #expect(text(try call("match", [strs(["abc123", "abc"]), str("[0-9]+$")])) == ["true", "false"])
    }

    @Test func toStringOfTypes() throws {
        #expect(text(try call("toString", [ints([-5, 0, nil, Int64.min])])) == ["-5", "0", "NULL", "-9223372036854775808"])
        #expect(text(try call("toString", [dates(["1900-01-01"])])) == ["1900-01-01"])
        #expect(text(try call("toString", [times(["2299-12-31 23:59:59.5"], .dateTime64(3))])) == ["2299-12-31 23:59:59.500"])
        #expect(text(try call("toString", [doubles([1.5, 2])])) == ["1.5", "2"])
        #expect(text(try call("toString", [decimals(["-0.05"], 10, 2)])) == ["-0.05"])
        #expect(text(try call("toString", [col(.bool, [.bool(true), .bool(false)])])) == ["true", "false"])
    }
}

@Suite struct MathFunctionTests {
    @Test func rounding() throws {
        let f = doubles([2.5, -2.5, 1.234567, nil, 0.5])
        #expect(text(try call("round", [f])) == ["3", "-3", "1", "NULL", "1"])
        #expect(text(try call("round", [f, int(2)])) == ["2.5", "-2.5", "1.23", "NULL", "0.5"])
        #expect(text(try call("round", [doubles([1250]), int(-2)])) == ["1300"])
        #expect(text(try call("floor", [f])) == ["2", "-3", "1", "NULL", "0"])
        #expect(text(try call("ceil", [f])) == ["3", "-2", "2", "NULL", "1"])
        #expect(text(try call("trunc", [f])) == ["2", "-2", "1", "NULL", "0"])
        #expect(try call("round", [f]).type == DataType.float64.nullable)

        let d = decimals(["1.25", "-1.25", "9.99", "0.04"], 5, 2)
        let r = try call("round", [d, int(1)])
        #expect(r.type == .decimal(5, 2))
        #expect(text(r) == ["1.30", "-1.30", "10.00", "0.00"])
        // without digits (or with constant digits) the scale drops, as PostgreSQL and DuckDB
        #expect(try call("round", [d]).type == .decimal(5, 0))
        #expect(text(try call("round", [d])) == ["1", "-1", "10", "0"])
        #expect(text(try call("floor", [d])) == ["1", "-2", "9", "0"])
        #expect(text(try call("ceiling", [d])) == ["2", "-1", "10", "1"])
        let rc = try call("round", [d, int(1)], consts: [nil, .int(1)])
        #expect(rc.type == .decimal(5, 1))
        #expect(text(rc) == ["1.3", "-1.3", "10.0", "0.0"])
        #expect(text(try call("truncate", [d, int(1)])) == ["1.20", "-1.20", "9.90", "0.00"])
        #expect(text(try call("round", [decimals(["9.99"], 3, 2)])) == ["10"])
        #expect(code { _ = try call("round", [decimals(["9.99"], 3, 2), int(1)]) } == "22003")

        let i = ints([1250, -1250, 7], .int32)
        let ri = try call("round", [i, int(-2)])
        #expect(ri.type == .int32)
        #expect(text(ri) == ["1300", "-1300", "0"])
        #expect(text(try call("round", [i])) == ["1250", "-1250", "7"])
        #expect(code { _ = try call("round", [ints([127], .int8), int(-1)]) } == "22003")
    }

    @Test func functions() throws {
        #expect(text(try call("abs", [ints([-3, 3, nil], .int16)])) == ["3", "3", "NULL"])
        #expect(code { _ = try call("abs", [ints([-128], .int8)]) } == "22003")
        #expect(text(try call("abs", [decimals(["-1.50"], 4, 2)])) == ["1.50"])
        #expect(text(try call("sign", [doubles([-2, 0, 3])])) == ["-1", "0", "1"])
        #expect(text(try call("sqrt", [doubles([16, 2.25])])) == ["4", "1.5"])
        #expect(text(try call("sqrt", [doubles([-1])])) == ["NaN"])  // ClickHouse, DuckDB
        #expect(text(try call("sqrt", [doubles([nil])])) == ["NULL"])  // no error under NULL
        #expect(text(try call("cbrt", [doubles([27])])) == ["3"])
        #expect(text(try call("pow", [ints([2]), ints([10])])) == ["1024"])
        #expect(text(try call("power", [doubles([4]), doubles([0.5])])) == ["2"])
        #expect(text(try call("ln", [doubles([1])])) == ["0"])
        #expect(text(try call("log", [doubles([0, -1])])) == ["-Infinity", "NaN"])
        #expect(text(try call("log10", [doubles([1000])])) == ["3"])
        #expect(text(try call("log2", [doubles([8])])) == ["3"])
        #expect(text(try call("exp", [doubles([0])])) == ["1"])
        #expect(text(try call("degrees", [try call("pi", [])])) == ["180"])
        #expect(text(try call("radians", [doubles([180])])) == [Value.formatDouble(Double.pi)])
        #expect(text(try call("atan2", [doubles([1]), doubles([1])])) == [Value.formatDouble(Double.pi / 4)])
        #expect(code { _ = try call("asin", [doubles([2])]) } == "22003")
        #expect(text(try call("gcd", [ints([12, 0]), ints([18, 5])])) == ["6", "5"])
        #expect(text(try call("lcm", [ints([4]), ints([6])])) == ["12"])
        let rnd = try FunctionRegistry.resolve("rand", [])!
        #expect(rnd.function.deterministic == false)
        #expect(try rnd.function.kernel.run([], 5).count == 5)
    }
}

@Suite struct ConversionFunctionTests {
    @Test func integers() throws {
        #expect(text(try call("toInt32", [strs([" 42 ", "-7", nil])])) == ["42", "-7", "NULL"])
        #expect(code { _ = try call("toInt32", [str("4x")]) } == "22P02")
        #expect(code { _ = try call("toInt32", [str("1.5")]) } == "22P02")
        #expect(code { _ = try call("toInt8", [str("128")]) } == "22003")
        #expect(code { _ = try call("toUInt8", [ints([-1])]) } == "22003")
        #expect(code { _ = try call("toInt64", [str("99999999999999999999999999999999999999999")]) } == "22003")
        #expect(text(try call("toInt8", [doubles([-1.9, 127.9])])) == ["-1", "127"])
        #expect(text(try call("toInt32", [decimals(["-12.99"], 6, 2)])) == ["-12"])
        #expect(text(try call("toInt32", [dates(["1970-01-11"])])) == ["10"])
        #expect(text(try call("toUInt64", [str("18446744073709551615")])) == ["18446744073709551615"])
        let n = try call("toInt16OrNull", [strs(["12", "x", "99999", nil])])
        #expect(n.type == DataType.int16.nullable)
        #expect(text(n) == ["12", "NULL", "NULL", "NULL"])
        #expect(text(try call("toUInt8OrZero", [strs(["12", "x", "-1"])])) == ["12", "0", "0"])
        #expect(text(try call("toInt32", [strs(["1", nil])])) == ["1", "NULL"])  // the NULL row's "" is not parsed
    }

    @Test func floatsDecimalsAndOthers() throws {
        #expect(text(try call("toFloat64", [strs(["1.5", "-1e3", "inf", "nan"])])) == ["1.5", "-1000", "Infinity", "NaN"])
        #expect(code { _ = try call("toFloat64", [str("abc")]) } == "22P02")
        #expect(text(try call("toFloat64OrNull", [strs(["2", "abc"])])) == ["2", "NULL"])
        #expect(text(try call("toFloat32OrZero", [strs(["0.5", "abc"])])) == ["0.5", "0"])
        #expect(code { _ = try call("toFloat32", [doubles([1e300])]) } == "22003")
        #expect(text(try call("toFloat64", [decimals(["1.25"], 5, 2)])) == ["1.25"])
        let d = try call("toDecimal32", [strs(["1.235", "-2"]), int(2)], consts: [nil, .int(2)])
        #expect(d.type == .decimal(9, 2))
        #expect(text(d) == ["1.24", "-2.00"])
        #expect(code { _ = try call("toDecimal32", [str("12345678901"), int(0)], consts: [nil, .int(0)]) } == "22003")
        #expect(code { _ = try call("toDecimal64", [str("1.5"), int(4)], consts: [nil, .int(2)]) } == "0A000")
        let dd = try call("toDecimal", [doubles([3.14159]), int(10), int(3)], consts: [nil, .int(10), .int(3)])
        #expect(dd.type == .decimal(10, 3))
        #expect(text(dd) == ["3.142"])
        #expect(text(try call("toBool", [strs(["true", "0", "yes"])])) == ["true", "false", "true"])
        #expect(text(try call("toBool", [ints([2, 0])])) == ["true", "false"])
        #expect(text(try call("toUUID", [str("123E4567-E89B-12D3-A456-426614174000")])) == ["123e4567-e89b-12d3-a456-426614174000"])
        #expect(code { _ = try call("toUUID", [str("nope")]) } == "22P02")
        #expect(text(try call("toTypeName", [strs(["a", nil])])) == ["Nullable(String)", "Nullable(String)"])
        #expect(text(try call("toTypeName", [decimals(["1"], 10, 2)])) == ["Decimal(10, 2)"])
    }

    @Test func resolution() throws {
        #expect(FunctionRegistry.exists("TOSTARTOFMONTH"))
        #expect(FunctionRegistry.exists("todayofmonth"))
        #expect(code { _ = try FunctionRegistry.resolve("toYear", [.int32]) } == "42883")
        #expect(code { _ = try FunctionRegistry.resolve("substring", [.string]) } == "42883")
        #expect(code { _ = try FunctionRegistry.resolve("lower", [.string, .string]) } == "42883")
        // every registered function resolves for some plausible argument list or rejects cleanly
        for name in ["toYear", "upper", "round", "toInt32", "concat", "like", "dateDiff"] {
            #expect(FunctionRegistry.exists(name))
        }
    }
}
