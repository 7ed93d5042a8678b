// Aurum query and insert benchmarks on 1,000,000 generated rows (see BenchData.swift and
// ../../README.md). Each benchmark runs in its own process (package-benchmark's model): its
// setup builds an in-memory database by SQL, computes the expected result from the Swift
// mirror of the generator, runs the query once and checks the whole result. Every measured
// iteration then checks the row count (and, for ordered results, the first row) and
// black-holes the result; a wrong answer stops the run with the reason (see `check` in BenchData.swift).

import Aurum
import Benchmark

let benchmarks: @Sendable () -> Void = {
    // Each query: 1 warm-up, then up to 250 measured runs or 8 s, whichever comes first. The
    // whole suite (9 processes, each loading its 1M rows first, ~1 s) runs in about a minute
    // on 2 idle cores and stays under 2-3 minutes on a busy shared machine.
    // Memory: the setup's load leaves the process at ~300 MB resident, so the resident-set
    // metric is the growth over that level during the runs; the malloc metrics (counted by
    // the MallocInterposer trait) are per query. cpuTotal comes from /proc in 10 ms ticks.
    Benchmark.defaultConfiguration = .init(
        metrics: queryMetrics,
        warmupIterations: 1,
        maxDuration: .seconds(8),
        maxIterations: 250
    )

    for query in QueryCase.all {
        registerQueryBenchmark(query)
    }
    registerInsertBenchmark()
}

let queryMetrics: [BenchmarkMetric] = [
    .wallClock, .cpuTotal, .throughput, .mallocCountTotal, .mallocBytesCount, .peakMemoryResidentDelta,
]

// MARK: - Query benchmarks

/// One cell of an expected result row.
enum Cell: CustomStringConvertible {
    case int(Int)
    case text(String)
    /// A floating-point value compared with a relative tolerance of 1e-9 (avg()).
    case approx(Double)

    var description: String {
        switch self {
        case .int(let v): return String(v)
        case .text(let s): return s
        case .approx(let d): return String(d)
        }
    }

    func matches(_ row: Row, _ column: Int) -> Bool {
        switch self {
        case .int(let v): return row.int(column) == Int64(v)
        case .text(let s): return row.string(column) == s
        case .approx(let d):
            guard let got = row.double(column) else { return false }
            return abs(got - d) <= 1e-9 * max(1, abs(d))
        }
    }
}

struct QueryCase {
    let name: String
    let sql: String
    var withCustomer = false
    /// The query's ORDER BY fixes the row order (otherwise rows are compared as a multiset).
    var ordered = true
    /// The full expected result, computed from `FactRow` (not from Aurum).
    let expected: @Sendable () -> [[Cell]]
}

/// The database and expected result a query benchmark's setup builds, used by its iterations.
final class QueryFixture: @unchecked Sendable {
    let db: Database
    let connection: Connection
    let expected: [[Cell]]

    init(db: Database, expected: [[Cell]]) {
        self.db = db
        self.connection = db.connect()
        self.expected = expected
    }
}

/// Holds the fixture between setup, the iterations and teardown (each benchmark has one).
final class FixtureBox<T>: @unchecked Sendable {
    var value: T?
}

func registerQueryBenchmark(_ query: QueryCase) {
    let box = FixtureBox<QueryFixture>()
    Benchmark(query.name) { (benchmark: Benchmark, fixture: QueryFixture) in
        let result: ResultSet
        do {
            result = try fixture.connection.execute(query.sql)
        } catch {
            fail("\(query.name): \(error)")
        }
        check(
            result.count == fixture.expected.count,
            "\(query.name): \(result.count) rows, expected \(fixture.expected.count)"
        )
        blackHole(result)
        benchmark.stopMeasurement()
        if query.ordered, let first = fixture.expected.first {
            check(
                first.indices.allSatisfy { first[$0].matches(result[0], $0) },
                "\(query.name): first row \(result[0].values), expected \(first)"
            )
        }
    } setup: {
        let db = try BenchData.makeDatabase(withCustomer: query.withCustomer)
        let fixture = QueryFixture(db: db, expected: query.expected())
        box.value = fixture
        verify(query, try fixture.connection.execute(query.sql), expected: fixture.expected)
        return fixture
    } teardown: {
        box.value?.db.close()
        box.value = nil
    }
}

