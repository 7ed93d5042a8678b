import AurumCore
import Foundation

/// The files a load reads, from what the user typed: paths, directories and globs.
public enum InputFiles {
    /// Expands each pattern, in order, into sorted regular files:
    /// - an existing file: itself;
    /// - a directory: every regular file below it, recursively, skipping names that start
    ///   with `_` or `.` (Spark's `_SUCCESS`, `_committed_*`, `.crc` side files, and hidden
    ///   directories such as `_delta_log`);
    /// - a glob: `*`, `?` and `[...]` (`[!...]` negates) in any path segment, e.g.
    ///   `exports/2024-*/part-*.parquet`; a wildcard never matches `/`, and names starting
    ///   with `_` or `.` only match a segment that itself starts with that character.
    ///   Directories a glob matches are expanded as above.
    /// A pattern that matches nothing is error 58030 naming it. Duplicates are dropped.
    public static func expand(_ patterns: [String]) throws -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        for pattern in patterns {
            let files = try expandOne(pattern)
            guard !files.isEmpty else {
                throw AurumError(.ioError, "no input files match \"\(pattern)\"", kind: .io)
            }
            for f in files where seen.insert(f).inserted { out.append(f) }
        }
        return out
    }

    static func hasWildcard(_ s: Substring) -> Bool { s.contains { $0 == "*" || $0 == "?" || $0 == "[" } }

    static func isHidden(_ name: String) -> Bool { name.hasPrefix("_") || name.hasPrefix(".") }

    private static func expandOne(_ pattern: String) throws -> [String] {
        let fm = FileManager.default
        if !hasWildcard(Substring(pattern)) {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: pattern, isDirectory: &isDir) else { return [] }
            return isDir.boolValue ? walk(pattern) : [pattern]
        }
        let absolute = pattern.hasPrefix("/")
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: true)
        var current: [String] = [absolute ? "/" : ""]
        for (index, segment) in segments.enumerated() {
            let last = index == segments.count - 1
            var nextPaths: [String] = []
            for base in current {
                let dir = base.isEmpty ? "." : base
                if !hasWildcard(segment) {
                    let p = join(base, String(segment))
                    if last || isDirectory(p) { if fm.fileExists(atPath: p) { nextPaths.append(p) } }
                    continue
                }
                guard let names = try? fm.contentsOfDirectory(atPath: dir) else { continue }
                let allowHidden = segment.first == "_" || segment.first == "."
                for name in names.sorted() where (allowHidden || !isHidden(name)) && matches(Array(segment.utf8), Array(name.utf8)) {
                    let p = join(base, name)
                    if last || isDirectory(p) { nextPaths.append(p) }
                }
            }
            current = nextPaths
        }
        var files: [String] = []
        for p in current {
            if isDirectory(p) { files.append(contentsOf: walk(p)) } else if isRegularFile(p) { files.append(p) }
        }
        return files.sorted()
    }

    private static func join(_ base: String, _ name: String) -> String {
        if base.isEmpty { return name }
        return base.hasSuffix("/") ? base + name : base + "/" + name
    }

    private static func isDirectory(_ p: String) -> Bool {
        var st = stat()
        return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    private static func isRegularFile(_ p: String) -> Bool {
        var st = stat()
        return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Regular files below `dir`, recursively, sorted, without `_`/`.` names.
    private static func walk(_ dir: String) -> [String] {
        var out: [String] = []
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        for name in names.sorted() where !isHidden(name) {
            let p = join(dir, name)
            if isDirectory(p) { out.append(contentsOf: walk(p)) } else if isRegularFile(p) { out.append(p) }
        }
        return out.sorted()
    }

    /// Glob match of one path segment: `*` any run, `?` one byte, `[abc]`, `[a-z]`, `[!x]`.
    static func matches(_ pattern: [UInt8], _ name: [UInt8]) -> Bool {
        var p = 0, n = 0
        var starP = -1, starN = 0
        while n < name.count {
            if p < pattern.count {
                let c = pattern[p]
                if c == 42 {  // *
                    starP = p; starN = n; p += 1
                    continue
                }
                if c == 63 { p += 1; n += 1; continue }  // ?
                if c == 91, let (ok, next) = bracket(pattern, p, name[n]) {
                    if ok { p = next; n += 1; continue }
                } else if c == name[n] {
                    p += 1; n += 1
                    continue
                }
            }
            guard starP >= 0 else { return false }
            starN += 1
            n = starN
            p = starP + 1
        }
        while p < pattern.count && pattern[p] == 42 { p += 1 }
        return p == pattern.count
    }

    /// A `[...]` class at `p`: whether `c` is in it and the index after it; nil when the
    /// bracket is not closed (then `[` is literal).
    private static func bracket(_ pattern: [UInt8], _ p: Int, _ c: UInt8) -> (Bool, Int)? {
        var i = p + 1
        var negate = false
        if i < pattern.count && (pattern[i] == 33 || pattern[i] == 94) { negate = true; i += 1 }
        var found = false
        var first = true
        while i < pattern.count && (pattern[i] != 93 || first) {
            first = false
            let lo = pattern[i]
            if i + 2 < pattern.count && pattern[i + 1] == 45 && pattern[i + 2] != 93 {
                if c >= lo && c <= pattern[i + 2] { found = true }
                i += 3
            } else {
                if c == lo { found = true }
                i += 1
            }
        }
        guard i < pattern.count else { return nil }
        return (found != negate, i + 1)
    }

    /// The format a file name says: `csv`, `tsv` (`.tsv`, `.tab`), `ndjson` (`.ndjson`,
    /// `.jsonl`, `.json`) or `parquet`, looking through a `.gz`/`.gzip`/`.zst`/`.zstd`
    /// suffix; nil when the name does not tell.
    public static func detectFormat(path: String) -> String? {
        let name = CompressionCodec.strippingSuffix((path as NSString).lastPathComponent).lowercased()
        guard let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...] {
        case "csv": return "csv"
        case "tsv", "tab": return "tsv"
        case "ndjson", "jsonl", "json": return "ndjson"
        case "parquet", "parq": return "parquet"
        default: return nil
        }
    }
}
