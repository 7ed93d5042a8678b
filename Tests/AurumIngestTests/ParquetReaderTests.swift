import AurumCore
import AurumEngine
import Foundation
import Testing
@testable import AurumIngest

/// ParquetFile against files written by pyarrow: every value of every file compared with what
/// pyarrow reads back, plus types, NULL counts and integer sums from the generator.
struct ParquetReaderTests {
    static let flatFiles: [String] = {
        guard let e = try? ParquetFixtures.expectations() else { return ["(fixtures failed to generate)"] }
        return e.keys.filter { $0 != "nested.parquet" }.sorted()
    }()

    @Test(arguments: flatFiles)
    func everyValueMatchesPyarrow(file: String) throws {
        let expected = try #require(try ParquetFixtures.expectations()[file])
        let f = try ParquetFile(path: try ParquetFixtures.path(file))
        #expect(f.numRows == Int64(expected.rows))
        #expect(f.rowGroups.count == expected.row_groups)
        #expect(f.columns.count == expected.columns.count)
        for c in f.columns {
            #expect(expected.columns[c.name]?.type == c.type.description, "column \(c.name): \(c.type)")
        }
        var blocks: [Block] = []
        for g in 0..<f.rowGroups.count {
            let b = try f.readRowGroup(g, columns: Array(f.columns.indices))
            #expect(b.count == Int(f.rowGroups[g]))
            blocks.append(b)
        }
        let all = Block.concat(blocks, types: f.columns.map(\.type))
        for (i, c) in f.columns.enumerated() {
            let e = try #require(expected.columns[c.name])
            let col = all.columns[i]
            #expect(col.nullCount == e.nulls, "column \(c.name)")
            #expect(col.validity == nil || e.nulls > 0, "column \(c.name): validity without NULLs")
            if let sum = e.sum {
                var s: Int128 = 0
                var lo: Int128?, hi: Int128?
                for r in 0..<col.count where !col.isNull(r) {
                    let v = col.value(at: r)
                    let x: Int128
                    switch v {
                    case .int(let a): x = Int128(a)
                    case .uint(let a): x = Int128(a)
                    default: Issue.record("column \(c.name): not an integer: \(v)"); continue
                    }
                    s += x
                    lo = min(lo ?? x, x)
                    hi = max(hi ?? x, x)
                }
                #expect(String(s) == sum, "column \(c.name) sum")
                #expect(lo.map { String($0) } == e.min, "column \(c.name) min")
                #expect(hi.map { String($0) } == e.max, "column \(c.name) max")
            }
        }
        let rows = try ParquetFixtures.rows(file)
        let rendered = ParquetFixtures.render(all)
        #expect(rows.count == rendered.count)
        var mismatches = 0
        for (r, (want, got)) in zip(rows, rendered).enumerated() where want != got {
            mismatches += 1
            if mismatches <= 3 {
                let cols = want.indices.filter { want[$0] != got[$0] }.map { "\(f.columns[$0].name): want \(want[$0] ?? "NULL") got \(got[$0] ?? "NULL")" }
                Issue.record("\(file) row \(r): \(cols.joined(separator: "; "))")
            }
        }
        #expect(mismatches == 0, "\(file): \(mismatches) rows differ")
    }

    @Test func selectedColumnsOnlyInTheGivenOrder() throws {
        let f = try ParquetFile(path: try ParquetFixtures.path("types_zstd_dict_v2.parquet"))
        let s = try #require(f.columnIndex(named: "C_STRING"))
        let id = try #require(f.columnIndex(named: "id"))
        let b = try f.readRowGroup(0, columns: [s, id])
        #expect(b.columns.count == 2)
        #expect(b.columns[0].type == DataType.string.nullable)
        #expect(b.columns[1].type == .int64)
        #expect(b.columns[1].value(at: 5) == .int(5))
        #expect(b.columns[0].value(at: 0) == .string("alpha"))
        #expect(b.columns[0].isNull(1))
    }