/// Checks a whole result against the expected rows; stops the run on any difference.
func verify(_ query: QueryCase, _ result: ResultSet, expected: [[Cell]]) {
    check(result.count == expected.count, "\(query.name): \(result.count) rows, expected \(expected.count)")
    if query.ordered {
        for (i, want) in expected.enumerated() {
            let row = result[i]
            check(
                row.count == want.count && want.indices.allSatisfy { want[$0].matches(row, $0) },
                "\(query.name): row \(i) is \(row.values), expected \(want)"
            )
        }
    } else {
        // Multiset comparison on the text form (unordered results hold integers and strings only).
        let got = result.map { row in (0..<row.count).map { row.string($0) ?? "NULL" }.joined(separator: "|") }.sorted()
        let want = expected.map { $0.map(\.description).joined(separator: "|") }.sorted()
        if let i = got.indices.first(where: { got[$0] != want[$0] }) {
            fail("\(query.name): sorted row \(i) is \(got[i]), expected \(want[i])")
        }
    }
}

extension QueryCase {
    static let all: [QueryCase] = [
        scalarSumRangeFilter, lowCardFilterGroupBy, tpchQ1, groupByThreeKeys,
        groupByHighCardinality, countDistinct, topN, hashJoin,
    ] + windows

    /// 1. SSB Q1.1: scalar aggregate over a date range and BETWEEN filters (1.9 % of the rows pass).
    static let scalarSumRangeFilter = QueryCase(
        name: "SSB-Q1.1 ScalarSumRangeFilter",
        sql: """
            SELECT sum(lo_extendedprice * lo_discount) AS revenue
            FROM lineorder
            WHERE lo_orderdate >= '1993-01-01' AND lo_orderdate < '1994-01-01'
              AND lo_discount BETWEEN 1 AND 3
              AND lo_quantity < 25
            """
    ) {
        let lo = Calendar1992.index(1993, 1, 1), hi = Calendar1992.index(1994, 1, 1)
        var revenue = 0
        FactRow.forEach { r in
            if r.dateIndex >= lo, r.dateIndex < hi, (1...3).contains(r.discount), r.quantity < 25 {
                revenue += r.extendedprice * r.discount
            }
        }
        return [[.int(revenue)]]
    }

    /// 2. SSB Q2.1: equality filters on two LowCardinality strings, GROUP BY year and brand.
    static let lowCardFilterGroupBy = QueryCase(
        name: "SSB-Q2.1 LowCardFilterGroupBy",
        sql: """
            SELECT sum(lo_revenue) AS revenue, toYear(lo_orderdate) AS year, p_brand
            FROM lineorder
            WHERE p_category = 'MFGR#12' AND s_region = 'REGION1'
            GROUP BY year, p_brand
            ORDER BY year, p_brand
            """
    ) {
        struct Key: Hashable { let year: Int; let brand: String }
        var sums: [Key: Int] = [:]
        let years = Calendar1992.years
        FactRow.forEach { r in
            if r.pCategory == 12, r.sRegion == 1 {
                sums[Key(year: years[r.dateIndex], brand: "BRAND#\(r.pBrand)"), default: 0] += r.revenue
            }
        }
        return sums.sorted { ($0.key.year, $0.key.brand) < ($1.key.year, $1.key.brand) }
            .map { [.int($0.value), .int($0.key.year), .text($0.key.brand)] }
    }

