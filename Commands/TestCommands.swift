import Console
import Phone
import Scheduling

/// `test open | close | key KEYS | onhook | offhook | show | hide` (GUIDE.md §4.5): the phone's
/// keys and handset from a CLI session, for automation. `test open` must come first in the
/// session; `test show` streams each key event and, after every change, the status line and
/// the soft-key labels as one frame.
enum TestCommands {
    static let openKey = "test.open"
    static let showKey = "test.show"

    static var all: [CommandSpec] {
        [
            CommandSpec(["test", "open"], help: "Enable test mode (remote key presses) for this session",
                        privilege: .privileged) { inv in
                await inv.session.setAttribute(openKey, true)
                inv.print("Test mode on")
            },
            CommandSpec(["test", "close"], help: "Disable test mode for this session", privilege: .privileged) { inv in
                try await stopShowing(inv)
                await inv.session.setAttribute(openKey, nil)
                inv.print("Test mode off")
            },
            CommandSpec(["test", "key"], arguments: [
                ArgumentSpec("keys", .rest(placeholder: "keys"),
                             help: "keys in sequence: 0-9 * # and " + PhoneKey.names.joined(separator: " ")),
            ], help: "Press keys in sequence (test key 23234, test key line1, test key soft2)", privilege: .privileged) { inv in
                let calls = try await phoneCalls(inv)
                let keys: [PhoneKey]
                switch PhoneKey.parse(inv.value("keys") ?? "") {
                case .success(let k): keys = k
                case .failure(let error): throw CommandFailure("\(error)")
                }
                await press(keys, on: calls)
            },
            CommandSpec(["test", "onhook"], help: "Put the handset on hook", privilege: .privileged) { inv in
                let calls = try await phoneCalls(inv)
                await calls.setOffHook(false)
            },
            CommandSpec(["test", "offhook"], help: "Lift the handset", privilege: .privileged) { inv in
                let calls = try await phoneCalls(inv)
                await calls.setOffHook(true)
            },
            CommandSpec(["test", "show"], help: "Show key events and display updates on this session",
                        privilege: .privileged) { inv in
                let calls = try await phoneCalls(inv)
                guard await inv.session.attribute(showKey, as: Int.self) == nil else { return }
                let output = inv.output
                let token = await calls.observe { event in
                    switch event {
                    case .key(let name): output.write("KEY: \(name)\r\n")
                    case .frame(let status, let softKeys):
                        output.write("DISPLAY: status=\"\(status)\" softkeys=\(softKeys.map { "[\($0)]" }.joined(separator: " "))\r\n")
                    }
                }
                await inv.session.setAttribute(showKey, token)
                inv.print("Test feedback on")
            },
            CommandSpec(["test", "hide"], help: "Stop showing key events and display updates", privilege: .privileged) { inv in
                try await stopShowing(inv)
                inv.print("Test feedback off")
            },
        ]
    }

    @PhoneLoop
    static func press(_ keys: [PhoneKey], on calls: PhoneCalls) {
        for key in keys { calls.press(key) }
    }

    /// The phone's calls, when this session has opened test mode.
    static func phoneCalls(_ inv: Invocation) async throws -> PhoneCalls {
        guard await inv.session.attribute(openKey, as: Bool.self) == true else {
            throw CommandFailure("Test mode is not open: use 'test open' first")
        }
        guard let calls = try inv.phone.calls else { throw CommandFailure("no SIP stack running") }
        return calls
    }

    static func stopShowing(_ inv: Invocation) async throws {
        guard let token = await inv.session.attribute(showKey, as: Int.self) else { return }
        await inv.session.setAttribute(showKey, nil)
        if let calls = try inv.phone.calls { await calls.stopObserving(token) }
    }
}
