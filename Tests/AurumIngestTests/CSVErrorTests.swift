import AurumCore
import AurumEngine
import Foundation
import Testing
@testable import AurumIngest

/// Bad CSV input: without a budget the first bad record fails the read with its SQLSTATE and
/// an error naming file, line, column and value, before any row is returned; with a budget
/// the bad records are listed with reasons and the rest is returned.
struct CSVErrorTests {
    static let columns = [
        SourceColumn(name: "id", type: .int64),
        SourceColumn(name: "amount", type: .decimal(9, 2)),
        SourceColumn(name: "d", type: .date),
        SourceColumn(name: "small", type: .int16),
    ]

    static func expectation(_ file: String) throws -> [String: Any] {
        let bad = try TextFixtures.section("bad")
        return try #require(bad[file] as? [String: Any])
    }

    @Test(arguments: ["bad_number.csv", "bad_date.csv", "bad_date_text.csv", "bad_range.csv", "bad_precision.csv",
                      "bad_fieldcount.csv", "bad_unbalanced.csv", "bad_after_multiline.csv"])
    func firstErrorFailsTheRead(file: String) throws {
        let want = try Self.expectation(file)
        let path = try TextFixtures.path(file)
        let source = try CSVSource(paths: [path], options: .rfc4180, columns: Self.columns, errors: ErrorBudget())
        var returned = 0
        let e = #expect(throws: AurumError.self) {
            while let b = try source.next() { returned += b.count }
        }
        #expect(returned == 0, "nothing is returned before the error")
        guard let e else { return }
        #expect(e.code.code == want["code"] as? String, "\(e)")
        let line = try #require(want["line"] as? Int)
        let text = e.description
        #expect(text.contains("\(path):\(line)"), "\(text)")
        if let column = want["column"] as? String { #expect(text.contains("column \(column)"), "\(text)") }
        if let value = want["value"] as? String { #expect(text.contains("\"\(value)\""), "\(text)") }
    }

    @Test(arguments: ["bad_number.csv", "bad_range.csv", "bad_fieldcount.csv", "bad_unbalanced.csv", "bad_after_multiline.csv"])
    func budgetRejectsAndKeepsTheRest(file: String) throws {
        let want = try Self.expectation(file)
        let path = try TextFixtures.path(file)
        let budget = ErrorBudget(maxErrors: 10)
        let block = try TextFixtures.readAll(try CSVSource(paths: [path], options: .rfc4180, columns: Self.columns, errors: budget))
        #expect(block.count == want["good_rows"] as? Int)
        let rejected = budget.rejected
        let expectedCount = want["second"] == nil ? 1 : 2
        #expect(rejected.count == expectedCount)
        guard let first = rejected.first else { return }
        #expect(first.location == "\(path):\(want["line"] as! Int)")
        #expect(first.column == want["column"] as? String)
        #expect(first.value == want["value"] as? String)
        #expect(!first.reason.isEmpty)
        #expect(first.raw?.isEmpty == false)
        if file == "bad_after_multiline.csv" { #expect(first.raw == "4,\"4\n.50\",2024-01-04,1") }
        if let second = want["second"] as? [String: Any], rejected.count > 1 {
            #expect(rejected[1].location == "\(path):\(second["line"] as! Int)")
            #expect(rejected[1].column == second["column"] as? String)
            #expect(rejected[1].value == second["value"] as? String)
        }
        // The good rows are the ones that parse: ids 1, 2, 3 in order.
        #expect(TextFixtures.text(block).map { $0[0] } == ["1", "2", "3"])
    }

    @Test func budgetExceededFails() throws {
        let path = try TextFixtures.path("bad_after_multiline.csv")
        let budget = ErrorBudget(maxErrors: 1)
        let e = #expect(throws: AurumError.self) {
            _ = try TextFixtures.readAll(try CSVSource(paths: [path], options: .rfc4180, columns: Self.columns, errors: budget))
        }
        #expect(e?.hint?.contains("--max-errors 1") == true)
        #expect(budget.rejectedCount == 2)
    }

    @Test func nullIntoNotNullColumnIsRejected() throws {
        let path = try TextFixtures.write("null_notnull.csv", Array("1,1.00,2024-01-01,1\n,2.00,2024-01-02,2\n".utf8))
        let e = #expect(throws: AurumError.self) {
            _ = try TextFixtures.readAll(try CSVSource(paths: [path], options: .rfc4180, columns: Self.columns, errors: ErrorBudget()))
        }
        #expect(e?.code == .notNullViolation)
        #expect(e?.description.contains("null_notnull.csv:2") == true)
    }

    @Test func badOptionsAreRejected() throws {
        var o = CSVOptions()
        o.quote = o.delimiter
        #expect(throws: AurumError.self) { _ = try CSVSource(paths: [], options: o, columns: Self.columns, errors: ErrorBudget()) }
        #expect(throws: AurumError.self) {
            _ = try CSVSource(paths: ["/nonexistent/x.csv"], options: .rfc4180, columns: Self.columns, errors: ErrorBudget())
        }
    }
}
