import AurumCore
import AurumEngine
import Foundation
import Testing
@testable import AurumIngest

/// ParquetSource over several multi-row-group files (parallel decoding, order, progress,
/// column selection, schema checks) and damaged files (truncated, bytes flipped).
struct ParquetSourceTests {
    static let multi = ["multi_0.parquet", "multi_1.parquet", "multi_2.parquet"]

    @Test func parallelSourceMatchesExpectations() throws {
        let expected = try ParquetFixtures.expectations()
        let source = try ParquetSource(paths: try Self.multi.map { try ParquetFixtures.path($0) }, parallelism: 3)
        #expect(source.columns.map(\.name) == ["id", "qty", "price", "city", "day"])
        var rows = 0, blocks = 0
        var idSum: Int128 = 0, qtySum: Int128 = 0, qtyNulls = 0, priceNulls = 0
        var lastID: Int64 = -1
        while let b = try source.next() {
            #expect(b.count > 0)
            blocks += 1
            rows += b.count
            guard case .int64(let ids) = b.columns[0].data, case .int32(let qty) = b.columns[1].data else {
                Issue.record("unexpected column data"); break
            }
            #expect(ids.first! > lastID, "blocks out of order")
            lastID = ids.last!
            for v in ids { idSum += Int128(v) }
            for (r, v) in qty.enumerated() where !b.columns[1].isNull(r) { qtySum += Int128(v) }
            qtyNulls += b.columns[1].nullCount
            priceNulls += b.columns[2].nullCount
            #expect(b.columns[2].type == DataType.decimal(12, 2).nullable)
        }
        let files = try Self.multi.map { try #require(expected[$0]) }
        #expect(rows == files.reduce(0) { $0 + $1.rows })
        #expect(blocks == files.reduce(0) { $0 + $1.row_groups })
        #expect(String(idSum) == String(files.reduce(Int128(0)) { $0 + Int128($1.columns["id"]!.sum!)! }))
        #expect(String(qtySum) == String(files.reduce(Int128(0)) { $0 + Int128($1.columns["qty"]!.sum!)! }))
        #expect(qtyNulls == files.reduce(0) { $0 + $1.columns["qty"]!.nulls })
        #expect(priceNulls == files.reduce(0) { $0 + $1.columns["price"]!.nulls })
        #expect(source.bytesRead == source.bytesTotal)
        #expect(try source.next() == nil)
    }

    @Test func columnSelectionByName() throws {
        let source = try ParquetSource(paths: [try ParquetFixtures.path("multi_2.parquet")], columns: ["CITY", "id"])
        #expect(source.columns == [SourceColumn(name: "city", type: DataType.string.nullable), SourceColumn(name: "id", type: DataType.int64.nullable)])
        let b = try #require(try source.next())
        #expect(b.columns.count == 2)
        #expect(b.columns[1].value(at: 0) == .int(200000))
        #expect(b.columns[0].value(at: 0) == .string("city-0"))
        expectAurumError(.undefinedColumn, containing: ["nope"]) {
            _ = try ParquetSource(paths: [try ParquetFixtures.path("multi_2.parquet")], columns: ["nope"])
        }
    }

    @Test func differentSchemasNameBothFilesAndTheColumn() throws {
        expectAurumError(.badCopyFileFormat, containing: ["multi_0.parquet", "types_none_plain_v1.parquet", "qty"]) {
            _ = try ParquetSource(paths: [try ParquetFixtures.path("multi_0.parquet"), try ParquetFixtures.path("types_none_plain_v1.parquet")])
        }
        // A selected column one of the files lacks.
        let dir = try ParquetFixtures.directory()
        expectAurumError(.badCopyFileFormat, containing: ["c_int8", "types_none_plain_v1.parquet", "decimals_int.parquet"]) {
            _ = try ParquetSource(paths: [try ParquetFixtures.path("types_none_plain_v1.parquet"), dir.appendingPathComponent("decimals_int.parquet").path],
                                  columns: ["id", "c_int8"])
        }
    }

    // MARK: damaged files

    static func readEverything(_ path: String) throws {
        let f = try ParquetFile(path: path)
        for g in 0..<f.rowGroups.count {
            _ = try f.readRowGroup(g, columns: Array(f.columns.indices))
        }
    }

    @Test(arguments: ["types_snappy_dict_v1.parquet", "types_gzip_plain_v2.parquet", "encodings_v2.parquet", "multi_1.parquet"])
    func truncatedFilesFailCleanly(file: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: try ParquetFixtures.path(file)))
        let dir = try ParquetFixtures.directory()
        for cut in [0, 3, 4, 11, 100, data.count / 2, data.count - 9, data.count - 5, data.count - 1] where cut < data.count {
            let damaged = dir.appendingPathComponent("cut\(cut)-\(file)")
            try data.prefix(cut).write(to: damaged)
            expectAurumError(.badCopyFileFormat, containing: ["cut\(cut)-\(file)"]) { try Self.readEverything(damaged.path) }
        }
    }

    /// Every 7th (or so) byte flipped, one at a time: the reader either decodes something or
    /// throws a clear error naming the file; it never traps.
    @Test(arguments: ["types_snappy_dict_v2.parquet", "types_none_dict_v1.parquet", "encodings_v1.parquet", "int96.parquet"])
    func flippedBytesNeverCrash(file: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: try ParquetFixtures.path(file)))
        let dir = try ParquetFixtures.directory()
        let damaged = dir.appendingPathComponent("flip-\(file)")
        var failures = 0
        let step = max(1, data.count / 700)
        for pos in stride(from: 0, to: data.count, by: step) {
            var d = data
            d[pos] ^= 0x5A
            try d.write(to: damaged)
            do {
                try Self.readEverything(damaged.path)
            } catch let e as AurumError {
                failures += 1
                #expect([SQLState.badCopyFileFormat, .featureNotSupported, .datetimeFieldOverflow].contains(e.code), "byte \(pos): \(e)")
                #expect(e.message.contains("flip-\(file)"), "byte \(pos): \(e.message)")
            } catch {
                Issue.record("byte \(pos): not an AurumError: \(error)")
            }
        }
        #expect(failures > 0)
    }

    @Test func corruptPageNamesRowGroupColumnAndPage() throws {
        // Damage the first page's body of the id column in an uncompressed plain file: the
        // header stays valid, the values do not fit.
        let path = try ParquetFixtures.path("types_none_plain_v1.parquet")
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let f = try ParquetFile(path: path)
        let chunk = f.meta.rowGroups[0].columns[4]   // c_int32 (OPTIONAL: levels, then values)
        let start = Int(chunk.dataPageOffset)
        // Corrupt the 4-byte definition-level length right after the page header to a huge value.
        var r = data.withUnsafeBytes { buf -> Int in
            var t = ThriftCompactReader(UnsafeRawBufferPointer(rebasing: buf[start...]))
            _ = try? t.readPageHeader()
            return t.position
        }
        r += start
        data[r] = 0xFF; data[r + 1] = 0xFF; data[r + 2] = 0xFF; data[r + 3] = 0x7F
        let damaged = try ParquetFixtures.directory().appendingPathComponent("page-damage.parquet")
        try data.write(to: damaged)
        let g = try ParquetFile(path: damaged.path)
        expectAurumError(.badCopyFileFormat, containing: ["page-damage.parquet", "row group 0", "c_int32", "page at byte \(start)"]) {
            _ = try g.readRowGroup(0, columns: [4])
        }
        #expect(try g.readRowGroup(0, columns: [0]).count == 300)
    }
}
