import AurumCore
import AurumEngine
import Foundation
import Glibc
import Testing
@testable import AurumIngest

/// Measures CSVSource's throughput on the SSB `lineorder_flat` CSV (SF 1: 6M rows, 36 columns,
/// 2 GB; `python3 shared/bench/gen_ssb.py --sf 1 --out /tmp/bench-data/ssb/sf1`, or any CSV
/// with a header named by AURUM_CSV_BENCH) against DuckDB's `read_csv` on the same file, and
/// reports rows/s and CPU time / wall time (about 2 when both cores are busy). A measurement,
/// not a regression test: it runs only with AURUM_MEASURE=1 and means something only in a
/// release build (`AURUM_MEASURE=1 swift test -c release --filter CSVMeasurement`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["AURUM_MEASURE"] != nil, "set AURUM_MEASURE=1 to measure"))
struct CSVMeasurementTests {
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    @Test func lineorderFlatAgainstDuckDB() throws {
        let path = ProcessInfo.processInfo.environment["AURUM_CSV_BENCH"] ?? "/tmp/bench-data/ssb/sf1/lineorder_flat.csv"
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("no benchmark CSV at \(path): generate it with python3 shared/bench/gen_ssb.py --sf 1 --out /tmp/bench-data/ssb/sf1")
            return
        }
        var options = CSVOptions.rfc4180
        options.header = true
        let columns = try CSVSource.inferSchema(paths: [path], options: options)
        print("columns: \(columns.map(\.description).joined(separator: ", "))")
        let size = Double((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)

        var best = Double.infinity
        var rows = 0
        var cpuRatio = 0.0
        for _ in 0..<2 {
            let source = try CSVSource(paths: [path], options: options, columns: columns, errors: ErrorBudget())
            let c0 = Self.cpuSeconds(), t0 = Self.now()
            rows = 0
            while let b = try source.next() { rows += b.count }
            let wall = Self.now() - t0, cpu = Self.cpuSeconds() - c0
            if wall < best { best = wall; cpuRatio = cpu / wall }
        }
        print(String(format: "Aurum CSVSource: %d rows in %.2f s = %.2f M rows/s, %.0f MB/s, CPU/wall %.2f",
                     rows, best, Double(rows) / best / 1e6, size / best / 1e6, cpuRatio))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let script = """
        import duckdb, time
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        best = None
        for _ in range(2):
            t = time.time()
            n = con.execute("SELECT count(*) FROM read_csv('\(path)')").fetchall()[0][0]
            d = time.time() - t
            best = d if best is None else min(best, d)
        print(n, best)
        """
        process.arguments = ["python3", "-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let lastLine = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n").last ?? ""
        let out = lastLine.split(separator: " ")
        try #require(process.terminationStatus == 0 && out.count == 2, "python3 with duckdb is needed for the comparison")
        let duckRows = Int(out[0]) ?? -1
        let duckSeconds = Double(out[1].trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        print(String(format: "DuckDB read_csv count(*): %d rows in %.2f s = %.2f M rows/s", duckRows, duckSeconds,
                     Double(duckRows) / duckSeconds / 1e6))
        #expect(rows == duckRows)
    }
}
