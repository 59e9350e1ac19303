// A harness's main. Built for fuzzing (`make fuzz`: -sanitize=fuzzer,address -DFUZZING) it hands
// the harness to libFuzzer's driver (LLVMFuzzerRunDriver: SwiftPM gives every executable its own
// renamed main, so libFuzzer's main cannot be the one linked). In the ordinary build every file
// named, or every file in a folder named, is given to the harness once — the seeds and the
// crashes kept as regression inputs (FuzzReplayTests runs this in `make test`); exit 0 when
// every input was taken.
#if canImport(Glibc)
import Glibc
#endif

public typealias FuzzHarness = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: FuzzHarness) -> CInt
#endif

public enum FuzzReplay {
    public static func run(_ harness: FuzzHarness) {
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, harness))
        #else
        replay(harness)
        #endif
    }

    static func replay(_ harness: FuzzHarness) {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            for file in files(at: path) {
                guard let bytes = read(file) else {
                    print("cannot read \(file)")
                    exit(2)
                }
                _ = bytes.withUnsafeBufferPointer { harness($0.baseAddress, $0.count) }
                count += 1
            }
        }
        print("\(count) inputs")
    }

    static func files(at path: String) -> [String] {
        guard let dir = opendir(path) else { return [path] }
        defer { closedir(dir) }
        var out: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            out.append(path + "/" + name)
        }
        return out.sorted()
    }

    static func read(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }
}

/// An invariant a harness checks beyond "no crash" (a round trip, a cap): when it does not hold,
/// the harness stops with the message, which libFuzzer reports as a crash and keeps the input.
/// fatalError, not precondition: it prints its message in the -O build `make fuzz` makes.
public func fuzzRequire(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                        file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("fuzz invariant: \(message())", file: file, line: line) }
}

/// The harness's input as an array (libFuzzer may pass a null pointer for the empty input).
public func fuzzBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
}
