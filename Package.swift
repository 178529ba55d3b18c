// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Lethe",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lethe", targets: ["lethe"]),
        .library(name: "LetheCore", targets: ["LetheCore"]),
        .executable(name: "lethe-gen", targets: ["lethe-gen"]),
        .executable(name: "lethe-fuzz", targets: ["lethe-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        // lethe serve's HTTP server: small, no SwiftNIO (docs/SERVE.md, "Why FlyingFox").
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        // System libraries: each folder holds a module.modulemap and a shim header.
        // pkgConfig names are the .pc file names, not the Debian package names.
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        .systemLibrary(name: "CDeflate", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        // setrlimit and prctl (variadic) for the CLI: no core dumps of a process holding plaintext.
        .systemLibrary(name: "CProcess"),

        .target(
            name: "LetheCore",
            dependencies: [
                "CSodium", "CZstd", "CSQLite", "CDeflate",
                .product(name: "Yams", package: "Yams"),
            ]),
        // `lethe serve`: HTTP, pages, assets. Its own target, so LetheCore never depends on an HTTP stack.
        .target(
            name: "LetheServe",
            dependencies: ["LetheCore", .product(name: "FlyingFox", package: "FlyingFox")],
            exclude: ["Assets"],
            plugins: ["EmbedAssets"]),
        // Compiles Sources/LetheServe/Assets (CSS, JS) into the binary at build time.
        .executableTarget(name: "lethe-embed"),
        .plugin(name: "EmbedAssets", capability: .buildTool(), dependencies: ["lethe-embed"]),
        .executableTarget(
            name: "lethe",
            dependencies: [
                "LetheCore", "LetheServe", "CProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "lethe-gen",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]),
        // Fuzz targets (one function per parser) and their driver: libFuzzer when built
        // with -DFUZZING (`make fuzz`), else a replayer of input files. docs/SECURITY.md.
        .target(
            name: "LetheFuzzTargets",
            dependencies: ["LetheCore", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .executableTarget(name: "lethe-fuzz", dependencies: ["LetheFuzzTargets"]),
        // What every test target shares: the harness that runs the built binary, test
        // archives, report decoding, golden files, repository paths, the seeded generator.
        .target(
            name: "LetheTestSupport",
            dependencies: ["LetheCore", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            path: "Tests/LetheTestSupport"),
        .testTarget(name: "LetheCoreTests", dependencies: ["LetheCore", "LetheTestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .testTarget(name: "LetheFuzzTests", dependencies: ["LetheFuzzTargets", "LetheTestSupport"]),
        .testTarget(name: "LetheCLITests", dependencies: ["LetheCore", "LetheTestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
    ]
)
