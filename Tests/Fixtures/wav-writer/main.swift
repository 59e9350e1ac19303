// Appends frames to a WAV file through Media's WAVFileDevice, 100 µs apart, until killed.
// Sample n of the file is Int16(truncatingIfNeeded: n &* 7), so a reader can check that
// every sample the header counts is the right one. Usage: wav-writer RECORD.wav
import Media
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    print("usage: wav-writer RECORD.wav")
    exit(2)
}
do {
    let device = try WAVFileDevice(play: nil, record: arguments[1])
    print("started")
    fflush(nil)
    var n = 0
    while true {
        var frame = [Int16](repeating: 0, count: AudioFormat.frameSamples)
        for i in 0..<frame.count { frame[i] = Int16(truncatingIfNeeded: (n + i) &* 7) }
        try device.write(frame)
        n += frame.count
        // A breath between frames: still thousands of writes a second for the kills to land
        // in, without taking a whole core from the rest of the suite running beside it.
        usleep(100)
    }
} catch {
    print("wav-writer: \(error)")
    exit(1)
}
