import Foundation
import Testing
import LetheFuzzTargets
import LetheTestSupport

/// Replays the committed seed corpus and every crash input the fuzzer found
/// (`Tests/FuzzCorpus/<target>/`) through the fuzz targets, in process: what
/// the fuzzer found stays fixed. A regression traps and fails the run.
@Suite struct FuzzCorpusReplayTests {
    static let corpus = Repository.fuzzCorpus

    @Test(arguments: FuzzTarget.allCases)
    func replaysCorpus(_ target: FuzzTarget) throws {
        let folder = Self.corpus.appendingPathComponent(target.rawValue)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
        #expect(names.count >= 3, "Tests/FuzzCorpus/\(target.rawValue) should hold seeds")
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent(name)))
            target.run(bytes)
        }
    }
}
