// swift-tools-version:6.0
import PackageDescription

// Module layout: see ../shared/DESIGN.md and docs/architecture.md.
// Dependencies point one way: Core <- SQL | Storage <- Engine <- Ingest <- Wire | Aurum <- AurumCLI <- aurum.
// Only AurumWire and the modules after it may import NIO.
let package = Package(
    name: "Aurum",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Aurum", targets: ["Aurum"]),
        .executable(name: "aurum", targets: ["aurum"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // A Swift PostgreSQL client for the wire tests only (extended protocol, binary format).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        // Parquet page codecs and gzip-compressed exports (AurumIngest).
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libpq: the PostgreSQL source of `aurum load --from postgresql://...`, and a real C
        // driver for the wire tests.
        .systemLibrary(name: "CLibpq", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(name: "CAurumShims"),
        .target(name: "AurumCore"),
        .target(name: "AurumSQL", dependencies: ["AurumCore"]),
        .target(
            name: "AurumStorage",
            dependencies: ["AurumCore", "CZstd", "CLZ4", "CAurumShims", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "AurumEngine",
            dependencies: ["AurumCore", "AurumSQL", "AurumStorage", "CAurumShims", .product(name: "Logging", package: "swift-log")],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .target(
            name: "AurumIngest",
            dependencies: ["AurumCore", "AurumStorage", "AurumEngine", "CZstd", "CLZ4", "CSnappy", "CZlib", "CLibpq"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .target(
            name: "AurumWire",
            dependencies: [
                "AurumCore", "AurumSQL", "AurumEngine",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "Aurum", dependencies: ["AurumCore", "AurumSQL", "AurumStorage", "AurumEngine", "AurumIngest"]),
        .target(
            name: "AurumCLI",
            dependencies: [
                "Aurum", "AurumEngine", "AurumIngest", "AurumWire", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(name: "aurum", dependencies: ["AurumCLI"]),
        .target(name: "AurumTestSupport", dependencies: ["Aurum"], path: "Tests/AurumTestSupport"),
        .testTarget(name: "AurumCoreTests", dependencies: ["AurumCore"]),
        .testTarget(name: "AurumSQLTests", dependencies: ["AurumSQL"]),
        .testTarget(name: "AurumStorageTests", dependencies: ["AurumStorage"]),
        .testTarget(name: "AurumEngineTests", dependencies: ["AurumEngine", "AurumTestSupport"]),
        .testTarget(
            name: "AurumIngestTests",
            dependencies: ["AurumIngest", "AurumEngine", "AurumTestSupport", "CZlib", "CZstd", "CSnappy", "CLZ4"],
            exclude: ["fixtures"]
        ),
        .testTarget(name: "AurumTests", dependencies: ["Aurum", "AurumCLI", "AurumTestSupport"]),
        .testTarget(
            name: "AurumWireTests",
            dependencies: [
                "AurumWire", "AurumEngine", "AurumIngest", "AurumCLI", "AurumTestSupport", "CLibpq",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            exclude: ["clients"]
        ),
    ]
)
