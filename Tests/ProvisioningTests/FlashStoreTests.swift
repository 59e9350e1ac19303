import TestKit
import Foundation
import Testing
@testable import Provisioning

@Suite struct FlashStoreTests {
    @Test func writeReadOverwriteRemove() throws {
        let store = try FlashStore(root: try TestSupport.temporaryDirectory())
        #expect(try store.read("config/SIPDefault.cnf") == nil)
        try store.write(Array("one".utf8), to: "config/SIPDefault.cnf")
        #expect(try store.read("config/SIPDefault.cnf") == Array("one".utf8))
        try store.write(Array("two, longer".utf8), to: "config/SIPDefault.cnf")
        #expect(try store.read("config/SIPDefault.cnf") == Array("two, longer".utf8))
        try store.write([], to: "empty")
        #expect(try store.read("empty") == [])
        #expect(store.list("config") == ["SIPDefault.cnf"])
        try store.remove("config/SIPDefault.cnf")
        try store.remove("config/SIPDefault.cnf")   // no error the second time
        #expect(try store.read("config/SIPDefault.cnf") == nil)
    }

    @Test(arguments: ["../escape", "/etc/passwd", "config/../x", ".hidden", "a//b", "", "config/.tmp", "sp ace"])
    func pathsOutsideTheStoreAreRefused(_ path: String) throws {
        let store = try FlashStore(root: try TestSupport.temporaryDirectory())
        #expect(throws: FlashError.self) { try store.write([1], to: path) }
        #expect(throws: FlashError.self) { try store.read(path) }
    }

    @Test func staleTemporaryFilesAreRemovedOnOpen() throws {
        let root = try TestSupport.temporaryDirectory()
        try TestSupport.write("half", to: root + "/config/.SIPDefault.cnf.tmp.123.1")
        try TestSupport.write("whole", to: root + "/config/SIPDefault.cnf")
        let store = try FlashStore(root: root)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/config") == ["SIPDefault.cnf"])
        #expect(try store.read("config/SIPDefault.cnf") == Array("whole".utf8))
    }

    @Test func eraseEverything() throws {
        let root = try TestSupport.temporaryDirectory()
        let store = try FlashStore(root: root)
        try store.write([1], to: "network.cnf")
        try store.write([2], to: "config/a.cnf")
        try store.erase("config")
        #expect(store.list("config").isEmpty)
        #expect(try store.read("network.cnf") == [1])
        try store.erase()
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).isEmpty)
    }

    @Test func readLimitIsEnforced() throws {
        let store = try FlashStore(root: try TestSupport.temporaryDirectory(), readLimit: 10)
        try store.write([UInt8](repeating: 7, count: 11), to: "big")
        #expect(throws: FlashError.self) { try store.read("big") }
    }
}

@Suite struct FlashAtomicityTests {
    /// The primitive of every flash write kind (BootKillTests lists them): kills a process
    /// that rewrites files through FlashStore.write at random moments, 100 times; every file
    /// read back afterwards must be whole (one generation's complete content), never mixed or
    /// truncated.
    @Test func killNineNeverLeavesAHalfWrittenFile() throws {
        let writer = try TestSupport.product("flash-writer")
        let root = try TestSupport.temporaryDirectory("flash-kill")
        var generationsSeen = Set<Int>()
        var kills = 0, killsMidWrite = 0
        var rng = KillSeed.forTest("FlashAtomicityTests")
        let started = ContinuousClock.now
        for round in 0..<100 {
            let p = Process()
            let out = Pipe()
            p.executableURL = URL(fileURLWithPath: writer)
            p.arguments = [root, String(round * 1000)]
            p.standardOutput = out
            try p.run()
            // Wait until it has opened the store (and so cleared the last round's
            // temporaries), then let it write for a random while.
            let ready = out.fileHandleForReading.availableData
            #expect(String(decoding: ready, as: UTF8.self).hasPrefix("started"))
            usleep(UInt32.random(in: 0...30_000, using: &rng))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); kills += 1 }
            p.waitUntilExit()
            let temporaries = try FileManager.default.subpathsOfDirectory(atPath: root).filter { $0.contains("/.") || $0.hasPrefix(".") }
            if !temporaries.isEmpty { killsMidWrite += 1 }
            #expect(p.terminationReason == .uncaughtSignal, "writer exited by itself: status \(p.terminationStatus)")
            for name in ["config/SIPDefault.cnf", "config/SIP0011AABBCC42.cnf", "network.cnf"] {
                let path = root + "/" + name
                guard let data = FileManager.default.contents(atPath: path) else { continue }
                let gen = try Self.verify(Array(data), name: name)
                generationsSeen.insert(gen)
            }
        }
        print("flash store kills: \(kills) in \(ContinuousClock.now - started), leaving a temporary file (mid-write): \(killsMidWrite), generations seen: \(generationsSeen.count)")
        #expect(kills == 100)
        #expect(generationsSeen.count > 30, "the writer barely ran: \(generationsSeen.count) generations")
        #expect(killsMidWrite > 15, "only \(killsMidWrite) kills landed during a write")
        _ = try FlashStore(root: root)   // reopening clears the temporaries a kill left behind
        for dir in [root, root + "/config"] {
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }
            #expect(leftovers.isEmpty, "\(leftovers)")
        }
    }

    static func verify(_ bytes: [UInt8], name: String) throws -> Int {
        guard let nl = bytes.firstIndex(of: 0x0A) else { throw TestFailure("\(name): no header") }
        let header = String(decoding: bytes[..<nl], as: UTF8.self)
        guard header.hasPrefix("gen="), header.hasSuffix(" file=\(name)"),
              let gen = Int(header.dropFirst(4).prefix { $0 != " " }) else { throw TestFailure("\(name): bad header \(header)") }
        guard bytes.last == 0x0A, let tStart = bytes.dropLast().lastIndex(of: 0x0A) else {
            throw TestFailure("\(name): no trailer (truncated)")
        }
        let trailer = String(decoding: bytes[(tStart + 1)..<(bytes.count - 1)], as: UTF8.self)
        let payload = Array(bytes[(nl + 1)..<tStart])
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in payload { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        #expect(trailer == "end len=\(payload.count) sum=\(h)", "\(name) generation \(gen) is mixed or truncated")
        return gen
    }
}
