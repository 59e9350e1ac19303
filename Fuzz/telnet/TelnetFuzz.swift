// libFuzzer harness for telnet input (issue 17): the bytes a client sends, through the telnet
// parser (RFC 854 commands, option requests, subnegotiations), the option negotiation (RFC 1143)
// and the line editor, as TelnetConnectionHandler drives them — without NIO. Invariants, checked
// on every input: the parser gives the same events however the bytes are split into segments;
// every negotiation reply is nothing or one IAC verb option; the editor's line never exceeds its
// cap, its cursor stays inside the line, its history within its limit. See Fuzz/sip/SIPFuzz.swift
// for how it is built and replayed.
import Console
import FuzzSupport

/// Adjacent data events joined: how the bytes were split into segments may split data events.
func normalized(_ events: [TelnetEvent]) -> [TelnetEvent] {
    var out: [TelnetEvent] = []
    for event in events {
        if case .data(let more) = event, case .data(let earlier)? = out.last {
            out[out.count - 1] = .data(earlier + more)
        } else if case .data(let bytes) = event, bytes.isEmpty {
            continue
        } else {
            out.append(event)
        }
    }
    return out
}

/// One connection's state, as in TelnetConnectionHandler.
struct Connection {
    var parser = TelnetParser()
    var negotiation = TelnetNegotiation()
    var editor = LineEditor(remoteEcho: false)
    var lines = 0

    mutating func begin() {
        // The login's password prompt (masked, no history, no `?` help), then the CLI prompt
        // (echoed, history, Tab and `?`), then a prompt that echoes nothing.
        let context: EditingContext
        switch lines % 3 {
        case 0:
            context = EditingContext(prompt: "Password :", echo: .masked, recordsHistory: false)
        case 1:
            context = EditingContext(prompt: "SIP Phone> ", complete: { line in
                switch line.utf8.count % 3 {
                case 0: .none
                case 1: .replace(line + String(repeating: "w", count: line.utf8.count * 7 % 600) + " ")
                default: .candidates(["show", "sntp", line])
                }
            }, help: { line in ["  show   Show running system information", "  (\(line.utf8.count) typed)"] })
        default:
            context = EditingContext(prompt: "", echo: .off)
        }
        _ = editor.begin(context)
    }

    mutating func input(_ bytes: [UInt8]) {
        var rest = bytes[...]
        while !rest.isEmpty {
            if !editor.isEditing { begin() }
            let result = editor.receive(rest)
            fuzzRequire(result.consumed > 0 && result.consumed <= rest.count,
                        "editor consumed \(result.consumed) of \(rest.count)")
            checkEditor()
            rest = rest.dropFirst(result.consumed)
            if let event = result.event {
                fuzzRequire(!editor.isEditing, "editor still editing after \(event)")
                if case .line(let text) = event {
                    fuzzRequire(text.utf8.count <= LineEditor.maximumLineLength, "line of \(text.utf8.count) bytes")
                }
                lines += 1
                _ = editor.printAbove("line \(lines)\n")
            }
        }
    }

    func checkEditor() {
        let length = editor.line.utf8.count
        fuzzRequire(length <= LineEditor.maximumLineLength, "line of \(length) bytes, cap \(LineEditor.maximumLineLength)")
        fuzzRequire((0...length).contains(editor.cursorPosition), "cursor \(editor.cursorPosition) in a line of \(length)")
        fuzzRequire(editor.history.count <= editor.historyLimit, "history of \(editor.history.count)")
    }

    mutating func handle(_ event: TelnetEvent) {
        switch event {
        case .data(let bytes):
            input(bytes)
        case .negotiation(let verb, let option):
            let reply = negotiation.receive(verb, option: option)
            fuzzRequire(reply.isEmpty || (reply.count == 3 && reply[0] == 255 && (251...254).contains(reply[1])
                                          && reply[2] == option),
                        "reply \(reply) to \(verb) \(option)")
            editor.remoteEcho = negotiation.serverEchoes
        case .subnegotiation(let option, let data):
            fuzzRequire(data.count <= parser.maximumSubnegotiation, "subnegotiation of \(data.count) bytes")
            if let size = negotiation.receiveSubnegotiation(option: option, data: data) {
                editor.columns = size.columns > 0 ? size.columns : nil
                _ = editor.printAbove("window \(size.columns)x\(size.rows)")
            }
        case .command(let command):
            switch command {
            case .interruptProcess, .breakSignal: input([0x03])
            case .eraseCharacter: input([0x7F])
            case .eraseLine: input([0x15])
            default: break
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTelnet(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    // The first byte chooses the segment size (1...16), the rest is what the client sends.
    let segment = 1 + Int(bytes.first ?? 0) % 16
    let stream = Array(bytes.dropFirst())

    var whole = TelnetParser()
    let expected = normalized(whole.parse(stream))

    var connection = Connection()
    _ = connection.negotiation.start()
    var events: [TelnetEvent] = []
    var i = 0
    while i < stream.count {
        let chunk = stream[i..<min(i + segment, stream.count)]
        i += segment
        for event in connection.parser.parse(chunk) {
            events.append(event)
            connection.handle(event)
        }
    }
    fuzzRequire(normalized(events) == expected, "split into \(segment)-byte segments, the events differ")
    fuzzRequire(connection.parser.isInSubnegotiation == whole.isInSubnegotiation, "subnegotiation state differs")
    connection.parser.abandonSubnegotiation()
    fuzzRequire(!connection.parser.isInSubnegotiation, "subnegotiation still open after abandoning it")
    return 0
}

@main enum TelnetFuzzReplay {
    static func main() { FuzzReplay.run(fuzzTelnet) }
}
