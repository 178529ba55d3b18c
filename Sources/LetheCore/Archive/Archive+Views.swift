import Foundation

/// One conversation's retention-view changes within a write transaction.
struct PendingView {
    var facts: RetentionView.Facts?
    /// Full key: the exact entry of each bucket written. Import role: what its delta segments add.
    var buckets: [Int64: RetentionView.Bucket] = [:]
    /// Buckets a full-key write left empty.
    var emptied: Set<Int64> = []
}

/// Retention views (format 6, docs/FORMAT.md §2d): what the retention role reads instead of
/// segments. Every writer keeps them: a full-key write of a conversation rewrites its base
/// view (folding the delta views in); a role-key import adds a delta view it cannot read
/// back; a shred, by either, removes the shredded buckets' entries. Each view is sealed to
/// PK_retention with its place (cno, seq) in the sealed AD digest, and the manifest's digest
/// covers every row under IK, so a writer without IK can neither forge, move, drop nor roll
/// back a view.
extension Archive {
    static func viewAD(archiveID: [UInt8], cno: Int64, seq: Int64) -> [UInt8] {
        Envelope.associatedData(.retentionView, archiveID: archiveID, cno, seq)
    }

    var keepsViews: Bool { formatVersion >= 6 }

    /// PK_retention: the import role's material carries it; the retention role and MK's holder compute it.
    func retentionPublicKey() throws -> [UInt8] {
        if let k = retentionPublicKeyCache { return k }
        let k: [UInt8]
        switch role?.role {
        case .importer?: k = role!.keys[1].withUnsafeBytes { Array($0) }
        case .retention?: k = SealedBox.publicKey(of: role!.keys[0])
        case nil: k = SealedBox.publicKey(of: try roleSecretKey(.retention))
        }
        retentionPublicKeyCache = k
        return k
    }

    /// SK_retention: the retention role's own, or unwrapped with MK (once). The import role holds none.
    func retentionSecretKey() throws -> SecretKey {
        switch role?.role {
        case .retention?: return role!.keys[0]
        case .importer?: throw Archive.roleCannot("open a retention view")
        case nil:
            if let k = retentionSecretKeyCache { return k }
            let k = try roleSecretKey(.retention)
            retentionSecretKeyCache = k
            return k
        }
    }

    func viewMAC(cno: Int64, seq: Int64, sealed: [UInt8]) -> [UInt8] { integrityKey.viewMAC(cno: cno, seq: seq, sealed: sealed) }

    func viewDigest() throws -> RowSetDigest {
        var d = RowSetDigest()
        guard keepsViews, try keystore.hasViews() else { return d }
        for v in try keystore.views() { d.add(viewMAC(cno: v.cno, seq: v.seq, sealed: v.sealed)) }
        return d
    }

    // MARK: - Reading

    /// A conversation's views, base first, then deltas in seq order. Throws an integrity error
    /// naming the conversation when one does not open or decode.
    func views(cno: Int64, secret: SecretKey? = nil) throws -> [RetentionView] {
        let sk = try secret ?? retentionSecretKey()
        return try keystore.views(cno: cno).map { row in
            guard let plain = SealedKey.open(row.sealed, ad: Archive.viewAD(archiveID: archiveID, cno: cno, seq: row.seq), secret: sk),
                  let v = try? RetentionView.decode(plain)
            else {
                throw LetheError(.integrity, "conversation \(slackID(cno: cno)): its retention view \(row.seq) does not open (keys.db altered, or the row moved)")
            }
            return v
        }
    }

    /// Every conversation as its views describe it, with its buckets: what the retention role
    /// plans from. A conversation whose views do not open, whose tag disagrees with its key row,
    /// or that has no facts, is left out and named in `damaged` (its buckets are kept).
    func viewedConversations() throws -> [(conversation: Conversation, view: RetentionView)] {
        let sk = try retentionSecretKey()
        var out: [(Conversation, RetentionView)] = []
        for row in try keystore.channels() {
            do {
                guard let v = RetentionView.merged(try views(cno: row.cno, secret: sk)) else {
                    throw LetheError(.integrity, "conversation \(slackID(cno: row.cno)) has no retention view (keys.db altered?)")
                }
                guard Sodium.equal(v.tag, row.tag) else {
                    throw LetheError(.integrity, "conversation \(slackID(cno: row.cno)): its retention view names another conversation than its key row")
                }
                guard let facts = v.facts else {
                    throw LetheError(.integrity, "conversation \(slackID(cno: row.cno)): its retention views hold no name or kind")
                }
                slackIDs[row.cno] = facts.id
                out.append((facts.conversation(cno: row.cno), v))
            } catch let e as LetheError where e.kind == .integrity {
                noteDamage(channel: slackID(cno: row.cno), bucket: nil, e)
            }
        }
        return out
    }

