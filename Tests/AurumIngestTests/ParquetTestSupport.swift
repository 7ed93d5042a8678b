import AurumCore
import Foundation
import Testing
@testable import AurumIngest

/// The files of `fixtures/parquet_fixtures.py`, generated once per test process into a
/// temporary directory, and what the generator says they hold.
enum ParquetFixtures {
    struct ColumnExpectation: Decodable {
        var type: String
        var nulls: Int
        var sum: String?
        var min: String?
        var max: String?
    }
    struct FileExpectation: Decodable {
        var rows: Int
        var row_groups: Int
        var columns: [String: ColumnExpectation]
    }

    static let generated: Result<(URL, [String: FileExpectation]), AurumFixtureError> =
        FixtureGenerator.run("parquet_fixtures.py", prefix: "aurum-parquet", needs: "python3 with pyarrow 26, installed by .ci/run").flatMap { dir in
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/expected.json"))
                return .success((URL(fileURLWithPath: dir), try JSONDecoder().decode([String: FileExpectation].self, from: data)))
            } catch {
                return .failure(AurumFixtureError(message: "could not read expected.json: \(error)"))
            }
        }

    static func directory() throws -> URL { try generated.get().0 }
    static func expectations() throws -> [String: FileExpectation] { try generated.get().1 }
    static func path(_ name: String) throws -> String { try directory().appendingPathComponent(name).path }

    /// The `<file>.rows.ndjson` lines: every row as canonical texts, nil for NULL.
    static func rows(_ name: String) throws -> [[String?]] {
        let text = try String(contentsOfFile: try path(name) + ".rows.ndjson", encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            try JSONDecoder().decode([String?].self, from: Data(line.utf8))
        }
    }

    /// A Block's rows rendered as Aurum renders values (nil for NULL).
    static func render(_ block: Block) -> [[String?]] {
        (0..<block.count).map { r in
            block.columns.map { c in c.isNull(r) ? nil : c.value(at: r).description }
        }
    }
}

struct AurumFixtureError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Expects `body` to throw an AurumError with `code` whose message contains `fragments`.
@discardableResult
func expectAurumError(_ code: SQLState, containing fragments: [String] = [],
                      sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> AurumError? {
    do {
        try body()
        Issue.record("expected error \(code), got success", sourceLocation: sourceLocation)
    } catch let e as AurumError {
        #expect(e.code == code, "\(e)", sourceLocation: sourceLocation)
        for f in fragments {
            #expect(e.message.contains(f), "message lacks \"\(f)\": \(e.message)", sourceLocation: sourceLocation)
        }
        return e
    } catch {
        Issue.record("expected AurumError \(code), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
