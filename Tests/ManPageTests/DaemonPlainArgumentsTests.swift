import ArgumentParser
import DaemonOptions
import Testing
@testable import deskphone

/// deskphoned reads a plain command line without swift-argument-parser (issue 16): the two
/// parsers must know the same options and agree on what they read.
@Suite struct DaemonPlainArgumentsTests {
    @Test func readsEveryDeclaredOption() {
        let declared = ToolInfo.of(DaemonArguments.self).command.visibleArguments
            .flatMap(\.spellings).filter { $0.hasPrefix("--") }.map { String($0.dropFirst(2)) }
        #expect(Set(declared) == Set(DaemonArguments.plainOptionNames))
        #expect(declared.count == DaemonArguments.plainOptionNames.count)
    }

    @Test(arguments: [
        ["--config", "/dev/null"],
        ["--provision", "dir", "--flash", "f", "--mac", "00:11:AA:BB:CC:42", "--telnet", "127.0.0.1:0",
         "--console", "none", "--sip-address", "127.0.0.1", "--ssh", "127.0.0.1:2222", "--config", "/dev/null"],
        ["--config=/dev/null", "--tftp=10.0.0.1:69", "--model", "7940", "--log-level", "debug", "--telnet-idle-timeout", "30",
         "--console-speed", "115200", "--audio", "null", "--echo-canceller", "off"],
    ])
    func agreesWithArgumentParser(_ line: [String]) throws {
        let plain = try #require(DaemonArguments.parsePlain(line))
        let parsed = try DaemonArguments.parse(line)
        #expect("\(try plain.resolve())" == "\(try parsed.resolve())")
    }

    @Test(arguments: [
        ["--help"], ["-h"], ["--version"], ["help"], ["--flash"], ["--flash", "a", "--flash", "b"], ["--mac", "zz"],
        ["dir"], ["--unknown", "x"], ["--flash", "-x"], ["--model", "7970"], ["--echo-canceller=maybe"], ["--ssh", "nowhere"],
    ])
    func leavesTheRestToArgumentParser(_ line: [String]) {
        #expect(DaemonArguments.parsePlain(line) == nil)
    }
}