    /// 3. TPC-H Q1: GROUP BY two LowCardinality strings, 8 aggregates, 97 % of the rows pass.
    static let tpchQ1 = QueryCase(
        name: "TPCH-Q1 GroupBy2Strings8Aggs",
        sql: """
            SELECT
                lo_returnflag,
                lo_linestatus,
                sum(lo_quantity) AS sum_qty,
                sum(lo_extendedprice) AS sum_base_price,
                sum(lo_extendedprice * (100 - lo_discount)) AS sum_disc_price,
                sum(lo_extendedprice * (100 - lo_discount) * (100 + lo_tax)) AS sum_charge,
                avg(lo_quantity) AS avg_qty,
                avg(lo_extendedprice) AS avg_price,
                avg(lo_discount) AS avg_disc,
                count(*) AS count_order
            FROM lineorder
            WHERE lo_orderdate <= '1998-09-02'
            GROUP BY lo_returnflag, lo_linestatus
            ORDER BY lo_returnflag, lo_linestatus
            """
    ) {
        struct Acc { var qty = 0, base = 0, disc = 0, charge = 0, discount = 0, count = 0 }
        var acc = [Acc](repeating: Acc(), count: 6)
        let last = Calendar1992.index(1998, 9, 2)
        FactRow.forEach { r in
            guard r.dateIndex <= last else { return }
            let g = r.returnflag * 2 + r.linestatus
            acc[g].qty += r.quantity
            acc[g].base += r.extendedprice
            acc[g].disc += r.extendedprice * (100 - r.discount)
            acc[g].charge += r.extendedprice * (100 - r.discount) * (100 + r.tax)
            acc[g].discount += r.discount
            acc[g].count += 1
        }
        let flags = ["A", "N", "R"], statuses = ["F", "O"]
        return acc.enumerated().filter { $0.element.count > 0 }.map { g, a in
            let n = Double(a.count)
            return [
                .text(flags[g / 2]), .text(statuses[g % 2]),
                .int(a.qty), .int(a.base), .int(a.disc), .int(a.charge),
                .approx(Double(a.qty) / n), .approx(Double(a.base) / n), .approx(Double(a.discount) / n),
                .int(a.count),
            ]
        }
    }

    /// 4. SSB Q3.1: two string filters and a date range, GROUP BY two strings and the year,
    /// ORDER BY year, aggregate DESC.
    static let groupByThreeKeys = QueryCase(
        name: "SSB-Q3.1 GroupBy3KeysOrderByAgg",
        sql: """
            SELECT c_nation, s_nation, toYear(lo_orderdate) AS year, sum(lo_revenue) AS revenue
            FROM lineorder
            WHERE c_region = 'REGION2' AND s_region = 'REGION2'
              AND lo_orderdate >= '1992-01-01' AND lo_orderdate < '1998-01-01'
            GROUP BY c_nation, s_nation, year
            ORDER BY year ASC, revenue DESC, c_nation, s_nation
            """
    ) {
        struct Key: Hashable { let c: String; let s: String; let year: Int }
        var sums: [Key: Int] = [:]
        let years = Calendar1992.years
        let end = Calendar1992.index(1998, 1, 1)
        FactRow.forEach { r in
            if r.cRegion == 2, r.sRegion == 2, r.dateIndex < end {
                sums[Key(c: "NATION\(r.cNation)", s: "NATION\(r.sNation)", year: years[r.dateIndex]), default: 0] += r.revenue
            }
        }
        return sums.sorted { a, b in
            if a.key.year != b.key.year { return a.key.year < b.key.year }
            if a.value != b.value { return a.value > b.value }
            return (a.key.c, a.key.s) < (b.key.c, b.key.s)
        }.map { [.text($0.key.c), .text($0.key.s), .int($0.key.year), .int($0.value)] }
    }

    /// 5a. High-cardinality GROUP BY on an integer key: 100,000 groups, all returned.
    static let groupByHighCardinality = QueryCase(
        name: "GroupByInt 100kGroups",
        sql: """
            SELECT lo_partkey, count(*) AS orders, sum(lo_revenue) AS revenue
            FROM lineorder
            GROUP BY lo_partkey
            """,
        ordered: false
    ) {
        var orders = [Int](repeating: 0, count: BenchData.partKeys)
        var revenue = [Int](repeating: 0, count: BenchData.partKeys)
        FactRow.forEach { r in
            orders[r.partkey] += 1
            revenue[r.partkey] += r.revenue
        }
        return (0..<BenchData.partKeys).filter { orders[$0] > 0 }.map { [.int($0), .int(orders[$0]), .int(revenue[$0])] }
    }

    /// 5b. COUNT(DISTINCT) over a 100,000-value and a 10,000-value integer column.
    static let countDistinct = QueryCase(
        name: "CountDistinct 100k",
        sql: "SELECT count(DISTINCT lo_partkey) AS parts, count(DISTINCT lo_custkey) AS customers FROM lineorder"
    ) {
        var parts = Set<Int>(), customers = Set<Int>()
        FactRow.forEach { r in
            parts.insert(r.partkey)
            customers.insert(r.custkey)
        }
        return [[.int(parts.count), .int(customers.count)]]
    }

