import Console
import Firmware
import Phone

/// `show image` (issue 15): the running image, the active-slot marker, both firmware slots and
/// the last upgrade, from the flash's slots (Firmware/FirmwareSlots.swift).
enum ImageCommands {
    static var all: [CommandSpec] {
        [
            CommandSpec(["show", "image"], help: "Running firmware image, both flash slots and the last upgrade") { inv in
                let phone = try inv.phone
                for line in Self.imageLines(FirmwareSlots(flash: phone.flash, running: phone.identity.image)) { inv.print(line) }
            },
        ]
    }

    static func imageLines(_ slots: FirmwareSlots) -> [String] {
        slots.status().lines(utc: Clock24.utc)
    }
}
