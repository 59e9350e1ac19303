import Console
import Phone
import Provisioning

/// `reset` and `erase protflash` (GUIDE.md §4.2, §3.6).
enum ResetCommands {
    static var all: [CommandSpec] {
        [
            CommandSpec(["reset"], arguments: [
                ArgumentSpec("kind", .choice(["soft", "hard"]), help: "soft: run the boot sequence again; hard: restart the process",
                             optional: true, default: "soft"),
            ], help: "Reboot the phone", privilege: .privileged) { inv in
                let phone = try inv.phone
                if inv.value("kind") == "hard" {
                    inv.print("Restarting deskphoned")
                    try await phone.hardReset()
                    return
                }
                inv.print("Resetting: running the boot sequence again")
                let report = await phone.softReset()
                for line in summary(report) { inv.print(line) }
            },
            CommandSpec(["erase", "protflash"], help: "Erase the SIP configuration kept in flash, then reset",
                        discussion: "Removes the last good copies of the provisioning files and the values set on the phone; the network settings stay.",
                        privilege: .privileged) { inv in
                let phone = try inv.phone
                await inv.session.confirm("Erase the protected flash (SIP configuration) and reset? [y/N] ") { yes in
                    guard yes else { inv.print("% Cancelled"); return }
                    try phone.flash.erase(BootSequence.copies)
                    try phone.flash.remove(BootSequence.localFile)
                    inv.print("Protected flash erased; resetting")
                    let report = await phone.softReset()
                    for line in summary(report) { inv.print(line) }
                }
            },
        ]
    }

    static func summary(_ report: BootReport) -> [String] {
        let errors = report.diagnostics.errors.count, warnings = report.diagnostics.warnings.count
        return report.files.map { "  \($0.name): \($0.outcome)" }
            + ["Boot complete: \(report.files.count) files, \(errors) configuration errors, \(warnings) warnings"]
    }
}
