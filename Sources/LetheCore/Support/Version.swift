/// This build's version, as a production's manifest and RSMF files name it.
public enum LetheVersion {
    public static let string = "0.1.0"
}
