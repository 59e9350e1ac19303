import Console
import Phone

/// Every command of the phone's CLI, family by family.
public enum PhoneCommands {
    public static var all: [CommandSpec] {
        BuiltinCommands.all
            + DebugCommands.all
            + ShowCommands.all + SessionCommands.all + ImageCommands.all
            + NetworkToolCommands.all
            + TimeCommands.all
            + RegisterCommands.all
            + CallCommands.all
            + TestCommands.all
            + ResetCommands.all
            + TtyCommands.all
    }

    /// Help for the words that only group commands.
    public static let groupHelp: [String: String] = [
        "show": "Display information about the phone",
        "erase": "Erase stored data",
        "tty": "Terminal settings of this session",
        "test": "Remote control of the phone's keys and handset (automation)",
    ]

    public static var tree: CommandTree {
        CommandTree(all, groupHelp: groupHelp)
    }
}

extension Invocation {
    /// The phone this session drives: the session's context (`SessionConfiguration.context`),
    /// handed over when the command runs, so the declarations above need no phone.
    var phone: any PhoneContext {
        get throws {
            guard let phone = context as? any PhoneContext else { throw CommandFailure("no phone attached to this session") }
            return phone
        }
    }
}

/// Pieces of the command families that tests check directly.
public enum PhoneCommandsTesting {
    public static func utc(_ epoch: Int) -> String { Clock24.utc(epoch) }
}
