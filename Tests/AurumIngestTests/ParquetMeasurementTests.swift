import AurumCore
import AurumEngine
import Foundation
import Testing
@testable import AurumIngest

/// Reading speed of ParquetSource on a lineorder-like file (17 columns, snappy, 1M-row row
/// groups) against DuckDB's `read_parquet` on the same file. A measurement, not a regression
/// test: it runs only with AURUM_MEASURE=1, and means something only in a release build:
/// `AURUM_MEASURE=1 swift test -c release --filter ParquetMeasurement` (rows: AURUM_MEASURE_ROWS,
/// default 6M; the file is kept in /tmp between runs).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["AURUM_MEASURE"] != nil, "set AURUM_MEASURE=1 to measure"))
struct ParquetMeasurementTests {
    struct DuckDBResult: Decodable {
        var rows: Int
        var sum_revenue: String
        var sum_quantity: String
        var duckdb_seconds: Double
        var duckdb_threads: Int
    }

    @Test func readLineorder() throws {
        let rows = Int(ProcessInfo.processInfo.environment["AURUM_MEASURE_ROWS"] ?? "") ?? 6_000_000
        let path = "/tmp/aurum-lineorder-\(rows).parquet"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("fixtures/parquet_lineorder.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, path, String(rows)]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "parquet_lineorder.py failed (needs pyarrow, numpy, duckdb)")
        let duck = try JSONDecoder().decode(DuckDBResult.self, from: data)

        var best = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            let source = try ParquetSource(paths: [path])
            let revenue = try #require(source.columns.firstIndex { $0.name == "lo_revenue" })
            let quantity = try #require(source.columns.firstIndex { $0.name == "lo_quantity" })
            var n = 0
            var sumRevenue: Int128 = 0, sumQuantity: Int128 = 0
            while let b = try source.next() {
                n += b.count
                if case .int64(let a) = b.columns[revenue].data { for v in a { sumRevenue += Int128(v) } }
                if case .int8(let a) = b.columns[quantity].data { for v in a { sumQuantity += Int128(v) } }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, seconds)
            #expect(n == duck.rows)
            #expect(String(sumRevenue) == duck.sum_revenue)
            #expect(String(sumQuantity) == duck.sum_quantity)
        }
        let line = String(format: "Parquet %d rows x 17 columns: Aurum ParquetSource %.3f s (%.1f M rows/s, %d threads), DuckDB read_parquet %.3f s (%.1f M rows/s, %d threads)",
                          duck.rows, best, Double(duck.rows) / best / 1e6, ProcessInfo.processInfo.activeProcessorCount,
                          duck.duckdb_seconds, Double(duck.rows) / duck.duckdb_seconds / 1e6, duck.duckdb_threads)
        print(line)
    }
}
