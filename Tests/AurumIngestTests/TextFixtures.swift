import AurumCore
import AurumEngine
import Foundation
import Testing
@testable import AurumIngest

/// Runs fixtures/text_fixtures.py once per test process into a temporary directory and
/// loads its expectations (expected.json).
enum TextFixtures {
    struct Generated: @unchecked Sendable {
        let dir: String
        let expected: [String: Any]
    }

    static let generated: Result<Generated, AurumFixtureError> =
        FixtureGenerator.run("text_fixtures.py", prefix: "aurum-text-fixtures", needs: "python3").flatMap { dir in
            guard let data = FileManager.default.contents(atPath: dir + "/expected.json"),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                return .failure(AurumFixtureError(message: "text_fixtures.py wrote no expected.json"))
            }
            return .success(Generated(dir: dir, expected: json))
        }

    static func get() throws -> Generated { try generated.get() }

    static func path(_ name: String) throws -> String { try get().dir + "/" + name }

    /// The rows the generator expects for a small file, values as Aurum prints them.
    static func rows(_ name: String) throws -> [[String?]] {
        let files = try #require(try get().expected["files"] as? [String: Any])
        let rows = try #require(files[name] as? [[Any]], "no expectation for \(name)")
        return rows.map { $0.map { $0 as? String } }
    }

    static func section(_ key: String) throws -> [String: Any] {
        try #require(try get().expected[key] as? [String: Any])
    }

    /// Reads a source to its end as one block.
    static func readAll(_ source: BlockSource) throws -> Block {
        var blocks: [Block] = []
        while let b = try source.next() { blocks.append(b) }
        return Block.concat(blocks, types: source.columns.map(\.type))
    }

    /// A block's values as printed text (nil for NULL), row by row.
    static func text(_ block: Block) -> [[String?]] {
        (0..<block.count).map { r in block.columns.map { c in c.isNull(r) ? nil : c.value(at: r).description } }
    }

    static func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = try get().dir + "/" + name
        guard FileManager.default.createFile(atPath: p, contents: Data(bytes)) else { throw AurumFixtureError(message: "cannot write \(p)") }
        return p
    }
}
