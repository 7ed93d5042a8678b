/// XXH64 (Yann Collet's xxHash, 64-bit variant), used for every checksum in a part:
/// compressed-block headers, `checksums.txt` and the table manifest.
///
/// The implementation follows the reference algorithm byte for byte (little-endian
/// reads, seed 0 unless stated), so `xxhsum -H64` on a file gives the same value as
/// `checksums.txt` records for it. It is a value type; `update` may be called any number
/// of times (streaming) and `digest()` does not consume the state.
struct XXHash64: Sendable {
    static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    private var v1, v2, v3, v4: UInt64
    private let seed: UInt64
    private var totalLength: UInt64 = 0
    /// Up to 31 bytes not yet folded into v1...v4.
    private var buffer: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var bufferCount = 0

    init(seed: UInt64 = 0) {
        self.seed = seed
        v1 = seed &+ XXHash64.p1 &+ XXHash64.p2
        v2 = seed &+ XXHash64.p2
        v3 = seed
        v4 = seed &- XXHash64.p1
    }

    @inline(__always) static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
    @inline(__always) static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* p2, 31) &* p1
    }
    @inline(__always) static func mergeRound(_ acc: UInt64, _ val: UInt64) -> UInt64 {
        (acc ^ round(0, val)) &* p1 &+ p4
    }
    @inline(__always) static func load64(_ p: UnsafeRawPointer, _ o: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self))
    }
    @inline(__always) static func load32(_ p: UnsafeRawPointer, _ o: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self))
    }

    /// One-shot hash of a byte range.
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        var h = XXHash64(seed: seed)
        h.update(bytes)
        return h.digest()
    }
    static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var p = 0
        let n = bytes.count
        totalLength &+= UInt64(n)
        if bufferCount > 0 {
            let take = min(32 - bufferCount, n)
            withUnsafeMutableBytes(of: &buffer) { b in
                (b.baseAddress! + bufferCount).copyMemory(from: base, byteCount: take)
            }
            bufferCount += take
            p = take
            if bufferCount < 32 { return }
            withUnsafeBytes(of: buffer) { b in consumeStripe(b.baseAddress!, 0) }
            bufferCount = 0
        }
        var a = v1, b = v2, c = v3, d = v4
        while n - p >= 32 {
            a = XXHash64.round(a, XXHash64.load64(base, p))
            b = XXHash64.round(b, XXHash64.load64(base, p + 8))
            c = XXHash64.round(c, XXHash64.load64(base, p + 16))
            d = XXHash64.round(d, XXHash64.load64(base, p + 24))
            p += 32
        }
        v1 = a; v2 = b; v3 = c; v4 = d
        if p < n {
            let rest = n - p
            withUnsafeMutableBytes(of: &buffer) { b in
                b.baseAddress!.copyMemory(from: base + p, byteCount: rest)
            }
            bufferCount = rest
        }
    }

    private mutating func consumeStripe(_ base: UnsafeRawPointer, _ p: Int) {
        v1 = XXHash64.round(v1, XXHash64.load64(base, p))
        v2 = XXHash64.round(v2, XXHash64.load64(base, p + 8))
        v3 = XXHash64.round(v3, XXHash64.load64(base, p + 16))
        v4 = XXHash64.round(v4, XXHash64.load64(base, p + 24))
    }

    func digest() -> UInt64 {
        var h: UInt64
        if totalLength >= 32 {
            h = XXHash64.rotl(v1, 1) &+ XXHash64.rotl(v2, 7) &+ XXHash64.rotl(v3, 12) &+ XXHash64.rotl(v4, 18)
            h = XXHash64.mergeRound(h, v1)
            h = XXHash64.mergeRound(h, v2)
            h = XXHash64.mergeRound(h, v3)
            h = XXHash64.mergeRound(h, v4)
        } else {
            h = seed &+ XXHash64.p5
        }
        h &+= totalLength
        withUnsafeBytes(of: buffer) { raw in
            let base = raw.baseAddress!
            var p = 0
            let n = bufferCount
            while n - p >= 8 {
                h ^= XXHash64.round(0, XXHash64.load64(base, p))
                h = XXHash64.rotl(h, 27) &* XXHash64.p1 &+ XXHash64.p4
                p += 8
            }
            if n - p >= 4 {
                h ^= UInt64(XXHash64.load32(base, p)) &* XXHash64.p1
                h = XXHash64.rotl(h, 23) &* XXHash64.p2 &+ XXHash64.p3
                p += 4
            }
            while p < n {
                h ^= UInt64(raw[p]) &* XXHash64.p5
                h = XXHash64.rotl(h, 11) &* XXHash64.p1
                p += 1
            }
        }
        h ^= h >> 33
        h &*= XXHash64.p2
        h ^= h >> 29
        h &*= XXHash64.p3
        h ^= h >> 32
        return h
    }
}

extension UInt64 {
    /// 16 lowercase hex digits, zero-padded (checksum spelling in text files).
    var hex16: String {
        let s = String(self, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
