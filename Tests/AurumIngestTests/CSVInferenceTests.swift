import AurumCore
import AurumEngine
import Foundation
import Testing
@testable import AurumIngest

/// Schema inference for CSV and NDJSON, and the byte-level value parsers it rests on.
struct CSVInferenceTests {
    @Test func csvTypesFromTheSample() throws {
        let text = """
        flag,n,big,x,day,at,s,empty
        true,1,99999999999999999999,1.5,2024-01-01,2024-01-01 10:00:00,a,
        false,-2,1,2,2024-01-02,2024-01-02T10:00:00Z,2,
        TRUE,,3,-3e5,,2024-01-03,b,

        """
        let path = try TextFixtures.write("infer.csv", Array(text.utf8))
        var o = CSVOptions.rfc4180
        o.header = true
        let columns = try CSVSource.inferSchema(paths: [path], options: o)
        #expect(columns == [
            SourceColumn(name: "flag", type: .bool),
            SourceColumn(name: "n", type: DataType.int64.nullable),
            SourceColumn(name: "big", type: .decimal(38, 0)),
            SourceColumn(name: "x", type: .float64),
            SourceColumn(name: "day", type: DataType.date.nullable),
            SourceColumn(name: "at", type: .dateTime64(6)),
            SourceColumn(name: "s", type: .string),
            SourceColumn(name: "empty", type: DataType.string.nullable),
        ])
        // The inferred schema loads the file.
        let block = try TextFixtures.readAll(try CSVSource(paths: [path], options: o, columns: columns, errors: ErrorBudget()))
        #expect(block.count == 3)
        #expect(block.columns[2].value(at: 0).description == "99999999999999999999")
    }

    @Test func csvWithoutHeaderNamesColumnsC1ToCN() throws {
        let path = try TextFixtures.write("infer_noheader.tsv", Array("1\tx\\ty\n2\t\\N\n".utf8))
        let columns = try CSVSource.inferSchema(paths: [path], options: .tsv)
        #expect(columns == [SourceColumn(name: "c1", type: .int64), SourceColumn(name: "c2", type: DataType.string.nullable)])
    }

    @Test func sampleLimitsTheRowsLookedAt() throws {
        var text = "v\n"
        for i in 0..<100 { text += "\(i)\n" }
        text += "not a number\n"
        let path = try TextFixtures.write("infer_sample.csv", Array(text.utf8))
        var o = CSVOptions.rfc4180
        o.header = true
        #expect(try CSVSource.inferSchema(paths: [path], options: o, sampleRows: 50) == [SourceColumn(name: "v", type: .int64)])
        #expect(try CSVSource.inferSchema(paths: [path], options: o) == [SourceColumn(name: "v", type: .string)])
    }

    @Test func ndjsonTypesFromTheSample() throws {
        let text = """
        {"id": 1, "price": 1.5, "big": 123456789012345678901, "name": "a", "day": "2024-01-01", "ok": true, "tags": [1]}
        {"id": 2, "price": 2, "big": 1, "name": "2024-01-01", "day": "2024-01-02", "ok": false, "tags": {"a": 1}, "later": "x"}
        {"id": 3, "price": null, "big": 2, "name": "c", "day": "2024-01-03 10:00:00", "ok": true, "tags": null}

        """
        let path = try TextFixtures.write("infer.ndjson", Array(text.utf8))
        let columns = try NDJSONSource.inferSchema(paths: [path])
        #expect(columns == [
            SourceColumn(name: "id", type: .int64),
            SourceColumn(name: "price", type: DataType.float64.nullable),
            SourceColumn(name: "big", type: .decimal(38, 0)),
            SourceColumn(name: "name", type: .string),
            SourceColumn(name: "day", type: .dateTime64(6)),
            SourceColumn(name: "ok", type: .bool),
            SourceColumn(name: "tags", type: DataType.string.nullable),
            SourceColumn(name: "later", type: DataType.string.nullable),
        ])
        let block = try TextFixtures.readAll(try NDJSONSource(paths: [path], columns: columns, errors: ErrorBudget()))
        #expect(block.count == 3)
    }

    static func parse<T>(_ s: String, _ f: (UnsafePointer<UInt8>, Int) -> (T, ParseStatus)) -> (T, ParseStatus) {
        var bytes = Array(s.utf8)
        bytes.append(0)
        return bytes.withUnsafeBufferPointer { f($0.baseAddress!, $0.count - 1) }
    }

    @Test func valueParsers() {
        #expect(Self.parse("-9223372036854775808", TextValueParsers.int64) == (Int64.min, .ok))
        #expect(Self.parse("9223372036854775808", TextValueParsers.int64).1 == .outOfRange)
        #expect(Self.parse("12a", TextValueParsers.int64).1 == .invalid)
        #expect(Self.parse("", TextValueParsers.int64).1 == .invalid)
        #expect(Self.parse("-", TextValueParsers.int64).1 == .invalid)
        #expect(Self.parse("18446744073709551615", TextValueParsers.uint64) == (UInt64.max, .ok))
        #expect(Self.parse("-1", TextValueParsers.uint64).1 == .outOfRange)
        for s in ["0.1", "1e-7", "123456.789", "-2.5E+10", "1.7976931348623157e308", "5e-324", "0.30000000000000004",
                  "12345678901234567890123", ".5"] {
            #expect(Self.parse(s, TextValueParsers.double).0 == Double(s)!, "\(s)")
        }
        #expect(Self.parse("NaN", TextValueParsers.double).0.isNaN)
        #expect(Self.parse("-inf", TextValueParsers.double) == (-.infinity, .ok))
        #expect(Self.parse("1e999", TextValueParsers.double).1 == .outOfRange)
        #expect(Self.parse("0x10", TextValueParsers.double).1 == .invalid)
        #expect(Self.parse("1.2.3", TextValueParsers.double).1 == .invalid)
        func dec(_ s: String, _ scale: Int, _ p: Int = 38) -> (Int128, ParseStatus) {
            Self.parse(s) { TextValueParsers.decimal($0, $1, scale: scale, maxRaw: DecimalMath.maxRaw(precision: p)) }
        }
        #expect(dec("12345678901234567890123456.789012", 6) == (12345678901234567890123456789012, .ok))
        #expect(dec("-0.005", 2) == (-1, .ok))
        #expect(dec("0.004", 2) == (0, .ok))
        #expect(dec("1.5e3", 2) == (150000, .ok))
        #expect(dec("999.995", 2, 5).1 == .outOfRange)
        #expect(dec("999.99", 2, 5) == (99999, .ok))
        #expect(dec("00000000000000000000000000000000000000000001.5", 1) == (15, .ok))
        #expect(dec("1x", 2).1 == .invalid)
        #expect(dec(".", 2).1 == .invalid)
        func ts(_ s: String) -> (Int64, ParseStatus) { Self.parse(s) { TextValueParsers.timestamp($0, $1, precision: 6) } }
        #expect(ts("1970-01-01 00:00:01.5") == (1_500_000, .ok))
        #expect(ts("1970-01-01T01:00:00+01:00") == (0, .ok))
        #expect(ts("1970-01-01 00:00:00 -0130") == (5_400_000_000, .ok))
        #expect(ts("1969-12-31 23:59:59.9999999Z") == (-1, .ok))
        #expect(ts("2024-01-01 10:00:00 UTC").1 == .ok)
        #expect(ts("2024-02-30 10:00:00").1 == .outOfRange)
        #expect(ts("2024-01-01 25:00:00").1 == .outOfRange)
        #expect(ts("2024-01-01 10:00:00 PST").1 == .invalid)
        #expect(Self.parse("1900-01-01", TextValueParsers.date) == (Int32(-25567), .ok))
        #expect(Self.parse("2024-01-01T00:00:00Z", TextValueParsers.date).1 == .ok)
        #expect(Self.parse("2024-01-01 10:00:00", TextValueParsers.date).1 == .invalid)
        #expect(Self.parse("{123E4567-E89B-12D3-A456-426614174000}", TextValueParsers.uuid).1 == .ok)
        #expect(Self.parse("123e4567e89b12d3a456426614174000", TextValueParsers.uuid).1 == .ok)
        #expect(Self.parse("123e4567-e89b-12d3-a456-42661417400", TextValueParsers.uuid).1 == .invalid)
        for (s, v) in [("true", UInt8(1)), ("F", 0), ("yes", 1), ("off", 0), ("1", 1), ("0", 0)] {
            #expect(Self.parse(s, TextValueParsers.bool) == (v, .ok))
        }
        #expect(Self.parse("maybe", TextValueParsers.bool).1 == .invalid)
    }
}
