import Foundation

/// Reads single fields of a stored message's JSON (compacted bytes), for the
/// rare paths that need one field of a decrypted message.
enum MessageJSON {
    static func object(_ json: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(json))) as? [String: Any]
    }

    static func topLevelString(_ json: [UInt8], key: String) -> String? {
        object(json)?[key] as? String
    }
}
