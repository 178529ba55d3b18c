import CYaml  // libyaml, as Yams builds it: its event parser, which Yams keeps internal

/// Bounds a policy's YAML before Yams composes it.
///
/// Aliases make a small text stand for a huge tree: a 500-byte "billion laughs" with
/// nine levels of nine aliases is 387 million nodes once expanded, and Yams hashes
/// every mapping key of the composed tree (its duplicate-key check), so such a file
/// kept `lethe policy check` busy for minutes. This walks libyaml's events once —
/// linear in the text, nothing expanded — and computes what the tree would hold,
/// counting an alias as the size of the node it names. Over a limit, the policy is
/// refused at the event that crossed it. A real policy has a few dozen nodes.
enum PolicyShape {
    static let maxAliases = 100
    static let maxNodes = 100_000
    static let maxDepth = 64

    struct TooBig: Error {
        var line: Int
        var column: Int
        var reason: String
    }

    /// Throws `TooBig` at the first event past a limit. A YAML syntax error ends the
    /// walk quietly: the composer reports it, with its own position.
    static func check(_ yaml: String) throws {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(yaml.utf8)
        if bytes.isEmpty { return }
        try bytes.withUnsafeMutableBufferPointer { buffer in
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var anchors: [String: Int] = [:]
            var stack: [(anchor: String?, size: Int)] = []
            var aliases = 0
            var total = 0
            func name(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
                p.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            }
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return }
                defer { yaml_event_delete(&event) }
                let mark = event.start_mark
                func tooBig(_ reason: String) -> TooBig {
                    TooBig(line: Int(mark.line) + 1, column: Int(mark.column) + 1, reason: reason)
                }
                // A finished node of `size`: into its parent, or the document's total.
                func finish(_ size: Int, anchor: String?) throws {
                    if let anchor { anchors[anchor] = size }
                    if stack.isEmpty { total = min(total + size, Int.max / 2) } else { stack[stack.count - 1].size = min(stack[stack.count - 1].size + size, Int.max / 2) }
                    if size > maxNodes || total > maxNodes || (stack.last?.size ?? 0) > maxNodes {
                        throw tooBig("the policy expands to more than \(maxNodes) YAML nodes (through aliases)")
                    }
                }
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_ALIAS_EVENT:
                    aliases += 1
                    if aliases > maxAliases { throw tooBig("more than \(maxAliases) aliases") }
                    try finish(name(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1, anchor: nil)
                case YAML_SCALAR_EVENT:
                    try finish(1, anchor: name(event.data.scalar.anchor))
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    let anchor = event.type == YAML_SEQUENCE_START_EVENT ? name(event.data.sequence_start.anchor) : name(event.data.mapping_start.anchor)
                    stack.append((anchor, 1))
                    if stack.count > maxDepth { throw tooBig("nested more than \(maxDepth) levels deep") }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let node = stack.popLast() else { return }
                    try finish(node.size, anchor: node.anchor)
                default:
                    break
                }
            }
        }
    }
}
