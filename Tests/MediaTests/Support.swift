import Foundation
import TestKit

/// Runs a tool to completion (posix_spawn through TestKit), returning its exit code and stderr.
func run(_ path: String, _ arguments: [String]) async throws -> (Int32?, String) {
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw TestFailure("\(path) is missing: scripts/install-deps.sh test installs it (make test does)")
    }
    let dir = try TestSupport.temporaryDirectory("media-run")
    let child = try ChildProcess(path, arguments, stdout: dir + "/out", stderr: dir + "/err")
    guard let status = await child.wait(timeout: .seconds(30)) else {
        child.terminate()
        throw TestFailure("\(path) did not finish")
    }
    let err = (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? ""
    let out = (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? ""
    return (ChildProcess.exitCode(status), err + out)
}

func readBytes(_ path: String) throws -> [UInt8] {
    guard let d = FileManager.default.contents(atPath: path) else { throw TestFailure("cannot read \(path)") }
    return [UInt8](d)
}

func writeBytes(_ bytes: [UInt8], _ path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

func littleEndian(_ samples: [Int16]) -> [UInt8] {
    samples.flatMap { [UInt8(UInt16(bitPattern: $0) & 0xFF), UInt8(UInt16(bitPattern: $0) >> 8)] }
}

func samples(littleEndian b: [UInt8]) -> [Int16] {
    stride(from: 0, to: b.count - 1, by: 2).map { Int16(bitPattern: UInt16(b[$0]) | UInt16(b[$0 + 1]) << 8) }
}

let sox = "/usr/bin/sox"

/// The power of `frequency` in `x` (Goertzel), normalised by the length.
func goertzel(_ x: [Int16], _ frequency: Double, rate: Double = 8000) -> Double {
    let w = 2 * Double.pi * frequency / rate
    let c = 2 * cos(w)
    var s1 = 0.0, s2 = 0.0
    for v in x {
        let s = Double(v) + c * s1 - s2
        s2 = s1
        s1 = s
    }
    return (s1 * s1 + s2 * s2 - c * s1 * s2) / Double(x.count * x.count)
}

func rms(_ x: [Int16]) -> Double {
    guard !x.isEmpty else { return 0 }
    return (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)).squareRoot()
}
