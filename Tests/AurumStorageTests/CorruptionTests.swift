import AurumCore
import Foundation
import Glibc
import Testing
@testable import AurumStorage

@Suite struct CorruptionTests {
    func makeTable(_ dir: TempDir) throws -> (MergeTreeTable, DataPart) {
        var opts = quietOptions()
        opts.minCompressBlockSize = 1024   // several blocks per column file
        let t = try MergeTreeTable(directory: dir.table, schema: salesSchema(granularity: 64), options: opts)
        try t.insert([PartitionedBlock(block: salesBlock(Array(0..<1000), amountNullEvery: 5))])
        return (t, t.snapshot().parts[0])
    }

    func expectCorrupt(_ body: () throws -> Void, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected XX001 (\(mentions))", sourceLocation: sourceLocation)
        } catch let e as AurumError {
            #expect(e.code == .dataCorrupted, "\(e)")
            for m in mentions { #expect(e.message.contains(m), "message \"\(e.message)\" lacks \(m)") }
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    func patch(_ path: String, at offset: Int) throws {
        var b = try FileIO.readFile(path)
        b[offset] ^= 0x5A
        try Data(b).write(to: URL(fileURLWithPath: path))
    }

    @Test(arguments: ["id.bin", "city.bin", "amount.bin", "amount.null.bin", "price.bin"])
    func flippedByteInColumnFileIsDetected(file: String) throws {
        let dir = TempDir("flip"); defer { dir.cleanup() }
        let (t, part) = try makeTable(dir)
        defer { t.close() }
        let path = part.path + "/" + file
        let size = try #require(FileIO.fileSize(path))
        let column = String(file.split(separator: ".")[0])
        let ci = try #require(t.schema.index(of: column))
        // Flip a byte in the header, in the middle and at the end: always XX001, never wrong rows.
        for off in [3, 10, size / 2, size - 1] {
            try patch(path, at: off)
            expectCorrupt({ _ = try part.read(columns: [ci], granules: 0..<part.granuleCount) },
                          mentions: [dir.table, part.name, "\"\(column)\""])
            try patch(path, at: off)   // restore
            #expect(try part.readAll(columns: [ci]).count == 1000)
        }
    }

    @Test func truncatedColumnFileIsDetected() throws {
        let dir = TempDir("trunc"); defer { dir.cleanup() }
        let (t, part) = try makeTable(dir)
        t.close()
        let path = part.path + "/price.bin"
        let size = try #require(FileIO.fileSize(path))
        #expect(Glibc.truncate(path, off_t(size - 7)) == 0)
        expectCorrupt({ _ = try part.readAll(columns: [3]) }, mentions: [part.name, "\"price\""])
        // Early granules that do not touch the cut still read correctly.
        #expect(try part.read(columns: [3], granules: 0..<1).columns[0].value(at: 5) == .float(1.25))
        // Reopening refuses the damaged part (size differs from checksums.txt)...
        expectCorrupt({ _ = try MergeTreeTable(directory: dir.table, schema: salesSchema(granularity: 64), options: quietOptions()) },
                      mentions: [part.name, "price.bin"])
        // ...or, when asked, detaches it and opens without it.
        let t2 = try MergeTreeTable(directory: dir.table, schema: salesSchema(granularity: 64),
                                    options: StorageOptions(backgroundMerges: false, fsync: false, detachBrokenParts: true))
        defer { t2.close() }
        #expect(t2.snapshot().parts.isEmpty)
        #expect(FileIO.isDirectory(dir.table + "/detached/broken_" + part.name))
    }

    @Test func damagedMetadataFilesAreDetected() throws {
        for file in ["id.mrk", "columns.txt", "checksums.txt", "meta.json", "count.txt"] {
            let dir = TempDir("meta"); defer { dir.cleanup() }
            let (t, part) = try makeTable(dir)
            t.close()
            try patch(part.path + "/" + file, at: 2)
            if file == "id.mrk" {
                // Marks are verified when first loaded, not at startup.
                expectCorrupt({ _ = try part.readAll(columns: [0]) }, mentions: [part.name, "id.mrk"])
                let r = try MergeTreeTable(directory: dir.table, schema: salesSchema(granularity: 64), options: quietOptions())
                expectCorrupt({ _ = try r.snapshot().parts[0].readAll(columns: [0]) }, mentions: [part.name, "\"id\""])
                r.close()
                continue
            }
            expectCorrupt({ _ = try MergeTreeTable(directory: dir.table, schema: salesSchema(granularity: 64), options: quietOptions()) },
                          mentions: [part.name])
        }
    }

    @Test func damagedManifestIsDetected() throws {
        let dir = TempDir("manifest"); defer { dir.cleanup() }
        let (t, _) = try makeTable(dir)
        t.close()
        try patch(dir.table + "/parts.txt", at: 40)
        expectCorrupt({ _ = try MergeTreeTable(directory: dir.table, schema: salesSchema(granularity: 64), options: quietOptions()) },
                      mentions: [dir.table])
    }

    @Test func minMaxCorruptionDisablesStatsButNotReads() throws {
        let dir = TempDir("mm"); defer { dir.cleanup() }
        let (t, part) = try makeTable(dir)
        defer { t.close() }
        try patch(part.path + "/id.mm", at: 30)
        #expect(part.granuleStats(column: 0) == nil)
        #expect(try part.readAll(columns: [0]).count == 1000)
    }
}
