/// A Slack message timestamp (`ts`), kept as the exact string Slack wrote.
///
/// A message's identity is (conversation, ts) and `ts` is a string, never a float:
/// `"1712173142.143619"`. Ordering compares the integer seconds, then the
/// fractional digits as a decimal fraction, so `"5.1"` sorts after `"5.09"`.
public struct SlackTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let string: String
    /// Whole seconds since the Unix epoch.
    public let seconds: Int64
    /// Fraction in microseconds, right-padded to 6 digits (extra digits truncated for ordering).
    public let micros: Int32

    /// Accepts `digits` or `digits.digits` with at most 12 integer and 9 fractional digits.
    public init?(_ s: String) {
        let utf8 = Array(s.utf8)
        guard !utf8.isEmpty, utf8.count <= 22 else { return nil }
        var i = 0
        var sec: Int64 = 0
        var intDigits = 0
        while i < utf8.count, utf8[i] >= 48, utf8[i] <= 57 {
            guard intDigits < 12 else { return nil }  // refused before a 20th digit could overflow
            sec = sec * 10 + Int64(utf8[i] - 48)
            i += 1
            intDigits += 1
        }
        guard intDigits >= 1, intDigits <= 12 else { return nil }
        var micros: Int32 = 0
        if i < utf8.count {
            guard utf8[i] == 46 else { return nil }  // "."
            i += 1
            var frac = 0
            while i < utf8.count, utf8[i] >= 48, utf8[i] <= 57 {
                if frac < 6 { micros = micros * 10 + Int32(utf8[i] - 48) }
                frac += 1
                i += 1
            }
            guard frac >= 1, frac <= 9, i == utf8.count else { return nil }
            for _ in min(frac, 6)..<6 { micros *= 10 }
        }
        self.string = s
        self.seconds = sec
        self.micros = micros
    }

    public var description: String { string }

    public static func < (a: SlackTimestamp, b: SlackTimestamp) -> Bool {
        if a.seconds != b.seconds { return a.seconds < b.seconds }
        if a.micros != b.micros { return a.micros < b.micros }
        return a.string < b.string  // same instant written two ways: keep a total order
    }
}
