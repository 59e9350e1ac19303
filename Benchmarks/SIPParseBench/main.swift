// sip-parse-bench: the SIP parse-rate benchmark of TARGETS.md.
//   sip-parse-bench <corpus-dir> [seconds-per-message]   messages/s per message and geometric mean
//   sip-parse-bench <corpus-dir> --count N               parse each message N times once (for callgrind:
//                                                        instructions / (6 N) = instructions per message)
// Every message is parsed fully: framing, start line, header index, then every header to its
// typed value (SIPMessage.parseAll), as PJSIP's full parse does.
import SIPMessage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// CPU time of this thread: on a shared machine it leaves out the time other processes hold the core.
func cpuNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func readFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return out
}

func listCorpus(_ dir: String) -> [String] {
    guard let d = opendir(dir) else { return [] }
    defer { closedir(d) }
    var names: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name.hasSuffix(".sip") { names.append(name) }
    }
    return names.sorted()
}

/// One full parse; returns a value derived from the typed headers so nothing is optimized away.
@inline(never)
func fullParse(_ bytes: [UInt8]) -> Int {
    do {
        let m = try SIPMessage(parsing: bytes)
        let t = try m.parseAll()
        return m.headers.count &+ t.viaCount &+ Int(t.cseqSequence ?? 0) &+ t.contactCount
            &+ (t.contentLength ?? 0)
    } catch {
        return -1_000_000
    }
}

let args = CommandLine.arguments
guard args.count >= 2 else {
    print("usage: sip-parse-bench <corpus-dir> [seconds-per-message | --count N]")
    exit(2)
}
let dir = args[1]
let names = listCorpus(dir)
guard !names.isEmpty else { print("no .sip files in \(dir)"); exit(1) }
var messages: [(String, [UInt8])] = []
for n in names {
    guard let b = readFile(dir + "/" + n) else { print("cannot read \(n)"); exit(1) }
    if fullParse(b) < 0 { print("\(n): does not parse"); exit(1) }
    messages.append((n, b))
}

if args.count >= 4 && args[2] == "--count" {
    let n = Int(args[3]) ?? 100_000
    var sink = 0
    for (_, b) in messages { for _ in 0..<n { sink &+= fullParse(b) } }
    print("parsed \(messages.count) messages x \(n) (sink \(sink & 0xff))")
    exit(0)
}

let seconds = args.count >= 3 ? (Double(args[2]) ?? 3) : 3
var logSum = 0.0, logSumCPU = 0.0
var sink = 0
print("message                     wall msg/s    cpu msg/s   (bytes, cpu ns/msg)")
for (name, b) in messages {
    for _ in 0..<10_000 { sink &+= fullParse(b) }  // warm-up
    var iterations = 0
    let t0 = now(), c0 = cpuNow()
    var t1 = t0
    while t1 - t0 < seconds {
        for _ in 0..<10_000 { sink &+= fullParse(b) }
        iterations += 10_000
        t1 = now()
    }
    let c1 = cpuNow()
    let rate = Double(iterations) / (t1 - t0)
    let cpuRate = Double(iterations) / (c1 - c0)
    logSum += log(rate)
    logSumCPU += log(cpuRate)
    func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
    print("\(pad(name, 26)) \(pad(String(Int(rate)), 12)) \(pad(String(Int(cpuRate)), 12)) (\(b.count) bytes, \(Int(1e9 / cpuRate)) ns)")
}
let geo = exp(logSum / Double(messages.count))
let geoCPU = exp(logSumCPU / Double(messages.count))
print("geometric mean             \(Int(geo)) wall, \(Int(geoCPU)) cpu msg/s  (sink \(sink & 0xff))")
