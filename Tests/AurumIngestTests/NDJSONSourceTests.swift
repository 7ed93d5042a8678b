import AurumCore
import AurumEngine
import Foundation
import Testing
@testable import AurumIngest

/// NDJSONSource against fixtures/text_fixtures.py's files.
struct NDJSONSourceTests {
    static let columns = [
        SourceColumn(name: "id", type: .int64),
        SourceColumn(name: "name", type: DataType.string.nullable),
        SourceColumn(name: "amount", type: DataType.decimal(38, 2).nullable),
        SourceColumn(name: "ts", type: DataType.dateTime64(6).nullable),
        SourceColumn(name: "ok", type: DataType.bool.nullable),
        SourceColumn(name: "tags", type: DataType.string.nullable),
        SourceColumn(name: "uuid", type: DataType.uuid.nullable),
    ]

    @Test func missingKeysNestedValuesEscapesAndExactDecimals() throws {
        // Missing keys are NULL, unknown keys ignored, nested values kept as JSON text,
        // \u00e9 and surrogate pairs decoded, 12345678901234567.89 exact, "2" into Int64,
        // case-insensitive keys, blank lines skipped.
        let source = try NDJSONSource(paths: [try TextFixtures.path("basic.ndjson")], columns: Self.columns, errors: ErrorBudget())
        let got = TextFixtures.text(try TextFixtures.readAll(source))
        let want = try TextFixtures.rows("basic.ndjson")
        #expect(got.count == want.count)
        for (r, (g, w)) in zip(got, want).enumerated() { #expect(g == w, "row \(r + 1)") }
    }

    @Test func missingKeyIntoNotNullColumnIsTheTypeDefault() throws {
        let columns = [SourceColumn(name: "id", type: .int64), SourceColumn(name: "ok", type: .bool),
                       SourceColumn(name: "name", type: .string), SourceColumn(name: "d", type: .date)]
        let path = try TextFixtures.write("defaults.ndjson", Array("{\"id\": 7}\n".utf8))
        let got = TextFixtures.text(try TextFixtures.readAll(try NDJSONSource(paths: [path], columns: columns, errors: ErrorBudget())))
        #expect(got == [["7", "false", "", "1970-01-01"]])
    }

    @Test(arguments: [16 << 10, 8 << 20])
    func largeFileAcrossChunks(chunkSize: Int) throws {
        let want = try TextFixtures.section("big_ndjson")
        var o = NDJSONOptions()
        o.chunkSize = chunkSize
        let columns = [SourceColumn(name: "id", type: .int64), SourceColumn(name: "price", type: .decimal(18, 2)),
                       SourceColumn(name: "note", type: .string)]
        let source = try NDJSONSource(paths: [try TextFixtures.path("big.ndjson")], options: o, columns: columns, errors: ErrorBudget())
        var rows = 0, sumID: Int64 = 0, sumCents: Int64 = 0
        var nested = 0
        while let b = try source.next() {
            rows += b.count
            guard case .int64(let id) = b.columns[0].data, case .int64(let price) = b.columns[1].data,
                  case .string(let note) = b.columns[2].data else { Issue.record("representation"); return }
            for v in id { sumID += v }
            for v in price { sumCents += v }
            for r in 0..<b.count where note.byteSlice(at: r).first == UInt8(ascii: "{") { nested += 1 }
            if b.count > 0 { #expect(note.string(at: 0).hasPrefix("n\u{e9}") || note.string(at: 0).hasPrefix("{\"n\": [")) }
        }
        #expect(rows == want["rows"] as? Int)
        #expect(sumID == Int64(want["sum_id"] as! Int))
        #expect(sumCents == Int64(want["sum_cents"] as! Int))
        #expect(nested == rows / 3)
    }

    static let badColumns = [SourceColumn(name: "id", type: .int64), SourceColumn(name: "amount", type: .decimal(9, 2))]

    @Test func badLineFailsWithFileAndLine() throws {
        let path = try TextFixtures.path("bad.ndjson")
        let source = try NDJSONSource(paths: [path], columns: Self.badColumns, errors: ErrorBudget())
        let e = #expect(throws: AurumError.self) { _ = try source.next() }
        #expect(e?.code == .badCopyFileFormat)
        #expect(e?.description.contains("\(path):3") == true, "\(String(describing: e))")
    }

    @Test func budgetListsBadLinesAndKeepsTheRest() throws {
        let path = try TextFixtures.path("bad.ndjson")
        let want = try #require(try TextFixtures.section("bad")["bad.ndjson"] as? [String: Any])
        let second = try #require(want["second"] as? [String: Any])
        let budget = ErrorBudget(maxErrors: 5)
        let block = try TextFixtures.readAll(try NDJSONSource(paths: [path], columns: Self.badColumns, errors: budget))
        #expect(TextFixtures.text(block) == [["1", "1.50"], ["2", "2.50"], ["5", "5.00"]])
        #expect(budget.rejected.count == 2)
        #expect(budget.rejected.first?.location == "\(path):3")
        #expect(budget.rejected.last?.location == "\(path):\(second["line"] as! Int)")
        #expect(budget.rejected.last?.column == second["column"] as? String)
        #expect(budget.rejected.last?.value == second["value"] as? String)
    }

    @Test func objectIntoNumericColumnIsRejected() throws {
        let path = try TextFixtures.write("nested_bad.ndjson", Array("{\"id\": {\"a\": 1}}\n".utf8))
        let e = #expect(throws: AurumError.self) {
            _ = try TextFixtures.readAll(try NDJSONSource(paths: [path], columns: Self.badColumns, errors: ErrorBudget()))
        }
        #expect(e?.code == .invalidTextRepresentation)
        #expect(e?.description.contains("column id") == true)
    }
}
