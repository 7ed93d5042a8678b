import AurumCore
import Foundation
import Logging
@testable import AurumStorage

/// A fresh directory under /tmp, removed by `cleanup()`.
struct TempDir {
    let path: String
    init(_ tag: String = "t") {
        let base = FileManager.default.temporaryDirectory.path + "/aurum-storage-\(tag)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
    var table: String { path + "/t" }
}

func column(_ type: DataType, _ values: [Value]) -> Column {
    var b = ColumnBuilder(type: type, capacity: values.count)
    for v in values { b.append(v) }
    return b.finish()
}

func block(_ cols: [Column]) -> Block { Block(columns: cols) }

func rows(_ b: Block) -> [[Value]] {
    (0..<b.count).map { r in b.columns.map { $0.value(at: r) } }
}

func allRows(_ s: TableSnapshot, columns: [Int]? = nil) throws -> [[Value]] {
    let cols = columns ?? Array(s.schema.columns.indices)
    var out: [[Value]] = []
    for p in s.parts { out += rows(try p.readAll(columns: cols)) }
    return out
}

func quietOptions(fsync: Bool = false, injector: FaultInjector? = nil, background: Bool = false) -> StorageOptions {
    StorageOptions(backgroundMerges: background, fsync: fsync, faultInjector: injector)
}

/// Deterministic xorshift generator for test data.
struct Rng {
    var s: UInt64
    init(_ seed: UInt64) { s = seed | 1 }
    mutating func next() -> UInt64 { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s }
    mutating func int(_ r: Range<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.count)) }
}

let testLogger = Logger(label: "aurum.storage.test")