    // MARK: - Writing

    /// Notes a conversation's facts for the views this transaction writes.
    func noteView(_ c: Conversation, cno: Int64) {
        guard keepsViews else { return }
        pendingViews[cno, default: PendingView()].facts = RetentionView.Facts(c)
    }

    /// Notes a bucket written: with the full key, its whole content now; with the import
    /// role, what a delta segment adds.
    func noteView(_ ref: BucketRef, _ messages: [Segment.Message]) {
        guard keepsViews else { return }
        // Changed in place: a copy taken out and put back would copy the conversation's
        // whole dictionary of buckets at every bucket written.
        if role != nil {
            pendingViews[ref.cno, default: PendingView()].buckets[ref.bucket, default: RetentionView.Bucket()].add(RetentionView.Bucket(messages))
        } else if messages.isEmpty {
            pendingViews[ref.cno, default: PendingView()].buckets[ref.bucket] = nil
            pendingViews[ref.cno, default: PendingView()].emptied.insert(ref.bucket)
        } else {
            pendingViews[ref.cno, default: PendingView()].buckets[ref.bucket] = RetentionView.Bucket(messages)
            pendingViews[ref.cno, default: PendingView()].emptied.remove(ref.bucket)
        }
    }

    /// Notes a bucket a full-key write replaced, by its view entry (computed beforehand, on any thread).
    func noteView(_ ref: BucketRef, bucket: RetentionView.Bucket) {
        guard keepsViews else { return }
        precondition(role == nil, "a role-key import writes deltas")
        var p = pendingViews[ref.cno, default: PendingView()]
        if bucket.messages == 0 {
            p.buckets[ref.bucket] = nil
            p.emptied.insert(ref.bucket)
        } else {
            p.buckets[ref.bucket] = bucket
            p.emptied.remove(ref.bucket)
        }
        pendingViews[ref.cno] = p
    }

    /// Writes the views this transaction's notes call for (in `commitWrite`, before the manifest).
    func flushViews() throws {
        defer { pendingViews = [:] }
        guard keepsViews, !pendingViews.isEmpty else { return }
        for (cno, p) in pendingViews.sorted(by: { $0.key < $1.key }) { try writeView(p, cno: cno) }
    }

    /// Writes one conversation's pending view now, within the open transaction, and forgets
    /// it: the importer calls this when it is done with a conversation, so that what it holds
    /// for the views is one conversation's, not the whole import's (issue 18: peak RSS).
    /// A rollback undoes the rows with the transaction, and `rollbackWrite` restores the manifest.
    func flushViews(cno: Int64) throws {
        guard keepsViews, let p = pendingViews.removeValue(forKey: cno) else { return }
        try writeView(p, cno: cno)
    }

    private func writeView(_ p: PendingView, cno: Int64) throws {
        guard let row = try keystore.channelKey(cno: cno) else { return }
        if role != nil {
            try addDeltaView(RetentionView(tag: row.tag, facts: p.facts, buckets: p.buckets), cno: cno)
            return
        }
        var v: RetentionView
        do {
            v = RetentionView.merged(try views(cno: cno)) ?? RetentionView(tag: row.tag, facts: nil, buckets: [:])
        } catch let e as LetheError where e.kind == .integrity {
            v = try computedView(cno: cno)  // the full key can always start again from the segments
            notes.append("\(e.message): rebuilt from the conversation's segments")
        }
        v.tag = row.tag
        if let f = p.facts { v.facts = f }
        for (b, entry) in p.buckets { v.buckets[b] = entry }
        for b in p.emptied { v.buckets[b] = nil }
        if v.facts == nil, let c = try conversation(cno: cno) { v.facts = RetentionView.Facts(c) }
        try replaceViews(cno: cno, with: v)
    }

    /// A conversation's view computed from what it holds (full key): its record and every segment that opens.
    func computedView(cno: Int64) throws -> RetentionView { try computedViewAndUnreadable(cno: cno).view }

