/// The `time_zone` abbreviations of GUIDE.md §6.2 with their fixed offsets from GMT.
///
/// The guide's table is only partly verified (rows marked ✔ there: EET, USSR-zone1, MEST, FST,
/// BT, USSR-zone2, IT). Following the guide's advice this table accepts the union of its
/// "accepted abbreviations" column and the ancestor (`getdate.y`) column, compared
/// case-insensitively. (unverified) choices, each kept to this one table:
/// - `BST` is placed at +01:00 (British Summer, as in the ancestor), not at 00:00 where the
///   guide's row prints it with a "doubtful" mark.
/// - `SST` is Swedish Summer at +02:00 (ancestor), not a +07:00 name.
/// - `USSR-zone6`, `USSR-zone10`, `USSR-zone11` sit at +07:00, +11:00, +12:00 by their rows.
/// - `BRT` (−03:00) and `SAST` (+09:30), printed with "?" in the guide, are accepted.
/// The offset is a fixed standard offset: DST is applied separately by the `dst_*` rules.
public enum TimeZoneTable {
    public struct Zone: Sendable, Hashable {
        public let abbreviation: String
        /// Offset east of GMT, in minutes.
        public let offsetMinutes: Int
    }

    /// (offset in minutes, abbreviations) rows, west to east.
    static let rows: [(Int, [String])] = [
        (-12 * 60, ["IDLW"]),
        (-11 * 60, ["NT"]),
        (-10 * 60, ["AHST", "CAT", "HST"]),
        (-9 * 60, ["YST", "HDT"]),
        (-8 * 60, ["PST", "YDT"]),
        (-7 * 60, ["MST", "PDT"]),
        (-6 * 60, ["CST", "MDT"]),
        (-5 * 60, ["EST", "CDT"]),
        (-4 * 60, ["AST", "EDT"]),
        (-(3 * 60 + 30), ["NST", "NFT"]),
        (-3 * 60, ["BRT", "ADT"]),
        (-(2 * 60 + 30), ["NDT"]),
        (-2 * 60, ["AT"]),
        (-1 * 60, ["WAT"]),
        (0, ["GMT", "UT", "UTC", "UCT", "WET"]),
        (1 * 60, ["CET", "FWT", "MET", "MEWT", "SWT", "BST"]),
        (2 * 60, ["EET", "USSR-zone1", "MEST", "FST", "CEST", "SST"]),
        (3 * 60, ["BT", "USSR-zone2"]),
        (3 * 60 + 30, ["IT"]),
        (4 * 60, ["USSR-zone3", "ZP4"]),
        (5 * 60, ["USSR-zone4", "ZP5"]),
        (5 * 60 + 30, ["IST"]),
        (6 * 60, ["USSR-zone5", "ZP6"]),
        (7 * 60, ["WAST", "USSR-zone6"]),
        (7 * 60 + 30, ["JT"]),
        (8 * 60, ["CCT", "USSR-zone7", "WADT"]),
        (9 * 60, ["JST", "USSR-zone8"]),
        (9 * 60 + 30, ["CAST", "SAST"]),
        (10 * 60, ["GST", "EAST", "USSR-zone9"]),
        (10 * 60 + 30, ["CADT"]),
        (11 * 60, ["USSR-zone10", "EADT"]),
        (12 * 60, ["IDLE", "NZST", "NZT", "USSR-zone11"]),
        (13 * 60, ["NZDT"]),
    ]

    public static let zones: [Zone] = rows.flatMap { offset, names in
        names.map { Zone(abbreviation: $0, offsetMinutes: offset) }
    }

    private static let byUpperName: [String: Zone] = Dictionary(
        zones.map { ($0.abbreviation.uppercased(), $0) }, uniquingKeysWith: { a, _ in a })

    /// The zone for an abbreviation, compared case-insensitively.
    public static func zone(named name: String) -> Zone? { byUpperName[name.uppercased()] }

    /// The guide's default `time_zone` (PST, default unverified in the guide).
    public static let defaultAbbreviation = "PST"
}
