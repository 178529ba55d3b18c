import Foundation

/// xoshiro256** seeded through SplitMix64: fast, and the same on every platform,
/// which is what makes the generator's output byte-identical for the same arguments.
struct Rng {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(seed: UInt64) {
        var x = seed
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(&x); s1 = splitmix(&x); s2 = splitmix(&x); s3 = splitmix(&x)
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func unit() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in 0..<n (n > 0).
    @inline(__always)
    mutating func below(_ n: Int) -> Int {
        n <= 1 ? 0 : Int(next() % UInt64(n))
    }

    @inline(__always)
    mutating func chance(_ p: Double) -> Bool {
        unit() < p
    }

    /// Zipf-like rank in 0..<n (exponent 1, continuous inverse CDF: P(rank < k) ≈ ln(k+1)/ln(n+1)).
    @inline(__always)
    mutating func zipf(_ n: Int) -> Int {
        if n <= 1 { return 0 }
        let r = Int(exp(unit() * log(Double(n) + 1))) - 1
        return min(max(r, 0), n - 1)
    }

    mutating func pick<T>(_ a: [T]) -> T {
        a[below(a.count)]
    }
}
