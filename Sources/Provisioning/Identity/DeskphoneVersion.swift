/// This build's version, shown by `show version` and carried by the .deb.
public enum DeskphoneVersion {
    public static let version = "0.1.0"
    public static let product = "Deskphone"
}
