import AurumCore
import Foundation
import Testing
@testable import AurumEngine

// CopyText: Blocks as COPY FROM STDIN text (what `aurum load` sends to a server). The bytes
// it writes, fed to COPY FROM in odd-sized chunks, give back exactly the values of every type.

@Suite("CopyText")
struct CopyTextTests {
    @Test func textOfOneBlock() {
        let block = Block(columns: [
            Column(type: .int64, data: .int64([1, -2])),
            Column(type: DataType.string.nullable, data: .string(StringArray(["a\tb\\c\nd", ""])), validity: [1, 0]),
            Column(type: .string, data: .string(StringArray(["\\.", "\r"]))),
        ], count: 2)
        var out: [UInt8] = []
        CopyText.append(block, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "1\ta\\tb\\\\c\\nd\t\\\\.\n-2\t\\N\t\\r\n")
    }

    @Test func everyTypeRoundTripsThroughCopyFrom() throws {
        let directory = NSTemporaryDirectory() + "aurum-copytext-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let engine = try Engine(directory: directory, options: EngineOptions(threads: 2, backgroundMerges: false, fsync: false))
        defer {
            engine.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let s = engine.makeSession()
        let columns = """
            (id Int32, b Nullable(Bool), i8 Int8, i64 Nullable(Int64), u64 UInt64, f32 Float32, f64 Nullable(Float64),
             d Decimal(9, 2), dw Nullable(Decimal(38, 10)), s Nullable(String), lc LowCardinality(String), day Nullable(Date),
             ts DateTime, ts3 DateTime64(3), ts9 Nullable(DateTime64(9)), u Nullable(UUID))
            ENGINE = MergeTree ORDER BY id
            """
        _ = try s.execute("CREATE TABLE a \(columns)")
        _ = try s.execute("CREATE TABLE b \(columns)")
        _ = try s.execute("""
            INSERT INTO a VALUES
            (1, true, -128, -9223372036854775808, 18446744073709551615, 0.1, 0.1, -9999999.99, 1234567890123456789012345678.0123456789,
             'tab\there\\\\back\nnew', 'x', '1900-01-01', '1970-01-01 00:00:00', '1900-01-01 00:00:00.001', '2261-12-31 23:59:59.999999999',
             '123e4567-e89b-12d3-a456-426614174000'),
            (2, NULL, 127, NULL, 0, 3.4028235e38, NULL, 0.01, NULL, NULL, '', NULL, '2106-02-07 06:28:15', '2024-02-29 12:34:56.789',
             NULL, NULL),
            (3, false, 0, 9223372036854775807, 1, -1.5e-38, 5e-324, -0.01, -0.0000000001, '\\\\N', 'y', '2299-12-31',
             '1999-12-31 23:59:59', '1969-12-31 23:59:59.999', '1969-12-31 23:59:59.999999999', '00000000-0000-0000-0000-000000000000'),
            (4, true, 1, 0, 2, -0.0, 1.7976931348623157e308, 9999999.99, 0, '', 'y', '2024-01-02', '2024-01-02 03:04:05',
             '2024-01-02 03:04:05.000', '2024-01-02 03:04:05.000000001', 'ffffffff-ffff-ffff-ffff-ffffffffffff')
            """)
        var text: [UInt8] = []
        for block in try s.execute("SELECT * FROM a ORDER BY id").last?.blocks ?? [] { CopyText.append(block, to: &text) }
        let copy = try s.beginCopyIn("COPY b FROM STDIN")
        var at = 0
        while at < text.count {
            let n = min(7, text.count - at)
            try copy.feed(Array(text[at..<(at + n)]))
            at += n
        }
        #expect(try copy.finish() == 4)
        func dump(_ t: String) throws -> [[Value]] {
            var rows: [[Value]] = []
            for b in try s.execute("SELECT * FROM \(t) ORDER BY id").last?.blocks ?? [] {
                for i in 0..<b.count { rows.append(b.columns.map { $0.value(at: i) }) }
            }
            return rows
        }
        let want = try dump("a"), got = try dump("b")
        #expect(want.count == 4)
        #expect(got == want)
    }
}
