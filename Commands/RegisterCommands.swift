import Console
import Phone
import Provisioning
import SIPStack

/// `register` and `show register` (GUIDE.md §4.2, §4.4; messages as in the descendant stack's
/// `ccsip_register_cmd`).
enum RegisterCommands {
    static var all: [CommandSpec] {
        [
            CommandSpec(["register"], arguments: [
                ArgumentSpec("option", .integer(0...1), help: "1 register, 0 unregister"),
                ArgumentSpec("line", .word(placeholder: "line"), help: "line number (1-6 on a 7960, 1-2 on a 7940) or backup"),
            ], help: "Register or unregister a line now", privilege: .privileged) { inv in
                let phone = try inv.phone
                guard let registrations = phone.registrations else { throw CommandFailure("no SIP stack running") }
                let configured = await registrations.configuredLines
                guard !configured.isEmpty else { throw CommandFailure("Error:No lines configured") }
                let option = inv.integer("option") ?? 1
                let lineText = inv.value("line") ?? ""
                if lineText.lowercased() == "backup" {
                    guard await registrations.backup(register: option == 1) else {
                        throw CommandFailure("Backup Proxy is invalid or not configured.")
                    }
                    inv.print(option == 1 ? "Registering line 1 to backup proxy" : "Unregistering line 1 from backup proxy")
                    return
                }
                guard let n = Int(lineText), (1...phone.identity.model.lineCount).contains(n), configured.contains(n) else {
                    throw CommandFailure("Error:Invalid Line")
                }
                if option == 1 {
                    if let problem = await registrations.register(line: n) { throw CommandFailure(problem) }
                    inv.print("Registering line \(n)")
                } else {
                    inv.print("Unregistering line \(n)")
                    await registrations.unregister(line: n)
                }
            },
            CommandSpec(["show", "register"], help: "The line registration table") { inv in
                let phone = try inv.phone
                for line in await table(phone) { inv.print(line) }
            },
        ]
    }

    /// The descendant stack's layout (GUIDE.md §4.4), with the last response and reason added.
    static func table(_ phone: any PhoneContext) async -> [String] {
        let sip = SIPSettings(await phone.configuration())
        let enabled = sip.registerAtBoot
        let rows = await phone.registrations?.table() ?? []
        let global = rows.contains { $0.state == .registered } ? "REGISTERED"
            : rows.contains { $0.state == .registering } ? "REGISTERING" : "IDLE"
        var out = ["", "LINE REGISTRATION TABLE", "Proxy Registration: \(enabled ? "ENABLED" : "DISABLED"), state: \(global)",
                   "line  APR  state          timer       expires     proxy:port", String(repeating: "-", count: 70)]
        let backupProxy = sip.backupProxy.map { "\($0.host):\($0.port.map(String.init) ?? "")" }
        for n in Array(1...phone.identity.model.lineCount) + [RegistrationManager.backupLine] {
            let label = n == RegistrationManager.backupLine ? "1-BU" : String(n)
            guard let r = rows.first(where: { $0.line == n }) else {
                out.append("\(label.padded(4))  ...  NONE           0           0           "
                           + (n == RegistrationManager.backupLine ? backupProxy ?? "undefined:0" : "undefined:0"))
                continue
            }
            let a = r.sentCredentials ? "1" : (r.lastStatus == 401 || r.lastStatus == 407 ? "x" : ".")
            let p = enabled ? "1" : "."
            let reg = r.state == .registered ? "1" : "x"
            let expires = (0...r.interval).contains(r.secondsLeft) ? r.secondsLeft : 0
            out.append("\(label.padded(4))  \(a)\(p)\(reg)  \(r.state.rawValue.padded(13))  \(String(r.interval).padded(10))  "
                       + "\(String(expires).padded(10))  \(r.proxy.isEmpty ? "undefined:0" : r.proxy)")
            out.append("      last response: \(r.lastStatus.map(String.init) ?? "none"); \(r.reason)")
        }
        out += ["", "Note: APR is Authenticated, Provisioned, Registered"]
        return out
    }
}