    /// The computed view, and the buckets whose segment does not open (they have no entry).
    func computedViewAndUnreadable(cno: Int64) throws -> (view: RetentionView, unreadable: Set<Int64>) {
        guard let row = try keystore.channelKey(cno: cno) else { throw LetheError(.integrity, "conversation \(cno): no key row") }
        var v = RetentionView(tag: row.tag, facts: try conversation(cno: cno).map(RetentionView.Facts.init), buckets: [:])
        var unreadable = Set<Int64>()
        try forEachSegment(cno: cno) { ref, result in
            switch result {
            case .success(let s): if !s.messages.isEmpty { v.buckets[ref.bucket] = RetentionView.Bucket(s.messages) }
            case .failure: unreadable.insert(ref.bucket)
            }
        }
        return (v, unreadable)
    }

    /// Replaces every view of a conversation by one base view (nil: the conversation is gone).
    func replaceViews(cno: Int64, with base: RetentionView?) throws {
        for old in try keystore.views(cno: cno) {
            try keystore.deleteView(cno: cno, seq: old.seq)
            manifest.views.remove(viewMAC(cno: cno, seq: old.seq, sealed: old.sealed))
        }
        guard let base else { return }
        try putView(base, cno: cno, seq: 0)
    }

    /// A shred's part: the conversation's views merged into one base view without `buckets`,
    /// or none when the shred empties the conversation.
    func removeFromViews(_ buckets: [Int64], cno: Int64, emptied: Bool) throws {
        guard !emptied else { return try replaceViews(cno: cno, with: nil) }
        var view: RetentionView?
        do {
            view = RetentionView.merged(try views(cno: cno))
        } catch let e as LetheError where e.kind == .integrity && role == nil {
            view = try computedView(cno: cno)  // the full key can start again from the segments
        }
        guard var v = view else { return }
        for b in buckets { v.buckets[b] = nil }
        try replaceViews(cno: cno, with: v)
    }

    private func addDeltaView(_ v: RetentionView, cno: Int64) throws {
        try putView(v, cno: cno, seq: try keystore.nextViewSeq())
    }

    private func putView(_ v: RetentionView, cno: Int64, seq: Int64) throws {
        var plain = v.encoded()
        defer { Sodium.wipe(&plain) }
        let sealed = SealedKey.seal(plain, ad: Archive.viewAD(archiveID: archiveID, cno: cno, seq: seq), to: try retentionPublicKey())
        try keystore.putView(cno: cno, seq: seq, sealed: sealed)
        manifest.views.add(viewMAC(cno: cno, seq: seq, sealed: sealed))
    }

    /// Every conversation's base view computed from what it holds, deltas dropped (the upgrade
    /// to format 6; `lethe verify` compares with this). Full key.
    func rebuildAllViews() throws {
        for row in try keystore.channels() {
            guard try data.channelRecord(cno: row.cno) != nil else { continue }  // a key whose conversation has no record yet
            do {
                try replaceViews(cno: row.cno, with: try computedView(cno: row.cno))
            } catch let e as LetheError where e.kind == .integrity {
                noteDamage(channel: slackID(cno: row.cno), bucket: nil, e)  // no view: the retention role names it and keeps its buckets
            }
        }
    }

    // MARK: - Checking (`lethe verify`, full key)

    /// Where the views disagree with the segments, once role-key imports are folded in.
    func viewProblems() throws -> [String] {
        guard keepsViews else { return [] }
        var problems: [String] = []
        for row in try keystore.channels() {
            guard try data.channelRecord(cno: row.cno) != nil else { continue }
            let label = slackID(cno: row.cno)
            let stored: RetentionView?
            do { stored = RetentionView.merged(try views(cno: row.cno)) } catch let e as LetheError {
                problems.append(e.message)
                continue
            }
            let (computed, unreadable) = try computedViewAndUnreadable(cno: row.cno)  // damaged buckets: verify names them on their own
            guard let stored else {
                problems.append("conversation \(label) has no retention view")
                continue
            }
            if stored.facts != computed.facts { problems.append("conversation \(label): its retention view's name, kind or members differ from its record") }
            if !Sodium.equal(stored.tag, computed.tag) { problems.append("conversation \(label): its retention view names another conversation") }
            let differing = Set(stored.buckets.keys).union(computed.buckets.keys).subtracting(unreadable).filter { stored.buckets[$0] != computed.buckets[$0] }
            if let first = differing.min() {
                problems.append("conversation \(label): its retention view differs from its segments in \(differing.count) bucket(s), first \(scheme.label(of: first))")
            }
        }
        return problems
    }
}
