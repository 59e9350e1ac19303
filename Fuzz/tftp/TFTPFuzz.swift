// libFuzzer harness for TFTP packets (issue 17): RFC 1350/2347 packet decoding with its
// options (TFTPPacket), and the read transfer fed with server datagrams (TFTPTransfer), as the
// boot's TFTP client drives it — without sockets.
//
// Invariants: a decoded packet encodes and decodes back to itself; unless a string field held
// invalid UTF-8 (decoded as U+FFFD), the encoding is the input's bytes (an ERROR's padding after
// its NUL aside); every datagram the transfer sends decodes; a finished transfer delivers what
// it counted, within its limit. See Fuzz/sip/SIPFuzz.swift for how it is built and replayed.
//
// Input: the whole input is decoded as one packet. Then it is read as server events: a byte L,
// then L & 0x7F bytes of a datagram (from the server's port, or from a stranger's when L has
// its high bit); L = 0 is the retransmission timer firing.
import Provisioning
import FuzzSupport

func roundTrip(_ bytes: ArraySlice<UInt8>) {
    guard let packet = try? TFTPPacket(decoding: bytes) else { return }
    let encoded = packet.encode()
    let again: TFTPPacket
    do {
        again = try TFTPPacket(decoding: encoded)
    } catch {
        fuzzRequire(false, "\(packet) encodes as \(encoded), which does not decode: \(error)")
        return
    }
    fuzzRequire(again == packet, "\(packet) encodes as \(encoded), which decodes as \(again)")
    // A string field that was not valid UTF-8 decodes with U+FFFD in it and encodes otherwise;
    // without one, the encoding is the input.
    if !packet.strings.contains(where: { $0.unicodeScalars.contains("\u{FFFD}") }) {
        if case .error = packet {
            fuzzRequire(bytes.starts(with: encoded), "ERROR \(Array(bytes)) encodes as \(encoded)")
        } else {
            fuzzRequire(encoded == Array(bytes), "\(Array(bytes)) decodes as \(packet), which encodes as \(encoded)")
        }
    }
}

extension TFTPPacket {
    /// The string fields: file name, mode, option names and values, error message.
    var strings: [String] {
        switch self {
        case .readRequest(let file, let mode, let options): [file, mode] + options.flatMap { [$0.name, $0.value] }
        case .optionAck(let options): options.flatMap { [$0.name, $0.value] }
        case .error(_, let message): [message]
        case .data, .ack: []
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTFTP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    roundTrip(bytes[...])

    let serverPort = 50_069, strangerPort = 50_070
    let options = TFTPOptions(blockSize: 8, timeoutSeconds: 1, maxRetransmissions: 2, maxSize: 64)
    var transfer = TFTPTransfer(file: "SIPDefault.cnf", options: options)
    var ended = false

    func check(_ actions: [TFTPTransfer.Action]) {
        if ended { fuzzRequire(actions.isEmpty, "actions \(actions) after the transfer ended") }
        for action in actions {
            switch action {
            case .send(let datagram, _):
                fuzzRequire((try? TFTPPacket(decoding: datagram)) != nil, "the transfer sent \(datagram), not a packet")
            case .armTimer(let timeout):
                fuzzRequire(timeout > .zero, "timer of \(timeout)")
            case .finished(let file):
                fuzzRequire(file.count <= options.maxSize && file.count == transfer.byteCount,
                            "finished with \(file.count) bytes, counted \(transfer.byteCount)")
                fuzzRequire(transfer.state == .finished, "finished in state \(transfer.state)")
                ended = true
            case .failed:
                fuzzRequire(transfer.state == .failed, "failed in state \(transfer.state)")
                ended = true
            }
        }
    }

    check(transfer.start())
    var i = 0
    while i < bytes.count {
        let length = Int(bytes[i] & 0x7F)
        let port = bytes[i] & 0x80 != 0 ? strangerPort : serverPort
        i += 1
        if length == 0 {
            check(transfer.timerExpired())
            continue
        }
        let datagram = bytes[i..<min(i + length, bytes.count)]
        i += length
        roundTrip(datagram)
        check(transfer.receive(datagram, fromPort: port))
    }
    return 0
}

@main enum TFTPFuzzReplay {
    static func main() { FuzzReplay.run(fuzzTFTP) }
}
