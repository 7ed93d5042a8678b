// swift-tools-version: 6.1

// Aurum's package-benchmark suite. A separate package so the main package does not depend
// on ordo-one/benchmark (and its malloc interposer). Run from this directory:
//
//     swift package --disable-sandbox benchmark
//
// See README.md beside this file.

import PackageDescription

let package = Package(
    name: "AurumBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Aurum", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "AurumBenchmarks",
            dependencies: [
                .product(name: "Aurum", package: "Aurum"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/AurumBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ]
)
