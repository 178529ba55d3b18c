import CDeflate

/// A gzip file (one member or several, concatenated) inflated in memory, refusing more than
/// `maxBytes` of output: a chunk file of slackdump is one gzip stream of JSON Lines, and a
/// hostile one must not decompress without bound. zlib checks each member's CRC-32 and size.
enum Gunzip {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func inflate(_ input: [UInt8], maxBytes: Int) throws(Failure) -> [UInt8] {
        guard input.count >= 18, input[0] == 0x1f, input[1] == 0x8b else { throw Failure(description: "not a gzip file") }
        var stream = z_stream()
        guard cdeflate_inflate_init_gzip(&stream) == Z_OK else { throw Failure(description: "zlib failed to start") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = input
        var failure: Failure?
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            while failure == nil {
                let (rc, made) = chunk.withUnsafeMutableBufferPointer { outBuf -> (Int32, Int) in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(outBuf.count)
                    let rc = CDeflate.inflate(&stream, Z_NO_FLUSH)
                    return (rc, outBuf.count - Int(stream.avail_out))
                }
                guard output.count + made <= maxBytes else {
                    failure = Failure(description: "inflates to more than \(maxBytes) bytes (the per-file limit)")
                    break
                }
                output.append(contentsOf: chunk[0..<made])
                switch rc {
                case Z_STREAM_END:
                    // Another member may follow (gzip allows concatenation); trailing zeros are padding.
                    if stream.avail_in == 0 { return }
                    let rest = UnsafeBufferPointer(start: stream.next_in, count: Int(stream.avail_in))
                    if rest.allSatisfy({ $0 == 0 }) { return }
                    guard inflateReset(&stream) == Z_OK else { failure = Failure(description: "zlib failed to restart"); break }
                case Z_OK:
                    continue
                case Z_BUF_ERROR where made == 0:
                    failure = Failure(description: "truncated (the gzip stream ends early)")
                default:
                    if rc != Z_BUF_ERROR { failure = Failure(description: "corrupt gzip data") }
                }
            }
        }
        if let failure { throw failure }
        return output
    }
}
