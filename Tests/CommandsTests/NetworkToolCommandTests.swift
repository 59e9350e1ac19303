import Commands
import Console
import Testing

@Suite struct NetworkToolCommandTests {
    @Test func showNetworkReadsTheHost() async throws {
        let b = try await Bench()
        let out = await b.run(["show network"], .user)[0]
        #expect(out.contains("Interface: "))
        #expect(out.contains("IP Address: "))
        #expect(out.contains("RX: ") && out.contains(" packets, "))
        #expect(out.contains("Phone MAC Address: 00:11:AA:BB:CC:42 (option)"))
        #expect(out.contains("TFTP Server: folder \(b.provision)"))
    }

    @Test func pingLoopbackStreamsRepliesAndASummary() async throws {
        let b = try await Bench()
        let out = await b.run(["ping 127.0.0.1 count 2 size 56"], .user)[0]
        #expect(out.hasPrefix("PING 127.0.0.1 (127.0.0.1) 56 data bytes\n"))
        #expect(out.contains("64 bytes from 127.0.0.1: icmp_seq=1"))
        #expect(out.contains("icmp_seq=2"))
        #expect(out.contains("2 packets transmitted, 2 received, 0% packet loss"))
    }

    @Test func pingArgumentsAreCheckedAgainstTheGuidesRanges() async throws {
        let b = try await Bench()
        let out = await b.run(["ping 127.0.0.1 size 1481", "ping", "ping \(String(repeating: "a", count: 64)).invalid count 1"], .user)
        #expect(out[0].contains("'1481' is not a number in 1–1480"))
        #expect(out[1].contains("% Incomplete command"))
        #expect(out[2].hasPrefix("% cannot resolve"))
    }

    @Test func ctrlCStopsAPing() async throws {
        let b = try await Bench()
        let s = b.session(.user)
        let t = MemoryTerminal()
        await s.start(output: t)
        let started = ContinuousClock.now
        async let run: Void = s.handle(line: "ping 127.0.0.1 count 100")
        // interrupt once the first reply is on the terminal
        let deadline = ContinuousClock.now + .seconds(15)
        while !t.contents.contains("icmp_seq=1"), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        await s.interrupt()
        await run
        #expect(ContinuousClock.now - started < .seconds(30))   // not the 100 s of a full run
        #expect(t.contents.contains("icmp_seq=1"))
        #expect(t.contents.hasSuffix("% Interrupted\n"))
    }

    @Test func tracerouteLoopbackIsOneHop() async throws {
        let b = try await Bench()
        let out = await b.run(["traceroute 127.0.0.1 maxhops 5"], .user)[0]
        #expect(out.contains(" 1  127.0.0.1"))
        #expect(!out.contains(" 2  "))
    }
}