    @Test func nestedColumnsAreListedButRejected() throws {
        let f = try ParquetFile(path: try ParquetFixtures.path("nested.parquet"))
        #expect(f.columns.map(\.name) == ["id", "s", "l", "m", "name"])
        let b = try f.readRowGroup(0, columns: [0, 4])
        #expect(ParquetFixtures.render(b) == [["1", "one"], ["2", nil], ["3", "three"], ["4", "four"]])
        for (i, name) in [(1, "s"), (2, "l"), (3, "m")] {
            expectAurumError(.featureNotSupported, containing: ["nested.parquet", "column \(name)"]) {
                _ = try f.readRowGroup(0, columns: [0, i])
            }
        }
    }

    @Test func leafReaderGivesLevelsAndValues() throws {
        let f = try ParquetFile(path: try ParquetFixtures.path("nested.parquet"))
        let l = try #require(f.schemaTree.children.first { $0.name == "l" })
        #expect(l.repetition == .optional && !l.isLeaf)
        let elementPath = ["l", "list", "element"]
        let list = try f.readLeaf(rowGroup: 0, path: elementPath)
        // [[1, 2], [], NULL, [NULL, 5]]
        #expect(list.maxDefinitionLevel == 3 && list.maxRepetitionLevel == 1)
        #expect(list.definitionLevels == [3, 3, 1, 0, 2, 3])
        #expect(list.repetitionLevels == [0, 1, 0, 0, 0, 1])
        #expect(list.values.data == .int64([1, 2, 5]))
        // struct s: {a: 1, b: x}, NULL, {a: NULL, b: z}, {a: 4, b: NULL}
        let a = try f.readLeaf(rowGroup: 0, path: ["s", "a"])
        #expect(a.maxDefinitionLevel == 2 && a.maxRepetitionLevel == 0)
        #expect(a.definitionLevels == [2, 0, 1, 2])
        #expect(a.repetitionLevels.isEmpty)
        #expect(a.values.data == .int32([1, 4]))
        let keys = try f.readLeaf(rowGroup: 0, path: ["m", "key_value", "key"])
        #expect(keys.values.data == .string(StringArray(["k1", "k2", "k3"])))
        #expect(keys.repetitionLevels == [0, 0, 0, 0, 1])
        expectAurumError(.undefinedColumn) { _ = try f.readLeaf(rowGroup: 0, path: ["nope"]) }
    }

    @Test func decimalOver38DigitsIsRejectedByName() throws {
        let f = try ParquetFile(path: try ParquetFixtures.path("decimal_wide.parquet"))
        #expect(try f.readRowGroup(0, columns: [0]).count == 2)
        expectAurumError(.featureNotSupported, containing: ["d40", "DECIMAL(40, 2)"]) {
            _ = try f.readRowGroup(0, columns: [1])
        }
    }

    @Test func unsupportedCodecIsNamed() throws {
        let f = try ParquetFile(path: try ParquetFixtures.path("brotli.parquet"))
        #expect(f.numRows == 300)
        expectAurumError(.featureNotSupported, containing: ["brotli.parquet", "row group 0", "column id", "BROTLI"]) {
            _ = try f.readRowGroup(0, columns: [0])
        }
    }

    @Test func notParquetAndMissingFiles() throws {
        let dir = try ParquetFixtures.directory()
        let text = dir.appendingPathComponent("not-parquet.parquet")
        try Data("id,name\n1,x\n2,y\n3,z\n".utf8).write(to: text)
        expectAurumError(.badCopyFileFormat, containing: ["not-parquet.parquet", "PAR1"]) { _ = try ParquetFile(path: text.path) }
        expectAurumError(.ioError, containing: ["missing.parquet"]) { _ = try ParquetFile(path: dir.appendingPathComponent("missing.parquet").path) }
    }
}
