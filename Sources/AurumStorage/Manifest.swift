import AurumCore

/// `parts.txt`: the table's visible part set. A part directory that is not listed here is
/// not part of the table (an insert or merge that did not commit) and is removed at startup.
///
/// ```
/// aurum parts format version: 1
/// next_block 42
/// next_mutation 3
/// column `id` Int64
/// column `name` Nullable(String)
/// part 202401_1_1_0
/// part 202401_2_7_1
/// checksum 8c2a59d3b1f04e77
/// ```
/// `checksum` is XXH64 of every byte before that line. The file is replaced atomically:
/// written to `tmp_parts.txt`, fsynced, renamed over `parts.txt`, and the table directory is
/// fsynced. `column` lines record the schema at the last commit, for operators (informational).
struct Manifest: Sendable, Equatable {
    var nextBlock: Int
    var nextMutation: Int
    var columns: [PartColumn]
    var parts: [String]

    static let fileName = "parts.txt"
    static let tmpName = "tmp_parts.txt"

    func encode() -> [UInt8] {
        var s = "aurum parts format version: 1\nnext_block \(nextBlock)\nnext_mutation \(nextMutation)\n"
        let cols = String(decoding: ColumnsFile.encode(columns), as: UTF8.self).split(separator: "\n").dropFirst(2)
        for c in cols { s += "column \(c)\n" }
        for p in parts { s += "part \(p)\n" }
        var b = Array(s.utf8)
        b.append(contentsOf: Array("checksum \(XXHash64.hash(b).hex16)\n".utf8))
        return b
    }

    static func decode(_ bytes: [UInt8]) throws -> Manifest {
        guard let lastNL = bytes.dropLast().lastIndex(of: 0x0A) else { throw AurumError.corrupted("malformed parts.txt") }
        let body = Array(bytes[...lastNL])
        let tail = String(decoding: bytes[(lastNL + 1)...], as: UTF8.self)
        guard tail.hasPrefix("checksum "), let h = UInt64(Substring(tail.dropFirst(9)).trimmingSpaces, radix: 16) else {
            throw AurumError.corrupted("parts.txt has no checksum line (truncated?)")
        }
        guard XXHash64.hash(body) == h else { throw AurumError.corrupted("parts.txt does not match its checksum") }
        let lines = String(decoding: body, as: UTF8.self).split(separator: "\n")
        guard lines.first == "aurum parts format version: 1" else { throw AurumError.corrupted("parts.txt: unknown format version") }
        var m = Manifest(nextBlock: 1, nextMutation: 1, columns: [], parts: [])
        var colLines: [Substring] = []
        for l in lines.dropFirst() {
            if l.hasPrefix("next_block "), let v = Int(l.dropFirst(11)) { m.nextBlock = v }
            else if l.hasPrefix("next_mutation "), let v = Int(l.dropFirst(14)) { m.nextMutation = v }
            else if l.hasPrefix("column ") { colLines.append(l.dropFirst(7)) }
            else if l.hasPrefix("part ") { m.parts.append(String(l.dropFirst(5))) }
            else { throw AurumError.corrupted("parts.txt: unexpected line \"\(l)\"") }
        }
        let colText = "columns format version: 1\n\(colLines.count) columns:\n" + colLines.map { $0 + "\n" }.joined()
        m.columns = (try? ColumnsFile.decode(Array(colText.utf8))) ?? []
        return m
    }
}
