import AurumCore
import AurumEngine
import Foundation
import Testing
@testable import AurumIngest

/// DECIMAL stored as BYTE_ARRAY (variable-length big-endian two's complement), from files
/// pyarrow cannot write: fixtures/parquet_handwritten.py writes them with its own Thrift
/// compact encoder (PLAIN and dictionary pages, definition levels, two row groups) and checks
/// them with pyarrow, which reads them. Corrupt variants must fail with 22P04 naming the column.
@Suite("Parquet BYTE_ARRAY decimals")
struct ParquetByteArrayDecimalTests {
    struct ColumnExpectation: Decodable {
        var type: String
        var values: [String?]
        var nulls: Int
        var sum: String
        var min: String
        var max: String
    }
    struct FileExpectation: Decodable {
        var rows: Int
        var row_groups: Int
        var row_group_rows: [Int]
        var columns: [String: ColumnExpectation]
    }

    static let generated = FixtureGenerator.run("parquet_handwritten.py", prefix: "aurum-parquet-hw",
                                                needs: "python3 with pyarrow 26, installed by .ci/run")

    static func path(_ name: String) throws -> String { try generated.get() + "/" + name }

    /// The expectations of decimal_bytes.parquet (other keys of expected.json are the corrupt files').
    struct Expected: Decodable {
        var decimalBytes: FileExpectation
        enum CodingKeys: String, CodingKey { case decimalBytes = "decimal_bytes.parquet" }
    }

    static func expectation() throws -> FileExpectation {
        let data = try Data(contentsOf: URL(fileURLWithPath: try path("expected.json")))
        return try JSONDecoder().decode(Expected.self, from: data).decimalBytes
    }

    /// "-1234.5600" → -12345600 (the unscaled value of a decimal text).
    static func unscaled(_ text: String) -> Int128? { Int128(text.replacingOccurrences(of: ".", with: "")) }

    @Test func everyValueAsPyarrowReadsIt() throws {
        let e = try Self.expectation()
        let file = try ParquetFile(path: try Self.path("decimal_bytes.parquet"))
        #expect(file.rowGroups == e.row_group_rows.map(Int64.init))
        #expect(file.columns.map(\.name) == ["d38", "d12_4", "d20_3", "d9_2"])
        #expect(file.columns.map(\.type.description) == file.columns.map { e.columns[$0.name]?.type ?? "?" })
        // Int64 storage up to 18 digits, Int128 beyond
        let first = try file.readRowGroup(0, columns: [0, 1, 2, 3])
        guard case .int128 = first.columns[0].data, case .int64 = first.columns[1].data,
              case .int128 = first.columns[2].data, case .int64 = first.columns[3].data else {
            Issue.record("unexpected storage: \(first.columns.map(\.data))"); return
        }

        let source = try ParquetSource(paths: [try Self.path("decimal_bytes.parquet")], parallelism: 2)
        var values = [[String?]](repeating: [], count: 4)
        var sums = [Int128](repeating: 0, count: 4)
        var mins = [Int128](repeating: .max, count: 4)
        var maxs = [Int128](repeating: .min, count: 4)
        var nulls = [Int](repeating: 0, count: 4)
        var blocks = 0
        while let b = try source.next() {
            blocks += 1
            for c in 0..<4 {
                nulls[c] += b.columns[c].nullCount
                for r in 0..<b.count {
                    let v = b.columns[c].value(at: r)
                    values[c].append(v.isNull ? nil : v.description)
                    if case .decimal(let raw, _) = v {
                        sums[c] += raw
                        mins[c] = min(mins[c], raw)
                        maxs[c] = max(maxs[c], raw)
                    }
                }
            }
        }
        #expect(blocks == 2)
        for (c, name) in ["d38", "d12_4", "d20_3", "d9_2"].enumerated() {
            let x = try #require(e.columns[name])
            #expect(values[c] == x.values, "\(name)")
            #expect(nulls[c] == x.nulls, "\(name)")
            #expect(sums[c] == Self.unscaled(x.sum), "\(name)")
            #expect(mins[c] == Self.unscaled(x.min), "\(name)")
            #expect(maxs[c] == Self.unscaled(x.max), "\(name)")
        }
        // the extremes of DECIMAL(38, 0) arrive exactly
        #expect(values[0].contains("99999999999999999999999999999999999999"))
        #expect(values[0].contains("-99999999999999999999999999999999999999"))
        #expect(source.bytesRead == source.bytesTotal)
    }

    @Test func fileFunctionReadsThem() throws {
        let e = try Self.expectation()
        IngestTableFunctions.install()   // file() / deltaLake(), as the embedded API and the CLI do
        let db = try LoaderTests.DB()
        let path = try Self.path("decimal_bytes.parquet")
        let d12 = try #require(e.columns["d12_4"]), d20 = try #require(e.columns["d20_3"]), d9 = try #require(e.columns["d9_2"])
        #expect(try db.scalar("SELECT count(*), sum(d12_4), min(d12_4), max(d12_4), countIf(d20_3 IS NULL), sum(d20_3), sum(d9_2) FROM file('\(path)')")
                == ["\(e.rows)|\(d12.sum)|\(d12.min)|\(d12.max)|\(d20.nulls)|\(d20.sum)|\(d9.sum)"])
        let d38 = try #require(e.columns["d38"])
        #expect(try db.scalar("SELECT min(d38), max(d38) FROM file('\(path)')") == ["\(d38.min)|\(d38.max)"])
        // loaded into a table with --create: the types come from the file
        let s = try db.load([path], table: "dec", create: true)
        #expect(s.rows == e.rows)
        #expect(try db.scalar("SELECT type FROM system.columns WHERE \"table\" = 'dec' ORDER BY position")
                == ["d38", "d12_4", "d20_3", "d9_2"].map { e.columns[$0]?.type ?? "?" })
        #expect(try db.scalar("SELECT count(*), countIf(d38 IS NULL), sum(d9_2) FROM dec") == ["\(e.rows)|\(d38.nulls)|\(d9.sum)"])
    }

    @Test func aValueLongerThan128BitsIsAnErrorNamingTheColumn() throws {
        let source = try ParquetSource(paths: [try Self.path("corrupt_long.parquet")])
        expectAurumError(.badCopyFileFormat, containing: ["corrupt_long.parquet", "row group 0", "column d38", "17 bytes", "128 bits"]) {
            while try source.next() != nil {}
        }
    }

    @Test func aLengthRunningPastThePageIsAnErrorNamingTheColumn() throws {
        let source = try ParquetSource(paths: [try Self.path("corrupt_overrun.parquet")])
        expectAurumError(.badCopyFileFormat, containing: ["corrupt_overrun.parquet", "row group 0", "column d38", "1000 bytes past the end of the page"]) {
            while try source.next() != nil {}
        }
    }
}
