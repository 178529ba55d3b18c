import Testing
@Suite struct CLIPlaceholder { @Test func nothingYet() { #expect(1 + 1 == 2) } }
