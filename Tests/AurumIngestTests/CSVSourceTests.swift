import AurumCore
import AurumEngine
import Foundation
import Testing
@testable import AurumIngest

/// CSVSource against files written by fixtures/text_fixtures.py: every dialect and preset,
/// compressed inputs, a large multi-chunk file checked by aggregates.
struct CSVSourceTests {
    /// id, name, amount, note, ts, d (the generator's shared rows).
    static let columns = [
        SourceColumn(name: "id", type: .int64),
        SourceColumn(name: "name", type: DataType.string.nullable),
        SourceColumn(name: "amount", type: DataType.decimal(18, 2).nullable),
        SourceColumn(name: "note", type: DataType.string.nullable),
        SourceColumn(name: "ts", type: DataType.dateTime64(6).nullable),
        SourceColumn(name: "d", type: DataType.date.nullable),
    ]

    static func load(_ file: String, _ options: CSVOptions, columns: [SourceColumn] = columns,
                     errors: ErrorBudget = ErrorBudget()) throws -> Block {
        let source = try CSVSource(paths: [try TextFixtures.path(file)], options: options, columns: columns, errors: errors)
        return try TextFixtures.readAll(source)
    }

    static func check(_ file: String, _ options: CSVOptions, expect: String? = nil) throws {
        let block = try load(file, options)
        let got = TextFixtures.text(block)
        let want = try TextFixtures.rows(expect ?? file)
        #expect(got.count == want.count, "\(file): row count")
        for (r, (g, w)) in zip(got, want).enumerated() {
            #expect(g == w, "\(file) row \(r + 1)")
        }
    }

    static var withHeader: CSVOptions { var o = CSVOptions.rfc4180; o.header = true; return o }

    @Test func rfc4180QuotingEdgeCases() throws {
        // Quoted comma, doubled quotes, quoted newline, "" = '' vs empty = NULL, non-ASCII.
        try Self.check("rfc4180.csv", Self.withHeader)
    }

    @Test func crlfAndByteOrderMark() throws {
        try Self.check("rfc4180_crlf_bom.csv", Self.withHeader)
    }

    @Test func withoutHeader() throws {
        try Self.check("noheader.csv", .rfc4180)
    }

    @Test func headerMapsByNameCaseInsensitiveAndMissingColumnsAreNull() throws {
        try Self.check("reordered.csv", Self.withHeader)
    }

    @Test func unknownHeaderColumnIs42703() throws {
        let columns = Array(Self.columns.prefix(5))  // no "d" in the target, but it is in the file
        let e = #expect(throws: AurumError.self) { try Self.load("rfc4180.csv", Self.withHeader, columns: columns) }
        #expect(e?.code == .undefinedColumn)
        #expect(e?.message.contains("\"d\"") == true)
        #expect(e?.message.contains("rfc4180.csv") == true)
    }

    @Test func tsvPreset() throws {
        try Self.check("data.tsv", .tsv)
    }

    @Test func sparkPreset() throws {
        try Self.check("spark.csv", .spark)
    }

    @Test func snowflakePreset() throws {
        try Self.check("snowflake.csv", .snowflake)
    }

    @Test func bigqueryPreset() throws {
        var o = CSVOptions.bigquery
        o.header = true
        try Self.check("bigquery.csv", o)
    }

    @Test func customDelimiterQuoteNullMarkerSkipAndTrim() throws {
        var o = CSVOptions()
        o.delimiter = UInt8(ascii: ";")
        o.quote = UInt8(ascii: "'")
        o.nullMarkers = ["NA"]
        o.skipRows = 2
        o.header = true
        o.trimSpaces = true
        try Self.check("custom.csv", o)
    }

    @Test func emptyQuotedAsNullWhenAsked() throws {
        var o = Self.withHeader
        o.emptyQuotedIsEmptyString = false
        let rows = TextFixtures.text(try Self.load("rfc4180.csv", o))
        #expect(rows[2][3] == nil)   // note "" -> NULL
        #expect(rows[4][1] == nil)   // name "" -> NULL
        #expect(rows[0][3] == "simple")
    }

    @Test(arguments: ["gz", "zst"])
    func compressedFiles(ext: String) throws {
        let plain = Array(try Data(contentsOf: URL(fileURLWithPath: try TextFixtures.path("rfc4180.csv"))))
        let packed = ext == "gz" ? DecompressionTests.gzip(plain) : DecompressionTests.zstd(plain)
        // By name, and by magic bytes under a name that does not say.
        for name in ["rfc4180.csv.\(ext)", "rfc4180-\(ext).data"] {
            let path = try TextFixtures.write(name, packed)
            let source = try CSVSource(paths: [path], options: Self.withHeader, columns: Self.columns, errors: ErrorBudget())
            let block = try TextFixtures.readAll(source)
            #expect(TextFixtures.text(block) == (try TextFixtures.rows("rfc4180.csv")).map { $0 })
            #expect(source.bytesRead == Int64(packed.count))
            #expect(source.bytesTotal == Int64(packed.count))
        }
    }

    @Test func emptyFilesAndHeaderOnlyFilesHaveNoRows() throws {
        let empty = try TextFixtures.write("empty.csv", [])
        let headerOnly = try TextFixtures.write("header_only.csv", Array("id,name\r\n".utf8))
        let blank = try TextFixtures.write("blank_lines.csv", Array("\n\r\n\n".utf8))
        for (path, header) in [(empty, true), (empty, false), (headerOnly, true), (blank, false)] {
            var o = CSVOptions.rfc4180
            o.header = header
            let source = try CSVSource(paths: [path], options: o, columns: Array(Self.columns.prefix(2)), errors: ErrorBudget())
            #expect(try source.next() == nil, "\(path)")
        }
    }

