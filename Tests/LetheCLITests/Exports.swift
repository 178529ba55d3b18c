// Every file of this target sees the shared test support without importing it, as when
// Harness, ExportTree and SplitMix64 lived here (test files on other branches rely on that).
@_exported import LetheTestSupport
