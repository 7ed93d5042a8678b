/// Hashing and comparing short byte strings (group keys, dictionary values, interned
/// strings): one or two overlapping unaligned loads for up to 16 bytes instead of a byte
/// loop. Shared by the storage dictionary encoder and the engine's hash tables.
public enum ByteHash {
    /// A 64-bit finaliser (splitmix64): every input bit affects every output bit.
    @inlinable @inline(__always) public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E3779B97F4A7C15
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }

    /// Hash of the `n` bytes at `p` (reads only inside them).
    @inlinable @inline(__always) public static func hash(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        let len = UInt64(truncatingIfNeeded: n)
        if n <= 8 {
            var x: UInt64
            if n >= 4 {
                x = UInt64(p.loadUnaligned(as: UInt32.self)) | UInt64(p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)) << 32
            } else if n > 0 {
                x = UInt64(p.load(as: UInt8.self)) | UInt64(p.load(fromByteOffset: n >> 1, as: UInt8.self)) << 8
                    | UInt64(p.load(fromByteOffset: n - 1, as: UInt8.self)) << 16
            } else {
                x = 0
            }
            return mix(x ^ (len << 58))
        }
        if n <= 16 {
            let a = p.loadUnaligned(as: UInt64.self), b = p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            return mix(a ^ mix(b ^ len))
        }
        var h: UInt64 = 0xcbf29ce484222325 ^ len
        var i = 0
        while i + 8 < n {
            h = mix(h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        return mix(h ^ p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
    }

    /// Whether the `n` bytes at `a` and at `b` are equal.
    @inlinable @inline(__always) public static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
        if n >= 8 {
            var i = 0
            while i + 8 < n {
                if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
                i += 8
            }
            return a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        }
        if n >= 4 {
            return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
                && a.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        }
        var i = 0
        while i < n {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i += 1
        }
        return true
    }
}
