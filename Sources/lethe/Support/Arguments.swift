import ArgumentParser
import LetheCore

// The core's enums as command-line values: argument-parser checks them, lists them in
// `--help` and says what is allowed when a value is wrong.

extension BucketScheme: ExpressibleByArgument {}
extension KDFProfile: ExpressibleByArgument {}
extension SearchSort: ExpressibleByArgument {}
