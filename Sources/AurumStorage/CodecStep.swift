import AurumCore

/// One step of a column's compression chain, as written in `CODEC(...)`.
///
/// `CODEC(Delta, ZSTD(3))` is `[.delta, .zstd(level: 3)]`: the transforms (`delta`,
/// `doubleDelta`) run first, in order, and at most one general-purpose compressor
/// (`none`, `lz4`, `zstd`) ends the chain. When the chain has no general-purpose step the
/// table default (`CodecStep.defaultCompression`) is appended, as ClickHouse does.
///
/// The method bytes written into every compressed block header are stable on disk
/// (they follow ClickHouse's numbering); never reuse a retired one.
public enum CodecStep: Sendable, Hashable, CustomStringConvertible {
    case none
    case lz4
    case zstd(level: Int)
    case delta
    case doubleDelta

    /// The general-purpose codec used when a column names none. Chosen by measurement:
    /// see docs/format.md ("Choosing the default codec").
    public static let defaultCompression: CodecStep = .lz4

    /// Method byte in a block header.
    var methodByte: UInt8 {
        switch self {
        case .none: return 0x02
        case .lz4: return 0x82
        case .zstd: return 0x90
        case .delta: return 0x92
        case .doubleDelta: return 0x94
        }
    }
    /// The parameter byte stored next to the method byte (the zstd level as Int8).
    var parameterByte: UInt8 {
        if case .zstd(let l) = self { return UInt8(bitPattern: Int8(clamping: l)) }
        return 0
    }
    static func from(method: UInt8, parameter: UInt8) -> CodecStep? {
        switch method {
        case 0x02: return CodecStep.none
        case 0x82: return .lz4
        case 0x90: return .zstd(level: Int(Int8(bitPattern: parameter)))
        case 0x92: return .delta
        case 0x94: return .doubleDelta
        default: return nil
        }
    }

    /// True for the byte-size-preserving transforms (Delta, DoubleDelta).
    public var isTransform: Bool {
        switch self {
        case .delta, .doubleDelta: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .none: return "NONE"
        case .lz4: return "LZ4"
        case .zstd(let l): return "ZSTD(\(l))"
        case .delta: return "Delta"
        case .doubleDelta: return "DoubleDelta"
        }
    }

    /// Parses one codec name as written in SQL (`LZ4`, `ZSTD`, `ZSTD(3)`, `Delta`, `DoubleDelta`,
    /// `NONE`; case-insensitive). `Delta(n)` is accepted and the width ignored (the column type
    /// fixes it). Returns nil for an unknown codec.
    public static func parse(_ text: String) -> CodecStep? {
        var name = Substring(text).trimmingSpaces
        var arg: Int? = nil
        if let open = name.firstIndex(of: "("), name.last == ")" {
            let inner = name[name.index(after: open)..<name.index(before: name.endIndex)].trimmingSpaces
            arg = Int(inner)
            if arg == nil && !inner.isEmpty { return nil }
            name = name[..<open].trimmingSpaces
        }
        switch name.lowercased() {
        case "none": return CodecStep.none
        case "lz4", "lz4hc": return .lz4
        case "zstd": return .zstd(level: arg ?? 1)
        case "delta": return .delta
        case "doubledelta": return .doubleDelta
        default: return nil
        }
    }

    /// Validates a declared chain for a column type and returns the chain actually used:
    /// transforms first, then exactly one general-purpose step (the default when absent).
    ///
    /// Throws 22023 when the chain is malformed (a compressor before a transform, two
    /// compressors, a transform on a String column, a zstd level outside -7...22).
    public static func resolve(_ steps: [CodecStep], for type: DataType, column: String) throws -> [CodecStep] {
        var out: [CodecStep] = []
        var general: CodecStep? = nil
        for s in steps {
            if s.isTransform {
                if general != nil {
                    throw AurumError(.invalidParameterValue, "codec \(s) of column \"\(column)\" must come before the general-purpose codec \(general!)")
                }
                if type.physical == .string {
                    throw AurumError(.invalidParameterValue, "codec \(s) cannot be applied to column \"\(column)\" of type \(type)",
                                     hint: "Delta and DoubleDelta apply to integer, date, time and decimal columns")
                }
                out.append(s)
            } else {
                if general != nil {
                    throw AurumError(.invalidParameterValue, "column \"\(column)\" names more than one general-purpose codec (\(general!), \(s))")
                }
                if case .zstd(let l) = s, !(-7...22).contains(l) {
                    throw AurumError(.invalidParameterValue, "ZSTD level must be between -7 and 22, got \(l) (column \"\(column)\")")
                }
                general = s
            }
        }
        out.append(general ?? CodecStep.defaultCompression)
        return out
    }
}
