/// The search filters (docs/FORMAT.md §5a): one sealed Bloom filter per conversation and
/// epoch, under the conversation's key.
extension Archive {
    func filterAD(_ f: FilterRef) -> [UInt8] { Envelope.associatedData(.filter, archiveID: archiveID, f.cno, f.epoch) }

    func loadFilter(_ f: FilterRef) throws -> IndexFilter? {
        guard let body = try data.filter(f) else { return nil }
        return try openFilter(body, f)
    }

    func openFilter(_ body: [UInt8], _ f: FilterRef) throws -> IndexFilter {
        let place = "channel \(slackID(cno: f.cno)), search filter of epoch \(f.epoch)"
        guard let (header, plain) = AEAD.open(body, ad: filterAD(f), key: try channelKey(cno: f.cno)),
              header == Envelope.Encoding.filter.rawValue
        else { throw LetheError(.integrity, "\(place): does not authenticate") }
        do { return try IndexFilter.decode(plain) } catch {
            throw LetheError(.integrity, "\(place): authenticated but malformed")
        }
    }

    func storeFilter(_ filter: IndexFilter, _ f: FilterRef) throws {
        let body = AEAD.seal(filter.encoded(), header: Envelope.Encoding.filter.rawValue, ad: filterAD(f), key: try channelKey(cno: f.cno))
        try data.putFilter(f, body: body)
    }

    /// Adds terms to an epoch's filter, rebuilding it larger when it would overflow.
    func addToFilter(_ terms: Set<BloomFilter.TermHash>, _ f: FilterRef) throws {
        guard !terms.isEmpty else { return }
        let loaded: IndexFilter?
        do { loaded = try loadFilter(f) } catch let e as LetheError where e.kind == .integrity {
            // A damaged filter is replaced by one rebuilt from the epoch's buckets.
            try rebuildFilter(f, extra: terms)
            return
        }
        guard var filter = loaded else {
            var fresh = IndexFilter(capacity: terms.count * 2)
            fresh.insert(terms)
            try storeFilter(fresh, f)
            return
        }
        if filter.count + terms.count <= filter.capacity {
            filter.insert(terms)
            try storeFilter(filter, f)
        } else {
            try rebuildFilter(f, extra: terms)
        }
    }

    /// Rebuilds an epoch's filter from the buckets it still has; deletes it when none is left.
    /// A bucket that does not open is left out (and noted in `damaged`): one damaged record
    /// must not stop a shred from dropping the terms of what it destroyed.
    func rebuildFilter(_ f: FilterRef, extra: Set<BloomFilter.TermHash> = []) throws {
        let range = IndexFilter.buckets(of: f.epoch)
        var terms = extra
        var any = false
        for ref in try data.buckets(cno: f.cno, from: range.lowerBound, to: range.upperBound) {
            guard let row = try data.segment(ref) else { continue }
            do {
                guard let key = try bucketKey(ref) else { continue }
                any = true  // a damaged bucket still has its epoch's filter (verify names the bucket, not a missing filter)
                let messages = try openSegment(row, key: key, label: slackID(cno: f.cno)).messages
                for m in searchFields(messages, of: ref) { IndexTerms.add(m, to: &terms) }
            } catch let e as LetheError where e.kind == .integrity {
                noteDamage(channel: slackID(cno: f.cno), bucket: ref.bucket, e)
            }
        }
        guard any || !extra.isEmpty else {
            try data.deleteFilter(f)
            return
        }
        var filter = IndexFilter(capacity: terms.count * 2)
        filter.insert(terms)
        do { try storeFilter(filter, f) } catch let e as LetheError where e.kind == .integrity {
            // The conversation's key does not open: the old filter (which may hold shredded terms) goes.
            noteDamage(channel: slackID(cno: f.cno), bucket: nil, e)
            try data.deleteFilter(f)
        }
    }
}
