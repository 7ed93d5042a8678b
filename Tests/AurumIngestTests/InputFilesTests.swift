import AurumCore
import Foundation
import Testing
@testable import AurumIngest

/// InputFiles.expand over a directory tree shaped like warehouse exports.
struct InputFilesTests {
    /// exports/2024-01/{part-0.parquet, part-1.parquet, _SUCCESS, .part-0.crc}
    /// exports/2024-02/{part-0.parquet, _committed_1}, exports/2023-12/part-0.parquet
    /// exports/_delta_log/0.json, exports/notes.txt
    static func tree() throws -> String {
        let root = NSTemporaryDirectory() + "aurum-inputfiles-\(UInt32.random(in: 0...UInt32.max))"
        let files = ["2024-01/part-0.parquet", "2024-01/part-1.parquet", "2024-01/_SUCCESS", "2024-01/.part-0.crc",
                     "2024-02/part-0.parquet", "2024-02/_committed_1", "2023-12/part-0.parquet",
                     "_delta_log/0.json", "notes.txt"]
        for f in files {
            let p = root + "/exports/" + f
            try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: p, contents: Data("x".utf8)))
        }
        return root + "/exports"
    }

    @Test func directoryIsRecursiveSortedAndSkipsSideFiles() throws {
        let root = try Self.tree()
        let files = try InputFiles.expand([root])
        #expect(files == ["2023-12/part-0.parquet", "2024-01/part-0.parquet", "2024-01/part-1.parquet",
                          "2024-02/part-0.parquet", "notes.txt"].map { root + "/" + $0 })
    }

    @Test func globsInAnySegment() throws {
        let root = try Self.tree()
        #expect(try InputFiles.expand([root + "/2024-*/part-*.parquet"]) ==
                ["2024-01/part-0.parquet", "2024-01/part-1.parquet", "2024-02/part-0.parquet"].map { root + "/" + $0 })
        #expect(try InputFiles.expand([root + "/202?-1*/part-[0-0].parquet"]) ==
                [root + "/2023-12/part-0.parquet"])
        #expect(try InputFiles.expand([root + "/2024-0[!1]/*"]) == [root + "/2024-02/part-0.parquet"])
        // A glob that matches directories expands them.
        #expect(try InputFiles.expand([root + "/2024-0*"]).count == 3)
        // Hidden/underscore names only match a pattern that starts with the same character.
        #expect(try InputFiles.expand([root + "/2024-01/_*"]) == [root + "/2024-01/_SUCCESS"])
        // A plain file, and duplicates dropped.
        let one = root + "/notes.txt"
        #expect(try InputFiles.expand([one, root + "/notes.*"]) == [one])
    }

    @Test func noMatchIs58030NamingThePattern() throws {
        let root = try Self.tree()
        for pattern in [root + "/2025-*/part-*.parquet", root + "/missing.csv"] {
            let e = #expect(throws: AurumError.self) { _ = try InputFiles.expand([pattern]) }
            #expect(e?.code == .ioError)
            #expect(e?.message.contains(pattern) == true)
        }
    }

    @Test func segmentMatcher() {
        func m(_ p: String, _ n: String) -> Bool { InputFiles.matches(Array(p.utf8), Array(n.utf8)) }
        #expect(m("*", "abc"))
        #expect(m("a*c", "abbbc"))
        #expect(!m("a*c", "abbbd"))
        #expect(m("a?c", "abc"))
        #expect(!m("a?c", "ac"))
        #expect(m("[a-c]x", "bx"))
        #expect(!m("[!a-c]x", "bx"))
        #expect(m("part-*.csv.gz", "part-00000-abc-c000.csv.gz"))
        #expect(m("[x", "[x"))
    }

    @Test func detectFormat() {
        #expect(InputFiles.detectFormat(path: "data_0_0_0.csv.gz") == "csv")
        #expect(InputFiles.detectFormat(path: "/a/b/000000000001.CSV") == "csv")
        #expect(InputFiles.detectFormat(path: "x.tsv.zst") == "tsv")
        #expect(InputFiles.detectFormat(path: "part-00000-uuid-c000.json") == "ndjson")
        #expect(InputFiles.detectFormat(path: "events.jsonl.gz") == "ndjson")
        #expect(InputFiles.detectFormat(path: "events.ndjson") == "ndjson")
        #expect(InputFiles.detectFormat(path: "part-0.snappy.parquet") == "parquet")
        #expect(InputFiles.detectFormat(path: "README") == nil)
        #expect(InputFiles.detectFormat(path: "x.gz") == nil)
    }
}
