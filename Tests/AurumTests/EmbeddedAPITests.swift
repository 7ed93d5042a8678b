// The embedded API (`import Aurum`): the README example (kept identical to README.md by a
// test), typed accessors, errors, and one Database shared by many concurrent tasks.

import Aurum
import Foundation
import Testing

@Suite("Embedded API")
struct EmbeddedAPITests {
    /// The README's example, between the markers; `readmeShowsThisExample` checks that
    /// README.md contains exactly these lines.
    func readmeExample() throws -> [String] {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }
        // README example begin
        let db = try Database.inMemory()   // or: try Database.open(at: "/var/lib/aurum")

        try db.execute("""
            CREATE TABLE sales (day Date, region LowCardinality(String), revenue Decimal(18, 2))
            ENGINE = MergeTree ORDER BY (day, region)
            """)
        try db.execute("""
            INSERT INTO sales VALUES
                ('2024-01-01', 'North', 120.50), ('2024-01-01', 'South', 80.25),
                ('2024-01-02', 'North', 99.00)
            """)

        let result = try db.query("""
            SELECT region, sum(revenue) AS total, count(*) AS days
            FROM sales GROUP BY region ORDER BY total DESC
            """)
        print(result.columns.map(\.name))   // ["region", "total", "days"]
        for row in result {
            print(row.string("region")!, row.string("total")!, row.int("days")!)
        }
        // North 219.50 2
        // South 80.25 1
        db.close()
        // README example end
        return printed
    }

    @Test func readmeExampleRuns() throws {
        #expect(try readmeExample() == [
            #"["region", "total", "days"]"#,
            "North 219.50 2",
            "South 80.25 1",
        ])
    }

    @Test func readmeShowsThisExample() throws {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let readme = try String(contentsOfFile: TestScratch.repositoryRoot + "/README.md", encoding: .utf8)
        let lines = source.components(separatedBy: "\n")
        let begin = try #require(lines.firstIndex { $0.hasSuffix("// README example begin") })
        let end = try #require(lines.firstIndex { $0.hasSuffix("// README example end") })
        let body = lines[(begin + 1)..<end]
        let indent = body.filter { !$0.isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
        let example = body.map { $0.isEmpty ? $0 : String($0.dropFirst(indent)) }.joined(separator: "\n")
        #expect(readme.contains("```swift\nimport Aurum\n\n" + example + "\n```"),
                "README.md's Swift example differs from EmbeddedAPITests.readmeExample(); copy it over")
    }

    @Test func typedAccessorsByIndexAndName() throws {
        let db = try Database.inMemory()
        defer { db.close() }
        try db.execute("""
            CREATE TABLE items (id UInt32, name String, price Decimal(10, 2), ratio Float64,
                                active Bool, day Date, note Nullable(String))
            ENGINE = MergeTree ORDER BY id
            """)
        let insert = try db.execute("""
            INSERT INTO items VALUES (1, 'apple', 1.25, 0.5, true, '2024-02-29', NULL),
                                     (2, 'pear', 10, 2.75, false, '1999-12-31', 'ripe')
            """)
        #expect(insert.rowsAffected == 2)
        #expect(insert.commandTag == "INSERT 0 2")
        #expect(insert.columns.isEmpty)

        let rs = try db.query("SELECT id, name, price, ratio, active, day, note FROM items ORDER BY id")
        #expect(rs.count == 2)
        #expect(rs.columns.map(\.name) == ["id", "name", "price", "ratio", "active", "day", "note"])
        #expect(rs.columns.map(\.type) == [.uint32, .string, .decimal(10, 2), .float64, .bool, .date, DataType.string.nullable])
        #expect(rs.commandTag == "SELECT 2")
        let first = rs[0], second = rs[1]
        #expect(first.int(0) == 1)
        #expect(first.int("id") == 1)
        #expect(first.string("name") == "apple")
        #expect(first.string(2) == "1.25")
        #expect(first.decimalString(2) == "1.25")
        #expect(second.string("price") == "10.00")
        #expect(first.double("price") == 1.25)
        #expect(first.double("ratio") == 0.5)
        #expect(first.bool("active") == true)
        #expect(second.bool(4) == false)
        #expect(first.string("day") == "2024-02-29")
        #expect(first.isNull(6))
        #expect(first.string("note") == nil)
        #expect(second.string("note") == "ripe")
        #expect(first["NAME"] == .string("apple"))  // names match case-insensitively
        #expect(first["missing"] == .null)
        #expect(rs.rows[1][1] == .string("pear"))
        #expect(rs.columnIndex("ratio") == 3)
        #expect(Array(rs.map { $0.int("id")! }) == [1, 2])
    }

    @Test func errorsCarrySQLStateAndPosition() throws {
        let db = try Database.inMemory()
        defer { db.close() }
        try db.execute("CREATE TABLE t (a Int32) ENGINE = MergeTree ORDER BY a")
        func code(_ sql: String) -> String? {
            do { try db.execute(sql); return nil } catch let e as AurumError { return e.code.code } catch { return "\(error)" }
        }
        #expect(code("SELECT * FROM nope") == "42P01")
        #expect(code("SELECT b FROM t") == "42703")
        #expect(code("SELECT nofunc(a) FROM t") == "42883")
        #expect(code("CREATE TABLE t (a Int32) ENGINE = MergeTree ORDER BY a") == "42P07")
        #expect(code("SELECT intDiv(1, 0)") == "22012")
        do {
            try db.execute("SELECT a FROM t WHERE")
            Issue.record("expected a syntax error")
        } catch let e as AurumError {
            #expect(e.code == .syntaxError)
            #expect(e.position != nil)
        }
    }

    @Test func aDirectoryIsOpenedByOneDatabaseAtATime() throws {
        let dir = TestScratch.directory("api-lock")
        defer { TestScratch.remove(dir) }
        let db = try Database.open(at: dir)
        #expect(throws: AurumError.self) { try Database.open(at: dir) }
        db.close()
        let reopened = try Database.open(at: dir)
        reopened.close()
    }

    @Test func oneDatabaseSharedByConcurrentTasks() async throws {
        let db = try Database.inMemory()
        defer { db.close() }
        try db.execute("CREATE TABLE c (task UInt32, seq UInt32, v Int64) ENGINE = MergeTree ORDER BY (task, seq)")
        let tasks = 8, insertsPerTask = 10, rowsPerInsert = 100
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    let connection = db.connect()
                    for i in 0..<insertsPerTask {
                        let values = (0..<rowsPerInsert).map { "(\(task), \(i * rowsPerInsert + $0), \($0))" }
                        try connection.execute("INSERT INTO c VALUES " + values.joined(separator: ", "))
                        // Readers see whole inserts only.
                        let n = try db.query("SELECT count(*) FROM c")[0].int(0) ?? -1
                        #expect(n % Int64(rowsPerInsert) == 0 && n > 0)
                    }
                }
            }
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<10 {
                        let rs = try db.query("SELECT task, count(*) AS n FROM c GROUP BY task")
                        for row in rs { #expect((row.int("n") ?? -1) % Int64(rowsPerInsert) == 0) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = try db.query("SELECT count(*) AS n, uniqExact(task) AS tasks, sum(v) AS s FROM c")[0]
        #expect(total.int("n") == Int64(tasks * insertsPerTask * rowsPerInsert))
        #expect(total.int("tasks") == Int64(tasks))
        #expect(total.int("s") == Int64(tasks * insertsPerTask * (rowsPerInsert * (rowsPerInsert - 1) / 2)))

        // One connection used from several tasks at once serialises its statements.
        let shared = db.connect()
        try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<4 {
                group.addTask { try shared.execute("SELECT count(*) FROM c")[0].int(0) ?? -1 }
            }
            for try await n in group { #expect(n == Int64(tasks * insertsPerTask * rowsPerInsert)) }
        }
    }
}