    @Test func quotedNullMarkerIsText() throws {
        let path = try TextFixtures.write("quoted_marker.csv", Array("1,\\N\n2,\"\\N\"\n3,\n".utf8))
        var o = CSVOptions.rfc4180
        o.nullMarkers = ["\\N"]
        o.parallelism = 1
        let block = try TextFixtures.readAll(try CSVSource(paths: [path], options: o, columns: Array(Self.columns.prefix(2)), errors: ErrorBudget()))
        #expect(TextFixtures.text(block) == [["1", nil], ["2", "\\N"], ["3", nil]])
    }

    @Test func severalFilesInOrder() throws {
        let paths = [try TextFixtures.path("noheader.csv"), try TextFixtures.path("noheader.csv")]
        let source = try CSVSource(paths: paths, options: .rfc4180, columns: Self.columns, errors: ErrorBudget())
        let block = try TextFixtures.readAll(source)
        let want = try TextFixtures.rows("noheader.csv")
        #expect(TextFixtures.text(block) == want + want)
    }

    static let bigColumns = [
        SourceColumn(name: "id", type: .int64),
        SourceColumn(name: "qty", type: .int32),
        SourceColumn(name: "price", type: .decimal(18, 2)),
        SourceColumn(name: "note", type: DataType.string.nullable),
        SourceColumn(name: "day", type: .date),
        SourceColumn(name: "ts", type: .dateTime64(6)),
    ]

    /// 300k rows with quoted newlines every 37 rows, in small chunks (so many boundaries fall
    /// inside quotes) and in the default 8 MB chunks; aggregates must match the generator's.
    @Test(arguments: [64 << 10, 1 << 20, 8 << 20])
    func largeFileAcrossChunks(chunkSize: Int) throws {
        let want = try TextFixtures.section("big_csv")
        var o = Self.withHeader
        o.chunkSize = chunkSize
        let source = try CSVSource(paths: [try TextFixtures.path("big.csv")], options: o, columns: Self.bigColumns, errors: ErrorBudget())
        var rows = 0, sumID: Int64 = 0, sumQty: Int64 = 0, sumCents: Int64 = 0, stringBytes = 0, nullNotes = 0
        var minDay = Int32.max, maxDay = Int32.min, minTS = Int64.max, maxTS = Int64.min
        var newlineRows = 0
        var blocks = 0
        while let b = try source.next() {
            blocks += 1
            rows += b.count
            guard case .int64(let id) = b.columns[0].data, case .int32(let qty) = b.columns[1].data,
                  case .int64(let price) = b.columns[2].data, case .string(let note) = b.columns[3].data,
                  case .int32(let day) = b.columns[4].data, case .int64(let ts) = b.columns[5].data else {
                Issue.record("unexpected column representation")
                return
            }
            for v in id { sumID += v }
            for v in qty { sumQty += Int64(v) }
            for v in price { sumCents += v }
            for r in 0..<b.count {
                if b.columns[3].isNull(r) { nullNotes += 1 } else {
                    stringBytes += note.length(at: r)
                    if note.byteSlice(at: r).contains(10) { newlineRows += 1 }
                }
            }
            for v in day { minDay = min(minDay, v); maxDay = max(maxDay, v) }
            for v in ts { minTS = min(minTS, v); maxTS = max(maxTS, v) }
        }
        #expect(rows == want["rows"] as? Int)
        #expect(sumID == Int64(want["sum_id"] as! Int))
        #expect(sumQty == Int64(want["sum_qty"] as! Int))
        #expect(sumCents == Int64(want["sum_cents"] as! Int))
        #expect(stringBytes == want["string_bytes"] as? Int)
        #expect(nullNotes == want["null_notes"] as? Int)
        #expect(newlineRows == want["newline_rows"] as? Int)
        #expect(Int(minDay) == want["min_day"] as? Int)
        #expect(Int(maxDay) == want["max_day"] as? Int)
        #expect(minTS == Int64(want["min_ts"] as! Int))
        #expect(maxTS == Int64(want["max_ts"] as! Int))
        if chunkSize == 64 << 10 { #expect(blocks > 100) }
        #expect(source.bytesRead == source.bytesTotal)
    }

    @Test func lineNumbersStayExactAcrossChunks() throws {
        // Row 250,000 of big.csv made bad (a letter in qty) in a copy: the error must name
        // its physical line, counting the quoted newlines before it in earlier chunks.
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: try TextFixtures.path("big.csv"))))
        var lines = 1, target = -1, lineOfTarget = 0
        var i = 0
        // Find the record of id 250000: it starts after a line feed with "250000,".
        let needle = Array("\n250000,".utf8)
        while i + needle.count < original.count {
            if original[i] == 10 {
                lines += 1
                if Array(original[i..<(i + needle.count)]) == needle { target = i + needle.count; lineOfTarget = lines; break }
            }
            i += 1
        }
        try #require(target > 0)
        var copy = original
        copy.insert(UInt8(ascii: "x"), at: target)
        let path = try TextFixtures.write("big_bad.csv", copy)
        var o = Self.withHeader
        o.chunkSize = 256 << 10
        let source = try CSVSource(paths: [path], options: o, columns: Self.bigColumns, errors: ErrorBudget())
        let e = #expect(throws: AurumError.self) { _ = try TextFixtures.readAll(source) }
        #expect(e?.message.contains("big_bad.csv:\(lineOfTarget)") == true, "\(String(describing: e))")
        #expect(e?.code == .invalidTextRepresentation)
    }
}
