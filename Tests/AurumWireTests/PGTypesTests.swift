import Testing
@testable import AurumWire
import AurumCore

// MARK: helpers

private func hex(_ s: String) -> [UInt8] {
    var out = [UInt8]()
    var it = s.filter { !$0.isWhitespace }.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}

private func hexString(_ b: [UInt8]) -> String {
    b.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// The whole field (length prefix included).
private func field(_ c: Column, _ row: Int = 0, _ format: PGFormat) -> [UInt8] {
    var out: [UInt8] = []
    PGValueEncoder.appendField(c, row: row, format: format, to: &out)
    return out
}

/// The field's payload, nil for NULL; checks the length prefix.
private func payload(_ c: Column, _ row: Int = 0, _ format: PGFormat) -> [UInt8]? {
    let f = field(c, row, format)
    #expect(f.count >= 4)
    let n = Int32(bitPattern: UInt32(f[0]) << 24 | UInt32(f[1]) << 16 | UInt32(f[2]) << 8 | UInt32(f[3]))
    if n == -1 { #expect(f.count == 4); return nil }
    #expect(Int(n) == f.count - 4)
    return Array(f[4...])
}

private func text(_ c: Column, _ row: Int = 0) -> String? {
    payload(c, row, .text).map { String(decoding: $0, as: UTF8.self) }
}
private func binary(_ c: Column, _ row: Int = 0) -> String? {
    payload(c, row, .binary).map(hexString)
}

private func column(_ type: DataType, _ values: [Value]) -> Column {
    var b = ColumnBuilder(type: type)
    for v in values { b.append(v) }
    return b.finish()
}

private func texts(_ type: DataType, _ values: [Value]) -> [String?] {
    let c = column(type, values)
    return (0..<values.count).map { text(c, $0) }
}

private func decodeText(_ s: String, _ oid: UInt32) throws -> Value {
    try PGValueDecoder.decode(ArraySlice(Array(s.utf8)), oid: oid, format: .text)
}
private func decodeBinary(_ b: [UInt8], _ oid: UInt32) throws -> Value {
    try PGValueDecoder.decode(ArraySlice(b), oid: oid, format: .binary)
}

private func code(_ body: () throws -> Value) -> String? {
    do { _ = try body(); return nil } catch let e as AurumError { return e.code.code } catch { return "?" }
}

private func days(_ y: Int, _ m: Int, _ d: Int) -> Int32 { Int32(Temporal.days(year: y, month: m, day: d)) }
private func seconds(_ y: Int, _ m: Int, _ d: Int, _ hh: Int = 0, _ mi: Int = 0, _ ss: Int = 0) -> Int64 {
    Int64(Temporal.days(year: y, month: m, day: d)) * 86400 + Int64(hh * 3600 + mi * 60 + ss)
}

// MARK: - Types

@Suite struct PGTypesTests {
    @Test func typeInfoForEveryAurumType() {
        let cases: [(DataType, UInt32, String, Int16, Int32)] = [
            (.bool, 16, "bool", 1, -1),
            (.int8, 21, "int2", 2, -1),
            (.int16, 21, "int2", 2, -1),
            (.uint8, 21, "int2", 2, -1),
            (.int32, 23, "int4", 4, -1),
            (.uint16, 23, "int4", 4, -1),
            (.int64, 20, "int8", 8, -1),
            (.uint32, 20, "int8", 8, -1),
            (.uint64, 1700, "numeric", -1, -1),
            (.float32, 700, "float4", 4, -1),
            (.float64, 701, "float8", 8, -1),
            (.decimal(18, 2), 1700, "numeric", -1, (18 << 16 | 2) + 4),
            (.decimal(38, 0), 1700, "numeric", -1, (38 << 16) + 4),
            (.decimal(38, 38), 1700, "numeric", -1, (38 << 16 | 38) + 4),
            (.string, 25, "text", -1, -1),
            (DataType(.string, nullable: true, lowCardinality: true), 25, "text", -1, -1),
            (.nothing, 25, "text", -1, -1),
            (.date, 1082, "date", 4, -1),
            (.dateTime, 1114, "timestamp", 8, -1),
            (.dateTime64(3), 1114, "timestamp", 8, 3),  // timestamp(3)
            (.dateTime64(9), 1114, "timestamp", 8, 6),  // the wire carries microseconds
            (.uuid, 2950, "uuid", 16, -1),
        ]
        for (t, oid, name, size, mod) in cases {
            #expect(PGTypes.info(for: t) == PGTypeInfo(oid: oid, name: name, size: size, modifier: mod), "\(t)")
            #expect(PGTypes.info(for: t.nullable) == PGTypes.info(for: t), "nullable \(t)")
        }
        // numeric(10, 2) as PostgreSQL reports it
        #expect(PGTypes.info(for: .decimal(10, 2)).modifier == 655366)
    }

    @Test func aurumTypeForOIDs() {
        #expect(PGTypes.aurumType(oid: 16) == .bool)
        #expect(PGTypes.aurumType(oid: 21) == .int16)
        #expect(PGTypes.aurumType(oid: 23) == .int32)
        #expect(PGTypes.aurumType(oid: 20) == .int64)
        #expect(PGTypes.aurumType(oid: 700) == .float32)
        #expect(PGTypes.aurumType(oid: 701) == .float64)
        #expect(PGTypes.aurumType(oid: 1700) == .decimal(38, 9))
        for oid: UInt32 in [25, 1043, 1042, 19, 705] { #expect(PGTypes.aurumType(oid: oid) == .string) }
        #expect(PGTypes.aurumType(oid: 1082) == .date)
        #expect(PGTypes.aurumType(oid: 1114) == .dateTime64(6))
        #expect(PGTypes.aurumType(oid: 1184) == .dateTime64(6))
        #expect(PGTypes.aurumType(oid: 2950) == .uuid)
        #expect(PGTypes.aurumType(oid: 26) == .uint32)
        #expect(PGTypes.aurumType(oid: 0) == nil)
        #expect(PGTypes.aurumType(oid: 1186) == nil)
        #expect(PGTypes.aurumType(oid: 1007) == nil)
        #expect(PGTypes.aurumType(oid: 999_999) == nil)
        // every mapped type comes back as a wire type the server can send
        for oid: UInt32 in [16, 21, 23, 20, 700, 701, 1700, 25, 1082, 1114, 2950] {
            #expect(PGTypes.info(for: PGTypes.aurumType(oid: oid)!).oid == oid)
        }
    }

    @Test func builtinsAndArrays() {
        let oids = Set(PGTypes.builtins.map(\.oid))
        #expect(oids.count == PGTypes.builtins.count, "duplicate OIDs")
        #expect(Set(PGTypes.builtins.map(\.name)).count == PGTypes.builtins.count, "duplicate names")
        for oid: UInt32 in [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 28, 29, 30, 114, 142, 700, 701, 705, 1042, 1043,
                            1082, 1083, 1114, 1184, 1186, 1700, 2950, 3802, 2205, 2206] {
            #expect(oids.contains(oid), "missing \(oid)")
        }
        let arrays: [(UInt32, UInt32)] = [(16, 1000), (21, 1005), (23, 1007), (25, 1009), (20, 1016), (700, 1021),
                                          (701, 1022), (1043, 1015), (1082, 1182), (1114, 1115), (1184, 1185),
                                          (1700, 1231), (2950, 2951), (26, 1028), (19, 1003)]
        for (e, a) in arrays {
            #expect(PGTypes.arrayOID(ofElement: e) == a)
            #expect(PGTypes.elementOID(ofArray: a) == e)
            #expect(oids.contains(a))
            #expect(PGTypes.builtin(oid: a)?.name == "_" + PGTypes.builtin(oid: e)!.name)
            #expect(PGTypes.builtin(oid: a)?.size == -1)
            #expect(PGTypes.category(oid: a) == "A")
        }
        // every pair refers to types in the list
        for p in PGTypes.arrayTypes { #expect(oids.contains(p.element) && oids.contains(p.array)) }
        // every type the server can return is listed with the same typlen
        for t: DataType in [.bool, .int8, .int32, .int64, .uint64, .float32, .float64, .decimal(9, 2), .string, .date, .dateTime, .uuid] {
            let i = PGTypes.info(for: t)
            #expect(PGTypes.builtin(oid: i.oid)?.name == i.name)
            #expect(PGTypes.builtin(oid: i.oid)?.size == i.size)
        }
        #expect(PGTypes.elementOID(ofArray: 25) == 0)
        #expect(PGTypes.arrayOID(ofElement: 999) == 0)
        #expect(PGTypes.builtin(named: "int8")?.oid == 20)
        #expect(PGTypes.builtin(named: "int2vector")?.oid == 22)
        #expect(PGTypes.category(oid: 20) == "N")
        #expect(PGTypes.category(oid: 25) == "S")
        #expect(PGTypes.category(oid: 1114) == "D")
        #expect(PGTypes.category(oid: 16) == "B")
        #expect(PGTypes.category(oid: 2950) == "U")
    }

    // MARK: - Text encoding

    @Test func textIntegersAndBools() {
        #expect(texts(.bool, [.bool(true), .bool(false), .null]) == ["t", "f", nil])
        #expect(texts(.int8, [.int(-128), .int(127), .int(0)]) == ["-128", "127", "0"])
        #expect(texts(.int16, [.int(-32768), .int(32767)]) == ["-32768", "32767"])
        #expect(texts(.int32, [.int(Int64(Int32.min)), .int(42)]) == ["-2147483648", "42"])
        #expect(texts(.int64, [.int(Int64.min), .int(Int64.max), .int(-1), .null])
                == ["-9223372036854775808", "9223372036854775807", "-1", nil])
        #expect(texts(.uint8, [.uint(255)]) == ["255"])
        #expect(texts(.uint16, [.uint(65535)]) == ["65535"])
        #expect(texts(.uint32, [.uint(UInt64(UInt32.max))]) == ["4294967295"])
        #expect(texts(.uint64, [.uint(UInt64.max), .uint(0)]) == ["18446744073709551615", "0"])
    }

    @Test func textFloats() {
        // PostgreSQL 12+ output (extra_float_digits = 1): shortest round-trip digits,
        // exponent form below 1e-4 and from 1e15 (float8) / 1e6 (float4).
        let d: [Double] = [0, -0.0, 1, -1.5, 0.1, 0.30000000000000004, 1e15, 123456789012345, 1e-4, 1e-5, 1.5e-7,
                           1e100, -2.5e-300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 100, 1234567.125, .nan, .infinity, -.infinity,
                           9007199254740992, 1e16, 0.001]
        #expect(texts(.float64, d.map { .float($0) }) == [
            "0", "-0", "1", "-1.5", "0.1", "0.30000000000000004", "1e+15", "123456789012345", "0.0001", "1e-05", "1.5e-07",
            "1e+100", "-2.5e-300", "5e-324", "1.7976931348623157e+308", "100", "1234567.125", "NaN", "Infinity", "-Infinity",
            "9.007199254740992e+15", "1e+16", "0.001",
        ])
        let f: [Float] = [0, -0.0, 0.1, 1e6, 123456, 1234567, 1.5, 3.4028235e38, 1e-5, .nan, -.infinity, 0.3]
        #expect(texts(.float32, f.map { .float(Double($0)) }) == [
            "0", "-0", "0.1", "1e+06", "123456", "1.234567e+06", "1.5", "3.4028235e+38", "1e-05", "NaN", "-Infinity", "0.3",
        ])
    }

    @Test func textDecimals() {
        #expect(texts(.decimal(18, 2), [.decimal(12345, scale: 2), .decimal(-5, scale: 2), .decimal(0, scale: 2), .decimal(-100, scale: 2)])
                == ["123.45", "-0.05", "0.00", "-1.00"])
        #expect(texts(.decimal(9, 0), [.decimal(-7, scale: 0), .decimal(0, scale: 0)]) == ["-7", "0"])
        let max38 = DecimalMath.maxRaw(precision: 38)
        #expect(texts(.decimal(38, 0), [.decimal(max38, scale: 0), .decimal(-max38, scale: 0)])
                == ["99999999999999999999999999999999999999", "-99999999999999999999999999999999999999"])
        #expect(texts(.decimal(38, 38), [.decimal(max38, scale: 38), .decimal(-1, scale: 38)])
                == ["0.99999999999999999999999999999999999999", "-0.00000000000000000000000000000000000001"])
        #expect(texts(.decimal(38, 10), [.decimal(Int128(-1_234_567_890_123) * 10_000_000_000 - 5, scale: 10)])
                == ["-1234567890123.0000000005"])
        // Int64-backed decimal at its limits
        #expect(texts(.decimal(18, 18), [.decimal(999_999_999_999_999_999, scale: 18)]) == ["0.999999999999999999"])
    }

    @Test func textStringsUUIDsAndNothing() {
        #expect(texts(.string, [.string("héllo"), .string(""), .null, .string("a\tb")]) == ["héllo", "", nil, "a\tb"])
        let lc = column(DataType(.string, lowCardinality: true), [.string("x")])
        #expect(text(lc) == "x")
        let u: UInt128 = 0xa0eebc99_9c0b_4ef8_bb6d_6bb9bd380a11
        #expect(texts(.uuid, [.uuid(u), .uuid(0)]) == ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "00000000-0000-0000-0000-000000000000"])
        // the NULL type is NULL whatever its storage says
        let nothing = Column(type: .nothing, data: .uint8([0, 0]))
        #expect(payload(nothing, 1, .text) == nil)
        #expect(payload(nothing, 1, .binary) == nil)
    }

    @Test func textDates() {
        #expect(texts(.date, [.date(0), .date(days(2000, 1, 1)), .date(days(1969, 12, 31)), .date(days(1900, 3, 1)),
                              .date(days(2024, 2, 29)), .date(days(1, 1, 1)), .date(days(0, 12, 31)), .date(days(-43, 3, 15)),
                              .date(days(10000, 1, 1)), .date(days(999, 7, 4))])
                == ["1970-01-01", "2000-01-01", "1969-12-31", "1900-03-01", "2024-02-29", "0001-01-01", "0001-12-31 BC",
                    "0044-03-15 BC", "10000-01-01", "0999-07-04"])
    }

    @Test func textTimestamps() {
        #expect(texts(.dateTime, [.dateTime(0), .dateTime(seconds(2024, 2, 29, 13, 45, 7)), .dateTime(-1), .null])
                == ["1970-01-01 00:00:00", "2024-02-29 13:45:07", "1969-12-31 23:59:59", nil])
        let t = seconds(2024, 2, 29, 13, 45, 7)
        #expect(texts(.dateTime64(6), [.dateTime64(t * 1_000_000 + 123_456, precision: 6), .dateTime64(t * 1_000_000 + 500_000, precision: 6),
                                       .dateTime64(t * 1_000_000, precision: 6), .dateTime64(-1, precision: 6),
                                       .dateTime64(t * 1_000_000 + 10, precision: 6)])
                == ["2024-02-29 13:45:07.123456", "2024-02-29 13:45:07.5", "2024-02-29 13:45:07", "1969-12-31 23:59:59.999999",
                    "2024-02-29 13:45:07.00001"])
        #expect(texts(.dateTime64(3), [.dateTime64(t * 1000 + 120, precision: 3), .dateTime64(-1, precision: 3)])
                == ["2024-02-29 13:45:07.12", "1969-12-31 23:59:59.999"])
        // below a microsecond is truncated (PostgreSQL timestamps hold microseconds)
        #expect(texts(.dateTime64(9), [.dateTime64(t * 1_000_000_000 + 123_456_789, precision: 9), .dateTime64(-1, precision: 9)])
                == ["2024-02-29 13:45:07.123456", "1969-12-31 23:59:59.999999"])
        #expect(texts(.dateTime64(0), [.dateTime64(seconds(1900, 1, 1, 0, 0, 1), precision: 0)]) == ["1900-01-01 00:00:01"])
        #expect(texts(.dateTime, [.dateTime(seconds(-43, 3, 15, 12))]) == ["0044-03-15 12:00:00 BC"])
    }

    @Test func constantColumnsBroadcast() {
        let c = column(.int64, [.int(7)])
        #expect(text(c, 0) == "7")
        #expect(text(c, 5) == "7")
        #expect(binary(c, 1000) == "0000000000000007")
        let n = column(.int64.nullable, [.null])
        #expect(field(n, 3, .text) == [0xff, 0xff, 0xff, 0xff])
        #expect(field(n, 3, .binary) == [0xff, 0xff, 0xff, 0xff])
        let s = column(.string, [.string("k")])
        #expect(text(s, 42) == "k")
    }

    @Test func nullsInTheMiddle() {
        let c = column(.int32.nullable, [.int(1), .null, .int(3)])
        var out: [UInt8] = []
        for r in 0..<3 { PGValueEncoder.appendField(c, row: r, format: .binary, to: &out) }
        #expect(hexString(out) == "00000004" + "00000001" + "ffffffff" + "00000004" + "00000003")
        out = []
        for r in 0..<3 { PGValueEncoder.appendField(c, row: r, format: .text, to: &out) }
        #expect(hexString(out) == "00000001" + "31" + "ffffffff" + "00000001" + "33")
    }

    // MARK: - Binary encoding

    @Test func binaryFixedWidth() {
        #expect(binary(column(.bool, [.bool(true)])) == "01")
        #expect(binary(column(.bool, [.bool(false)])) == "00")
        #expect(binary(column(.int8, [.int(-1)])) == "ffff")
        #expect(binary(column(.uint8, [.uint(255)])) == "00ff")
        #expect(binary(column(.int16, [.int(-2)])) == "fffe")
        #expect(binary(column(.int32, [.int(Int64(Int32.min))])) == "80000000")
        #expect(binary(column(.uint16, [.uint(65535)])) == "0000ffff")
        #expect(binary(column(.int64, [.int(Int64.min)])) == "8000000000000000")
        #expect(binary(column(.uint32, [.uint(UInt64(UInt32.max))])) == "00000000ffffffff")
        #expect(binary(column(.float32, [.float(1.5)])) == "3fc00000")
        #expect(binary(column(.float32, [.float(-0.0)])) == "80000000")
        #expect(binary(column(.float64, [.float(1.5)])) == "3ff8000000000000")
        #expect(binary(column(.float64, [.float(-.infinity)])) == "fff0000000000000")
        #expect(binary(column(.float64, [.float(-0.0)])) == "8000000000000000")
        let nan = payload(column(.float64, [.float(.nan)]), 0, .binary)!
        #expect(nan.count == 8 && nan[0] & 0x7f == 0x7f && nan[1] & 0xf0 == 0xf0)
        #expect(binary(column(.string, [.string("héllo")])) == "68c3a96c6c6f")
        #expect(binary(column(.string, [.string("")])) == "")
    }

    /// Reference bytes from psycopg 3.3.9's binary dumpers (no server needed), e.g.
    /// `Transformer().get_dumper(Decimal("1.5"), PyFormat.BINARY).dump(Decimal("1.5"))`.
    @Test func binaryNumericMatchesPsycopg() {
        func num(_ t: DataType, _ raw: Int128) -> String? {
            binary(column(t, [.decimal(raw, scale: t.decimalScale)]))
        }
        let max38 = DecimalMath.maxRaw(precision: 38)
        #expect(num(.decimal(9, 1), 15) == "000200000000000100011388")                 // 1.5
        #expect(num(.decimal(9, 0), 0) == "0000000000000000")                          // 0
        #expect(num(.decimal(9, 2), 0) == "0000000000000002")                          // 0.00
        #expect(num(.decimal(9, 2), -12345) == "0002000040000002007b1194")             // -123.45
        #expect(num(.decimal(9, 4), 1) == "0001ffff000000040001")                      // 0.0001
        #expect(num(.decimal(9, 5), 5) == "0001fffe000000051388")                      // 0.00005
        #expect(num(.decimal(18, 1), 123_456_789) == "000300010000000104d2162e2328")   // 12345678.9
        #expect(num(.decimal(38, 0), max38) == "000a0009000000000063" + String(repeating: "270f", count: 9))
        #expect(num(.decimal(38, 9), -1) == "0001fffd4000000903e8")                    // -0.000000001
        #expect(num(.decimal(18, 0), 10000) == "00010001000000000001")                 // 10000
        #expect(num(.decimal(38, 9), 1_000_000_000) == "00010000000000090001")         // 1.000000000
        #expect(num(.decimal(9, 3), 123_000) == "0001000000000003007b")                // 123.000
        #expect(num(.decimal(9, 1), -5) == "0001ffff400000011388")                     // -0.5
        #expect(num(.decimal(38, 38), max38) == "000affff00000026" + String(repeating: "270f", count: 9) + "26ac")
        let big = Int128(-12_345_678_901_234_567_890) * DecimalMath.pow10[18] - 123_456_789_012_345_678
        #expect(num(.decimal(38, 18), big) == "000a00044000001204d2162e23340d801ed204d2162e23340d801e78")
        // UInt64 goes out as numeric with dscale 0
        #expect(binary(column(.uint64, [.uint(UInt64.max)])) == "000500040000000007341a5802e103bb064f")
        #expect(binary(column(.uint64, [.uint(0)])) == "0000000000000000")
    }

    /// Reference bytes from psycopg 3.3.9's DateBinaryDumper / DatetimeNoTzBinaryDumper / UUIDBinaryDumper.
    @Test func binaryDatesTimestampsUUIDsMatchPsycopg() {
        #expect(binary(column(.date, [.date(days(2000, 1, 1))])) == "00000000")
        #expect(binary(column(.date, [.date(days(1969, 12, 31))])) == "ffffd532")
        #expect(binary(column(.date, [.date(days(1900, 3, 1))])) == "ffff718f")
        let t = seconds(2024, 2, 29, 13, 45, 7)
        #expect(binary(column(.dateTime64(6), [.dateTime64(t * 1_000_000 + 123_456, precision: 6)])) == "0002b5843c672100")
        #expect(binary(column(.dateTime64(3), [.dateTime64(-1, precision: 3)])) == hexString(withUnsafeBytes(of: (Int64(-946_684_800_000_000) - 1000).bigEndian) { Array($0) }))
        #expect(binary(column(.dateTime64(6), [.dateTime64(-1, precision: 6)])) == "fffca2fec4c81fff")   // 1969-12-31 23:59:59.999999
        #expect(binary(column(.dateTime, [.dateTime(seconds(1900, 1, 1))])) == "fff4c9ee7c0b8000")
        #expect(binary(column(.dateTime, [.dateTime(seconds(2000, 1, 1))])) == "0000000000000000")
        #expect(binary(column(.dateTime64(9), [.dateTime64(t * 1_000_000_000 + 123_456_789, precision: 9)])) == "0002b5843c672100")
        #expect(binary(column(.uuid, [.uuid(0xa0eebc99_9c0b_4ef8_bb6d_6bb9bd380a11)])) == "a0eebc999c0b4ef8bb6d6bb9bd380a11")
        // out of PostgreSQL's range: ±infinity
        #expect(binary(column(.dateTime, [.dateTime(Int64.max)])) == "7fffffffffffffff")
        #expect(binary(column(.dateTime, [.dateTime(Int64.min)])) == "8000000000000000")
        #expect(binary(column(.date, [.date(Int32.min)])) == "80000000")
    }

    // MARK: - Decoding

    @Test func decodeTextValues() throws {
        for s in ["t", "TRUE", " yes ", "on", "1", "y", "tr"] { #expect(try decodeText(s, 16) == .bool(true), "\(s)") }
        for s in ["f", "False", "no", "OFF", "0", "n", " of"] { #expect(try decodeText(s, 16) == .bool(false), "\(s)") }
        #expect(try decodeText(" 12 ", 23) == .int(12))
        #expect(try decodeText("-32768", 21) == .int(-32768))
        #expect(try decodeText("+7", 20) == .int(7))
        #expect(try decodeText("-9223372036854775808", 20) == .int(Int64.min))
        #expect(try decodeText("1_000_000", 20) == .int(1_000_000))
        #expect(try decodeText("0x1F", 23) == .int(31))
        #expect(try decodeText("4294967295", 26) == .uint(4_294_967_295))
        #expect(try decodeText(" 1.5 ", 701) == .float(1.5))
        #expect(try decodeText("1e-3", 701) == .float(0.001))
        #expect(try decodeText("0.1", 700) == .float(Double(Float(0.1))))
        #expect(try decodeText("-Infinity", 701) == .float(-.infinity))
        #expect(try decodeText("inf", 700) == .float(.infinity))
        if case .float(let d) = try decodeText("NaN", 701) { #expect(d.isNaN) } else { Issue.record("NaN") }
        #expect(try decodeText(" 12.5 ", 1700) == .decimal(12_500_000_000, scale: 9))
        #expect(try decodeText("-0.0000000005", 1700) == .decimal(-1, scale: 9))   // rounded half away from zero
        #expect(try decodeText("1.23e2", 1700) == .decimal(123_000_000_000, scale: 9))
        #expect(try decodeText(".5", 1700) == .decimal(500_000_000, scale: 9))
        #expect(try decodeText("héllo", 25) == .string("héllo"))
        #expect(try decodeText(" x ", 1043) == .string(" x "))
        #expect(try decodeText("anything", 0) == .string("anything"))
        #expect(try decodeText("{1,2}", 1007) == .string("{1,2}"))
        #expect(try decodeText("2024-02-29", 1082) == .date(days(2024, 2, 29)))
        #expect(try decodeText(" 1900-03-01 ", 1082) == .date(days(1900, 3, 1)))
        #expect(try decodeText("0044-03-15 BC", 1082) == .date(days(-43, 3, 15)))
        #expect(try decodeText("0005-02-29 BC", 1082) == .date(days(-4, 2, 29)))   // 5 BC is a leap year
        #expect(try decodeText("2024-02-29 13:45:07", 1082) == .date(days(2024, 2, 29)))
        let t = seconds(2024, 2, 29, 13, 45, 7) * 1_000_000
        #expect(try decodeText("2024-02-29 13:45:07", 1114) == .dateTime64(t, precision: 6))
        #expect(try decodeText("2024-02-29T13:45:07.123456", 1114) == .dateTime64(t + 123_456, precision: 6))
        #expect(try decodeText("2024-02-29 13:45:07.5", 1184) == .dateTime64(t + 500_000, precision: 6))
        #expect(try decodeText("2024-02-29 13:45:07.1234565", 1114) == .dateTime64(t + 123_457, precision: 6))
        #expect(try decodeText("2024-02-29 15:45:07+02", 1184) == .dateTime64(t, precision: 6))
        #expect(try decodeText("2024-02-29 15:45:07+02:00", 1114) == .dateTime64(t, precision: 6))
        #expect(try decodeText("2024-02-29 08:15:07-05:30", 1184) == .dateTime64(t, precision: 6))
        #expect(try decodeText("2024-02-29 13:45:07Z", 1184) == .dateTime64(t, precision: 6))
        #expect(try decodeText("2024-02-29 13:45:07 UTC", 1184) == .dateTime64(t, precision: 6))
        #expect(try decodeText("2024-02-29 13:45", 1114) == .dateTime64(t - 7_000_000, precision: 6))
        #expect(try decodeText("2024-02-29", 1114) == .dateTime64(seconds(2024, 2, 29) * 1_000_000, precision: 6))
        #expect(try decodeText("1969-12-31 23:59:59.999999", 1114) == .dateTime64(-1, precision: 6))
        #expect(try decodeText("0044-03-15 12:00:00 BC", 1114) == .dateTime64(seconds(-43, 3, 15, 12) * 1_000_000, precision: 6))
        #expect(try decodeText("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", 2950) == .uuid(0xa0eebc99_9c0b_4ef8_bb6d_6bb9bd380a11))
        #expect(try decodeText("{a0eebc999c0b4ef8bb6d6bb9bd380a11}", 2950) == .uuid(0xa0eebc99_9c0b_4ef8_bb6d_6bb9bd380a11))
    }

    @Test func decodeTextErrors() throws {
        #expect(code { try decodeText("maybe", 16) } == "22P02")
        #expect(code { try decodeText("", 16) } == "22P02")
        #expect(code { try decodeText("o", 16) } == "22P02")
        #expect(code { try decodeText("12a", 23) } == "22P02")
        #expect(code { try decodeText("", 20) } == "22P02")
        #expect(code { try decodeText("1__0", 20) } == "22P02")
        #expect(code { try decodeText("1.5", 20) } == "22P02")
        #expect(code { try decodeText("32768", 21) } == "22003")
        #expect(code { try decodeText("-2147483649", 23) } == "22003")
        #expect(code { try decodeText("9223372036854775808", 20) } == "22003")
        #expect(code { try decodeText("99999999999999999999999", 20) } == "22003")
        #expect(code { try decodeText("-1", 26) } == "22003")
        #expect(code { try decodeText("abc", 701) } == "22P02")
        #expect(code { try decodeText("1e400", 701) } == "22003")
        #expect(code { try decodeText("1e-400", 701) } == "22003")
        #expect(code { try decodeText("1e39", 700) } == "22003")
        #expect(code { try decodeText("nanx", 701) } == "22P02")
        #expect(code { try decodeText("1.2.3", 1700) } == "22P02")
        #expect(code { try decodeText("1e", 1700) } == "22P02")
        #expect(code { try decodeText("1e40", 1700) } == "22003")
        #expect(code { try decodeText("2024-13-01", 1082) } == "22003")
        #expect(code { try decodeText("2023-02-29", 1082) } == "22003")
        #expect(code { try decodeText("yesterday-ish", 1082) } == "22P02")
        #expect(code { try decodeText("2024-01-01 25:00", 1114) } == "22003")
        #expect(code { try decodeText("2024-01-01 12", 1114) } == "22P02")
        #expect(code { try decodeText("2024-01-01 12:00 nowhere", 1114) } == "22P02")
        #expect(code { try decodeText("not-a-uuid", 2950) } == "22P02")
        #expect(code { try PGValueDecoder.decode(ArraySlice([0xff, 0xfe]), oid: 25, format: .text) } == "22021")
        // the message names the type and the value
        do { _ = try decodeText("12a", 23); Issue.record("no error") } catch let e as AurumError {
            #expect(e.message.contains("integer") && e.message.contains("\"12a\""))
        }
        do { _ = try decodeText("40000", 21); Issue.record("no error") } catch let e as AurumError {
            #expect(e.message.contains("smallint") && e.message.contains("40000"))
        }
    }

    @Test func decodeBinaryValuesAndErrors() throws {
        #expect(try decodeBinary([1], 16) == .bool(true))
        #expect(try decodeBinary([0], 16) == .bool(false))
        #expect(try decodeBinary(hex("fffe"), 21) == .int(-2))
        #expect(try decodeBinary(hex("80000000"), 23) == .int(Int64(Int32.min)))
        #expect(try decodeBinary(hex("8000000000000000"), 20) == .int(Int64.min))
        #expect(try decodeBinary(hex("ffffffff"), 26) == .uint(4_294_967_295))
        #expect(try decodeBinary(hex("3fc00000"), 700) == .float(1.5))
        #expect(try decodeBinary(hex("3ff8000000000000"), 701) == .float(1.5))
        #expect(try decodeBinary(Array("héllo".utf8), 25) == .string("héllo"))
        #expect(try decodeBinary([1] + Array("{\"a\":1}".utf8), 3802) == .string("{\"a\":1}"))
        #expect(try decodeBinary(hex("ffffd532"), 1082) == .date(-1))
        #expect(try decodeBinary(hex("fffca2fec4c81fff"), 1114) == .dateTime64(-1, precision: 6))
        #expect(try decodeBinary(hex("0002b5843c672100"), 1184)
                == .dateTime64(seconds(2024, 2, 29, 13, 45, 7) * 1_000_000 + 123_456, precision: 6))
        #expect(try decodeBinary(hex("a0eebc999c0b4ef8bb6d6bb9bd380a11"), 2950) == .uuid(0xa0eebc99_9c0b_4ef8_bb6d_6bb9bd380a11))
        // numeric (psycopg reference vectors) at scale 9
        #expect(try decodeBinary(hex("000200000000000100011388"), 1700) == .decimal(1_500_000_000, scale: 9))
        #expect(try decodeBinary(hex("0002000040000002007b1194"), 1700) == .decimal(-123_450_000_000, scale: 9))
        #expect(try decodeBinary(hex("0000000000000000"), 1700) == .decimal(0, scale: 9))
        #expect(try decodeBinary(hex("0001fffd4000000903e8"), 1700) == .decimal(-1, scale: 9))
        #expect(try decodeBinary(hex("0001fffe000000051388"), 1700) == .decimal(50_000, scale: 9))
        #expect(try decodeBinary(hex("000500040000000007341a5802e103bb064f"), 1700)
                == .decimal(Int128(UInt64.max) * 1_000_000_000, scale: 9))
        // 0.00000000005 (weight -3, digit 50) rounds to 0; 0.0000000005 (digit 500) rounds up to 1e-9
        #expect(try decodeBinary(hex("0001fffd000000000032"), 1700) == .decimal(0, scale: 9))
        #expect(try decodeBinary(hex("0001fffd0000000001f4"), 1700) == .decimal(1, scale: 9))
        #expect(try decodeBinary(hex("0001fffd4000000001f4"), 1700) == .decimal(-1, scale: 9))
        // 0.99999999999999999999999999999999999999 rounds to 1.000000000
        #expect(try decodeBinary(hex("000affff00000026" + String(repeating: "270f", count: 9) + "26ac"), 1700)
                == .decimal(1_000_000_000, scale: 9))
        // 10^38 - 1 does not fit Decimal(38, 9)
        #expect(code { try decodeBinary(hex("000a0009000000000063" + String(repeating: "270f", count: 9)), 1700) } == "22003")
        // wrong lengths: protocol violation
        #expect(code { try decodeBinary([0, 0, 0, 1], 20) } == "08P01")
        #expect(code { try decodeBinary([0, 1], 23) } == "08P01")
        #expect(code { try decodeBinary([], 16) } == "08P01")
        #expect(code { try decodeBinary([0, 0, 0], 1082) } == "08P01")
        #expect(code { try decodeBinary([1, 2, 3], 2950) } == "08P01")
        #expect(code { try decodeBinary(hex("0002000000000000"), 1700) } == "08P01")
        #expect(code { try decodeBinary([0, 0, 0, 1], 0) } == "08P01")
        // malformed numeric contents
        #expect(code { try decodeBinary(hex("00010000000000002710"), 1700) } == "22P03")   // digit 10000
        #expect(code { try decodeBinary(hex("0000000012340000"), 1700) } == "22P03")       // bad sign
        #expect(code { try decodeBinary(hex("00000000c0000000"), 1700) } == "0A000")       // NaN
        // infinities Aurum cannot hold
        #expect(code { try decodeBinary(hex("7fffffffffffffff"), 1114) } == "0A000")
        #expect(code { try decodeBinary(hex("7fffffff"), 1082) } == "0A000")
        #expect(code { try decodeBinary([0, 1], 1186) } == "0A000")
    }

    @Test func nullDecodes() throws {
        for oid: UInt32 in [0, 16, 20, 25, 1700, 1114] {
            #expect(try PGValueDecoder.decode(nil, oid: oid, format: .text) == .null)
            #expect(try PGValueDecoder.decode(nil, oid: oid, format: .binary) == .null)
        }
    }

    // MARK: - Round trips

    @Test func roundTripsEveryTypeBothFormats() throws {
        let t = seconds(2024, 2, 29, 13, 45, 7)
        let max38 = DecimalMath.maxRaw(precision: 38)
        let cases: [(DataType, [Value])] = [
            (.bool, [.bool(true), .bool(false)]),
            (.int8, [.int(-128), .int(127), .int(0)]),
            (.int16, [.int(-32768), .int(32767)]),
            (.int32, [.int(Int64(Int32.min)), .int(Int64(Int32.max))]),
            (.int64, [.int(Int64.min), .int(Int64.max), .int(-1)]),
            (.uint8, [.uint(255)]),
            (.uint16, [.uint(65535)]),
            (.uint32, [.uint(UInt64(UInt32.max))]),
            (.float32, [.float(0.1), .float(-3.4028234663852886e38), .float(1.4e-45), .float(-0.0), .float(.infinity)]),
            (.float64, [.float(0.1), .float(-1.7976931348623157e308), .float(.leastNonzeroMagnitude), .float(-0.0), .float(1e15), .float(1e-5), .float(-.infinity)]),
            (.decimal(38, 9), [.decimal(0, scale: 9), .decimal(-1, scale: 9), .decimal(max38, scale: 9), .decimal(-max38, scale: 9),
                               .decimal(1_500_000_000, scale: 9)]),
            (.string, [.string(""), .string("héllo wörld"), .string("tab\tnew\nline")]),
            (.date, [.date(0), .date(days(1900, 3, 1)), .date(days(1969, 12, 31)), .date(days(2400, 12, 31)), .date(days(-43, 3, 15))]),
            (.dateTime64(6), [.dateTime64(t * 1_000_000 + 123_456, precision: 6), .dateTime64(-1, precision: 6),
                              .dateTime64(seconds(1900, 1, 1) * 1_000_000 + 10, precision: 6), .dateTime64(seconds(-43, 3, 15, 12) * 1_000_000, precision: 6)]),
            (.uuid, [.uuid(0), .uuid(0xa0eebc99_9c0b_4ef8_bb6d_6bb9bd380a11), .uuid(UInt128.max)]),
        ]
        for (type, values) in cases {
            let c = column(type.nullable, values + [.null])
            let oid = PGTypes.info(for: type).oid
            let back = PGTypes.aurumType(oid: oid)!
            for format in [PGFormat.text, .binary] {
                for r in 0..<c.count {
                    let p = payload(c, r, format)
                    let decoded = try PGValueDecoder.decode(p.map { ArraySlice($0) }, oid: oid, format: format)
                    let expected = try c.value(at: r).cast(to: back.nullable)
                    #expect(decoded == expected, "\(type) \(format) row \(r): \(decoded) != \(expected)")
                }
            }
        }
        // Decimal(p, s) with s != 9 and Int64 storage, UInt64, DateTime and DateTime64(3) come back
        // as the parameter types Decimal(38, 9) / DateTime64(6) with the same value.
        let d = column(.decimal(18, 2), [.decimal(-12345, scale: 2)])
        for format in [PGFormat.text, .binary] {
            #expect(try PGValueDecoder.decode(ArraySlice(payload(d, 0, format)!), oid: 1700, format: format)
                    == .decimal(-123_450_000_000, scale: 9))
            let u = column(.uint64, [.uint(UInt64.max)])
            #expect(try PGValueDecoder.decode(ArraySlice(payload(u, 0, format)!), oid: 1700, format: format)
                    == .decimal(Int128(UInt64.max) * 1_000_000_000, scale: 9))
            let dt = column(.dateTime, [.dateTime(t)])
            #expect(try PGValueDecoder.decode(ArraySlice(payload(dt, 0, format)!), oid: 1114, format: format)
                    == .dateTime64(t * 1_000_000, precision: 6))
            let d3 = column(.dateTime64(3), [.dateTime64(-1, precision: 3)])
            #expect(try PGValueDecoder.decode(ArraySlice(payload(d3, 0, format)!), oid: 1114, format: format)
                    == .dateTime64(-1000, precision: 6))
        }
    }

    /// Text floats must parse back to the identical bit pattern.
    @Test func floatTextRoundTripsExactly() throws {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        var values: [Double] = []
        for _ in 0..<2000 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            let d = Double(bitPattern: x)
            if d.isFinite { values.append(d) }
        }
        let c = column(.float64, values.map { .float($0) })
        for r in 0..<c.count {
            let v = try PGValueDecoder.decode(ArraySlice(payload(c, r, .text)!), oid: 701, format: .text)
            #expect(v == .float(values[r]))
        }
        let f = values.map { Float(bitPattern: UInt32(truncatingIfNeeded: $0.bitPattern >> 11)) }.filter { $0.isFinite }
        let fc = Column(type: .float32, data: .float32(f))
        for r in 0..<fc.count {
            let v = try PGValueDecoder.decode(ArraySlice(payload(fc, r, .text)!), oid: 700, format: .text)
            #expect(v == .float(Double(f[r])))
        }
    }

    @Test func decodeDatesWithZonesAndBytea() throws {
        // pgJDBC's setDate sends a zone offset after the date; the zone is ignored for a date
        #expect(try decodeText("2024-02-29 +00", PGTypes.dateOID) == .date(days(2024, 2, 29)))
        #expect(try decodeText("2024-02-29 -05:30", PGTypes.dateOID) == .date(days(2024, 2, 29)))
        #expect(try decodeText("2024-02-29 12:00:00+02", PGTypes.dateOID) == .date(days(2024, 2, 29)))
        #expect(code { try decodeText("2024-02-29 +x", PGTypes.dateOID) } == "22P02")
        // bytea: hex and escape text formats, raw binary
        #expect(try decodeText("\\x616263", PGTypes.byteaOID) == .string("abc"))
        #expect(try decodeText("\\x61 62", PGTypes.byteaOID) == .string("ab"))
        #expect(try decodeText("a\\\\b\\143", PGTypes.byteaOID) == .string("a\\bc"))
        #expect(code { try decodeText("\\x6", PGTypes.byteaOID) } == "22P02")
        #expect(code { try decodeText("\\9", PGTypes.byteaOID) } == "22P02")
        #expect(try decodeBinary([0x61, 0x62], PGTypes.byteaOID) == .string("ab"))
    }
}
