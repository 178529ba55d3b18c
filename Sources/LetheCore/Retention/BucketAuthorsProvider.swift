/// Supplies the (user id, message Unix seconds) pairs of a bucket.
///
/// The planner asks only for buckets that are expired and whose channel and dates could
/// fall under a hold naming `users` (and that no other hold already keeps): answering
/// costs a decryption.
public protocol BucketAuthorsProvider {
    func authors(of bucket: BucketFacts) throws -> [(user: String, seconds: Int64)]
}
