import LetheCore

/// Sizes on the command line: a number of bytes, or with a binary suffix
/// (`k`, `M`, `G`, `T`, case-insensitive, an optional `iB`/`B`): `512M` is 512 MiB.
enum ByteSize {
    static func parse(_ text: String, option: String) throws -> Int64 {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        var unit: Int64 = 1
        for suffix in ["ib", "b"] where digits.lowercased().hasSuffix(suffix) && digits.count > suffix.count {
            digits = digits.dropLast(suffix.count)
            break
        }
        if let last = digits.last?.lowercased(), let shift = ["k": 10, "m": 20, "g": 30, "t": 40][last] {
            unit = 1 << Int64(shift)
            digits = digits.dropLast()
        }
        guard let n = Int64(digits), n > 0, n <= Int64.max / unit else {
            throw LetheError(.usage, "\(option) \(text): not a size", hint: "give bytes, or a number with k, M, G or T (512M is 512 MiB)")
        }
        return n * unit
    }
}
