// Window-function benchmarks over the 1,000,000-row `lineorder` table (BenchData.swift). Each
// query computes a window function over every row and folds its result into one small row
// (so the result set itself costs nothing); the expected values come from `FactRow`.

extension QueryCase {
    static let windows: [QueryCase] = [windowRowNumber, windowRunningSumPartitioned, windowMovingAverage, windowRank]

    /// 9a. row_number() over the whole table, ordered by a non-key column (one sort of 1M rows).
    static let windowRowNumber = QueryCase(
        name: "Window RowNumber 1M",
        sql: """
            SELECT max(rn), sum(rn * (lo_orderkey % 7))
            FROM (SELECT lo_orderkey, row_number() OVER (ORDER BY lo_extendedprice, lo_orderkey) AS rn FROM lineorder) t
            """
    ) {
        var rows: [(price: Int, key: Int)] = []
        rows.reserveCapacity(BenchData.factRows)
        FactRow.forEach { rows.append(($0.extendedprice, $0.orderkey)) }
        rows.sort { ($0.price, $0.key) < ($1.price, $1.key) }
        var checksum = 0
        for (i, r) in rows.enumerated() { checksum += (i + 1) * (r.key % 7) }
        return [[.int(rows.count), .int(checksum)]]
    }

    /// 9b. Running total per partition: PARTITION BY 1,000 groups, ORDER BY the order key.
    static let windowRunningSumPartitioned = QueryCase(
        name: "Window RunningSum 1000 partitions",
        sql: """
            SELECT sum(s), count(*)
            FROM (SELECT sum(lo_revenue) OVER (PARTITION BY lo_partkey % 1000 ORDER BY lo_orderkey) AS s FROM lineorder) t
            """
    ) {
        var running = [Int](repeating: 0, count: 1000)
        var total = 0
        FactRow.forEach { r in
            running[r.partkey % 1000] += r.revenue
            total += running[r.partkey % 1000]
        }
        return [[.int(total), .int(BenchData.factRows)]]
    }

    /// 9c. 7-row moving average (ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) over 1M rows.
    static let windowMovingAverage = QueryCase(
        name: "Window MovingAvg 7 rows",
        sql: """
            SELECT sum(m)
            FROM (SELECT avg(lo_extendedprice) OVER (ORDER BY lo_orderkey ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS m FROM lineorder) t
            """
    ) {
        var prices: [Int] = []
        prices.reserveCapacity(BenchData.factRows)
        FactRow.forEach { prices.append($0.extendedprice) }
        var total = 0.0
        var window = 0
        for i in prices.indices {
            window += prices[i]
            if i >= 7 { window -= prices[i - 7] }
            total += Double(window) / Double(min(i + 1, 7))
        }
        return [[.approx(total)]]
    }

    /// 9d. rank() with many ties (50 quantities) in 3 partitions of a LowCardinality string.
    static let windowRank = QueryCase(
        name: "Window Rank 3 partitions",
        sql: """
            SELECT sum(r), max(r)
            FROM (SELECT rank() OVER (PARTITION BY lo_returnflag ORDER BY lo_quantity DESC) AS r FROM lineorder) t
            """
    ) {
        // rank = 1 + rows of the same flag with a larger quantity
        var counts = [[Int]](repeating: [Int](repeating: 0, count: 52), count: 3)
        FactRow.forEach { counts[$0.returnflag][$0.quantity] += 1 }
        var total = 0, maxRank = 0
        for flag in 0..<3 {
            var larger = 0
            for q in stride(from: 51, through: 0, by: -1) where counts[flag][q] > 0 {
                total += counts[flag][q] * (larger + 1)
                maxRank = max(maxRank, larger + 1)
                larger += counts[flag][q]
            }
        }
        return [[.int(total), .int(maxRank)]]
    }
}
