// libFuzzer harness for syncinfo.xml (issue 17): SyncInfo over the XML reader, then the §7.4
// decision for the images it names. Any input gives entries or a SyncInfoError with a place,
// never a crash; an image's own entry beats the wildcard, and an image already at its entry's
// sync value needs no reboot. See Fuzz/sip/SIPFuzz.swift for how it is built and replayed.
import Firmware
import Provisioning
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSyncInfo(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let info: SyncInfo
    do {
        info = try SyncInfo.parse(bytes)
    } catch {
        fuzzRequire(error.line >= 1 && error.column >= 1, "error without a place: \(error)")
        return 0
    }
    for entry in info.entries {
        fuzzRequire(!entry.version.isEmpty && !entry.sync.isEmpty
                    && entry.sync.count <= SyncInfo.maximumSyncLength, "entry \(entry)")
        let chosen = info.entry(forImage: entry.version)
        fuzzRequire(chosen == entry, "image \(entry.version) gets \(String(describing: chosen))")
        fuzzRequire(info.decision(runningImage: entry.version, currentSync: entry.sync) == .noReboot,
                    "image \(entry.version) at sync \(entry.sync) is told to reboot")
        if case .reboot(let sync) = info.decision(runningImage: entry.version, currentSync: entry.sync + "x") {
            fuzzRequire(sync == entry.sync, "image \(entry.version) told to reboot to sync \(sync), not \(entry.sync)")
        } else {
            fuzzRequire(false, "image \(entry.version) at another sync value is not told to reboot")
        }
    }
    let wildcard = info.entries.first { $0.isWildcard }
    let unnamed = "P0S3-99-999-99" + String(info.entries.count)
    if !info.entries.contains(where: { $0.version == unnamed }) {
        fuzzRequire(info.entry(forImage: unnamed) == wildcard, "an unnamed image does not get the wildcard")
        if wildcard == nil {
            fuzzRequire(info.decision(runningImage: unnamed, currentSync: "1") == .noEntry, "no entry, yet a decision")
        }
    }
    return 0
}

@main enum SyncInfoFuzzReplay {
    static func main() { FuzzReplay.run(fuzzSyncInfo) }
}
