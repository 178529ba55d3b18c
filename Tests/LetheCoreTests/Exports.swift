// Every file of this target sees the shared test support (SplitMix64, Repository) without
// importing it, as when SplitMix64 lived here (test files on other branches rely on that).
@_exported import LetheTestSupport