    /// 6. Top-n: ORDER BY a numeric column (not the sort key) LIMIT 100.
    static let topN = QueryCase(
        name: "TopN OrderByLimit100",
        sql: """
            SELECT lo_orderkey, lo_extendedprice, lo_quantity
            FROM lineorder
            ORDER BY lo_extendedprice DESC, lo_orderkey
            LIMIT 100
            """
    ) {
        var rows: [(price: Int, key: Int, quantity: Int)] = []
        rows.reserveCapacity(BenchData.factRows)
        FactRow.forEach { rows.append(($0.extendedprice, $0.orderkey, $0.quantity)) }
        rows.sort { ($0.price, $1.key) > ($1.price, $0.key) }
        return rows.prefix(100).map { [.int($0.key), .int($0.price), .int($0.quantity)] }
    }

    /// 7. Hash JOIN of the fact table with a 10,000-row dimension (build side), GROUP BY a
    /// dimension attribute.
    static let hashJoin = QueryCase(
        name: "HashJoin Fact1M Dim10k",
        sql: """
            SELECT c_mktsegment, count(*) AS orders, sum(lo_revenue) AS revenue
            FROM lineorder
            JOIN customer ON lo_custkey = c_custkey
            GROUP BY c_mktsegment
            ORDER BY c_mktsegment
            """,
        withCustomer: true
    ) {
        var orders = [Int](repeating: 0, count: 5), revenue = [Int](repeating: 0, count: 5)
        FactRow.forEach { r in
            let s = BenchData.customerSegment(r.custkey)
            orders[s] += 1
            revenue[s] += r.revenue
        }
        return (0..<5).map { [.text("SEGMENT\($0)"), .int(orders[$0]), .int(revenue[$0])] }
    }
}

// MARK: - Insert benchmark

/// 8. INSERT ... SELECT of 1,000,000 generated rows into a fresh MergeTree table: expression
/// evaluation over numbers(), sorting by the ORDER BY key, encoding, compressing and writing the
/// part. An in-memory database lives in /dev/shm (tmpfs), so this is the CPU side of part
/// writing; no disk I/O or real fsync. CREATE and DROP of the table are outside the measurement.
func registerInsertBenchmark() {
    let box = FixtureBox<Database>()
    let counter = FixtureBox<Int>()
    Benchmark(
        "InsertSelect 1M rows",
        configuration: .init(
            metrics: queryMetrics + [.writeBytesLogical],
            warmupIterations: 1,
            maxDuration: .seconds(20),
            maxIterations: 15
        )
    ) { (benchmark: Benchmark, db: Database) in
        let iteration = (counter.value ?? 0) + 1
        counter.value = iteration
        let table = "lineorder_\(iteration)"
        let conn = db.connect()
        do {
            try conn.execute(BenchData.createFact(table))
            benchmark.startMeasurement()
            let inserted = try conn.execute(BenchData.insertFact(table))
            benchmark.stopMeasurement()
            check(inserted.rowsAffected == BenchData.factRows, "inserted \(inserted.rowsAffected) rows, expected \(BenchData.factRows)")
            let stored = try conn.execute("SELECT count(*), sum(lo_revenue) FROM \(table)")
            check(stored[0].int(0) == Int64(BenchData.factRows), "\(table) holds \(stored[0].values[0]) rows")
            check(stored[0].int(1) == Int64(expectedRevenueTotal), "\(table): sum(lo_revenue) \(stored[0].values[1]), expected \(expectedRevenueTotal)")
            blackHole(inserted)
            try conn.execute("DROP TABLE \(table)")
        } catch {
            fail("InsertSelect: \(error)")
        }
    } setup: {
        let db = try Database.inMemory(options: DatabaseOptions(backgroundMerges: false))
        box.value = db
        return db
    } teardown: {
        box.value?.close()
        box.value = nil
    }
}

let expectedRevenueTotal: Int = {
    var total = 0
    FactRow.forEach { total += $0.revenue }
    return total
}()
