import Media
import Testing

/// speexdsp's jitter buffer under a simulated network: 20 ms packets with reordering,
/// duplicates, jitter up to 120 ms and a loss; one frame taken per 20 ms tick.
@Suite struct JitterBufferTests {
    /// Packet n carries its number in its first byte; arrival (in ticks) per packet.
    func run(arrivals: [(packet: Int, tick: Int)], ticks: Int) throws -> (out: [JitterBuffer.Frame], jb: JitterBuffer) {
        let jb = try #require(JitterBuffer())
        var out: [JitterBuffer.Frame] = []
        for t in 0..<ticks {
            for (n, _) in arrivals.filter({ $0.tick == t }) {
                let payload = [UInt8(truncatingIfNeeded: n)] + [UInt8](repeating: 0xFF, count: 159)
                payload.withUnsafeBytes { jb.put($0, timestamp: UInt32(n * 160), sequence: UInt16(n)) }
            }
            out.append(jb.next())
        }
        return (out, jb)
    }

    func numbers(_ out: [JitterBuffer.Frame]) -> [Int] {
        out.compactMap { if case .payload(let p) = $0 { Int(p[0]) } else { nil } }
    }

    @Test func inOrderPacketsComeOutInOrderAfterTheBuffering() throws {
        let (out, jb) = try run(arrivals: (0..<100).map { ($0, $0) }, ticks: 120)
        #expect(numbers(out) == Array(0..<100))
        #expect(jb.late == 0 && jb.delivered == 100)
    }

    @Test func reorderedDuplicatedAndJitteredPacketsArePlayedOnceInOrder() throws {
        var arrivals: [(Int, Int)] = []
        for n in 0..<100 {
            // up to 120 ms (6 ticks) of jitter, swapped neighbours, every tenth packet twice
            let jitter = [0, 3, 1, 6, 2, 0, 5, 1, 0, 4][n % 10]
            arrivals.append((n, n + jitter))
            if n % 10 == 0 { arrivals.append((n, n + 2)) }
        }
        let (out, jb) = try run(arrivals: arrivals, ticks: 140)
        let played = numbers(out)
        #expect(played == played.sorted(), "in order: \(played)")
        #expect(Set(played).count == played.count, "each once")
        #expect(played.count + jb.late >= 95, "played \(played.count), late \(jb.late)")
    }

    @Test func aLostPacketIsConcealedOnceAndNothingIsPlayedTwice() throws {
        let (out, jb) = try run(arrivals: (0..<60).filter { $0 != 30 }.map { ($0, $0) }, ticks: 80)
        let played = numbers(out)
        #expect(!played.contains(30) && played.contains(29) && played.contains(31))
        #expect(jb.concealed >= 1, "the gap concealed")
        // after the stream stops (silence), the buffer only reports missing frames
        guard case .missing = out.last else { Issue.record("expected silence at the end"); return }
    }
}

extension JitterBufferTests {
    /// After a stall (the sender's packets all arrive 300 ms behind where they were), the
    /// buffer adapts and plays again instead of calling every packet late for ever.
    @Test func aStallIsRecoveredFrom() throws {
        var arrivals: [(Int, Int)] = (0..<50).map { ($0, $0) }
        arrivals += (50..<200).map { ($0, $0 + 15) }   // 15 ticks (300 ms) behind from packet 50 on
        let (out, _) = try run(arrivals: arrivals, ticks: 260)
        let played = numbers(out)
        #expect(played.filter { $0 >= 100 }.count >= 90, "played after the stall: \(played.filter { $0 >= 50 }.count)")
    }
}
