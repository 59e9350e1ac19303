import Console
import Phone

/// Every command of the phone's CLI, family by family.
public enum PhoneCommands {
    public static func all(_ phone: any PhoneContext) -> [CommandSpec] {
        BuiltinCommands.all
            + DebugCommands.all
            + ShowCommands.all(phone)
            + NetworkToolCommands.all(phone)
            + TimeCommands.all(phone)
            + RegisterCommands.all(phone)
            + ResetCommands.all(phone)
            + TtyCommands.all
    }

    /// Help for the words that only group commands.
    public static let groupHelp: [String: String] = [
        "show": "Display information about the phone",
        "erase": "Erase stored data",
        "tty": "Terminal settings of this session",
    ]

    public static func tree(_ phone: any PhoneContext) -> CommandTree {
        CommandTree(all(phone), groupHelp: groupHelp)
    }
}

/// Pieces of the command families that tests check directly.
public enum PhoneCommandsTesting {
    public static func utc(_ epoch: Int) -> String { Clock24.utc(epoch) }
}
