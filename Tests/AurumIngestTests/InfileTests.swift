import AurumCore
import AurumEngine
import Foundation
import Testing
@testable import AurumIngest

/// `INSERT INTO t [(cols)] FROM INFILE 'path' [COMPRESSION 'c'] [FORMAT f]` through the ingest
/// readers: Parquet (a glob of files), Delta, NDJSON, gzip-compressed CSV, the format taken
/// from the file name, column lists, and failures that leave the table unchanged. The CSV/TSV
/// cases run as SQL files (Tests/sql/insert/infile.test); these need generated fixtures.
@Suite("INSERT ... FROM INFILE")
struct InfileTests {
    @Test func parquetGlobLoadsEveryFileByColumnName() throws {
        let db = try LoaderTests.DB()
        let expected = try ParquetSourceTests.multi.map { try #require(try ParquetFixtures.expectations()[$0]) }
        let dir = try ParquetFixtures.directory().path
        // table columns in another order than the files', with a different case and an extra column
        try db.run("CREATE TABLE m (day Date, ID Int64, city Nullable(String), price Nullable(Decimal(12, 2)), qty Nullable(Int64), note String DEFAULT 'none') ENGINE = MergeTree ORDER BY ID")
        let n = try db.run("INSERT INTO m FROM INFILE '\(dir)/multi_*.parquet' FORMAT Parquet")
        let rows = expected.reduce(0) { $0 + $1.rows }
        let idSum = expected.reduce(Int128(0)) { $0 + Int128($1.columns["id"]!.sum!)! }
        let qtySum = expected.reduce(Int128(0)) { $0 + Int128($1.columns["qty"]!.sum!)! }
        let qtyNulls = expected.reduce(0) { $0 + $1.columns["qty"]!.nulls }
        #expect(n == rows)
        #expect(try db.scalar("SELECT count(*), sum(ID), sum(qty), countIf(qty IS NULL), countIf(note = 'none') FROM m")
                == ["\(rows)|\(idSum)|\(qtySum)|\(qtyNulls)|\(rows)"])
        // the generator's days: 2020-01-01 + (i % 1500)
        #expect(try db.scalar("SELECT min(day), max(day), uniqExact(day) FROM m") == ["2020-01-01|2024-02-08|1500"])
        // format from the file name; a column list reads only those columns
        try db.run("CREATE TABLE ids (id Int64, city String DEFAULT 'x') ENGINE = MergeTree ORDER BY id")
        #expect(try db.run("INSERT INTO ids (id) FROM INFILE '\(dir)/multi_0.parquet'") == expected[0].rows)
        #expect(try db.scalar("SELECT count(*), sum(id), countIf(city = 'x') FROM ids")
                == ["\(expected[0].rows)|\(expected[0].columns["id"]!.sum!)|\(expected[0].rows)"])
    }

    @Test func failuresCommitNothing() throws {
        let db = try LoaderTests.DB()
        let dir = try ParquetFixtures.directory().path
        try db.run("CREATE TABLE m (id Int64, qty Int32, price Decimal(12, 2), city String, day Date) ENGINE = MergeTree ORDER BY id")
        try db.run("INSERT INTO m VALUES (1, 1, 1, 'a', '2024-01-01')")
        // a file column the table does not have
        try db.run("CREATE TABLE narrow (id Int64) ENGINE = MergeTree ORDER BY id")
        expectAurumError(.undefinedColumn, containing: ["qty", "narrow"]) {
            try db.run("INSERT INTO narrow FROM INFILE '\(dir)/multi_0.parquet' FORMAT Parquet")
        }
        // NULLs of the file into NOT NULL columns: the whole statement fails after parts of the
        // first files were written; none of them become visible
        expectAurumError(.notNullViolation, containing: ["qty"]) {
            try db.run("INSERT INTO m FROM INFILE '\(dir)/multi_*.parquet' FORMAT Parquet")
        }
        #expect(try db.scalar("SELECT count(*) FROM m") == ["1"])
        expectAurumError(.ioError, containing: ["nothing_here_*.parquet"]) {
            try db.run("INSERT INTO m FROM INFILE '\(dir)/nothing_here_*.parquet' FORMAT Parquet")
        }
        expectAurumError(.invalidParameterValue, containing: ["Avro"]) {
            try db.run("INSERT INTO m FROM INFILE '\(dir)/multi_0.parquet' FORMAT Avro")
        }
        expectAurumError(.featureNotSupported, containing: ["COMPRESSION"]) {
            try db.run("INSERT INTO m FROM INFILE '\(dir)/multi_0.parquet' COMPRESSION 'gzip' FORMAT Parquet")
        }
        #expect(try db.scalar("SELECT count(*) FROM m") == ["1"])
        #expect(try db.scalar("SELECT count(*) FROM system.parts WHERE \"table\" = 'm' AND active") == ["1"])
    }

    @Test func deltaTableAtTheLatestVersion() throws {
        let db = try LoaderTests.DB()
        let (path, expected) = try DeltaLogTests.table("events")
        let latest = try #require((expected["versions"] as? [String: [String: Any]])?["3"])
        let columns = try DeltaLog.snapshot(path, checkpoints: ParquetCheckpointReader()).columns
        try db.run(try Loader.createTable("events", columns: columns, orderBy: nil, partitionBy: nil))
        #expect(try db.run("INSERT INTO events FROM INFILE '\(path)' FORMAT Delta") == latest["rows"] as? Int)
        #expect(try db.scalar("SELECT count(*), sum(id), countIf(region IS NULL) FROM events")
                == ["\(latest["rows"]!)|\(latest["sum_id"]!)|\(latest["null_regions"]!)"])
    }

    @Test func compressedTextAndNDJSON() throws {
        let db = try LoaderTests.DB()
        var csv = "id,name,amount\n"
        var sum = 0
        for i in 1...5000 {
            csv += "\(i),\"name \(i % 7), with comma\",\(i % 100).25\n"
            sum += i
        }
        let gz = try TextFixtures.write("infile.csv.gz", DecompressionTests.gzip(Array(csv.utf8)))
        let mislabeled = try TextFixtures.write("infile_gzip_inside.csv", DecompressionTests.gzip(Array(csv.utf8)))
        try db.run("CREATE TABLE c (id Int64, name String, amount Decimal(10, 2)) ENGINE = MergeTree ORDER BY id")
        #expect(try db.run("INSERT INTO c FROM INFILE '\(gz)' COMPRESSION 'gzip' FORMAT CSVWithNames") == 5000)
        // no FORMAT: a .csv(.gz) file has a header
        #expect(try db.run("INSERT INTO c FROM INFILE '\(gz)'") == 5000)
        // the first bytes tell: gzip data in a file named .csv
        #expect(try db.run("INSERT INTO c FROM INFILE '\(mislabeled)' FORMAT CSVWithNames") == 5000)
        #expect(try db.scalar("SELECT count(*), sum(id), countIf(name LIKE '%, with comma') FROM c") == ["15000|\(3 * sum)|15000"])
        expectAurumError(.badCopyFileFormat, containing: ["gzip-compressed", "zstd"]) {
            try db.run("INSERT INTO c FROM INFILE '\(gz)' COMPRESSION 'zstd' FORMAT CSVWithNames")
        }
        expectAurumError(.featureNotSupported, containing: ["brotli"]) {
            try db.run("INSERT INTO c FROM INFILE '\(gz)' COMPRESSION 'brotli' FORMAT CSVWithNames")
        }
        // NDJSON: keys by name, nested values as their JSON text, missing keys NULL/default
        let nd = try TextFixtures.write("infile.ndjson", Array("""
            {"id": 1, "tags": ["a", "b"], "amount": "1.50"}
            {"amount": 2.25, "id": 2}
            {"id": 3, "tags": {"k": [1, 2]}, "amount": null}

            """.utf8))
        try db.run("CREATE TABLE j (id Int64, tags Nullable(String), amount Nullable(Decimal(9, 2))) ENGINE = MergeTree ORDER BY id")
        #expect(try db.run("INSERT INTO j FROM INFILE '\(nd)' FORMAT JSONEachRow") == 3)
        #expect(try db.scalar("SELECT id, coalesce(tags, '-'), coalesce(toString(amount), '-') FROM j ORDER BY id")
                == ["1|[\"a\", \"b\"]|1.50", "2|-|2.25", "3|{\"k\": [1, 2]}|-"])
    }
}
