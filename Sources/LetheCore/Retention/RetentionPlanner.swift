/// Decides, for a policy and an instant, which buckets are expired and which of those
/// legal holds keep. Pure: it reads facts and returns a `RetentionPlan`, changing nothing.
public enum RetentionPlanner {
    /// Plans retention at `now` (Unix seconds).
    ///
    /// A bucket `[start, end)` is expired when `end <= cutoff`, `cutoff = now - keep` of the
    /// rule governing its channel (`forever` never expires). An expired bucket is held when
    /// some hold covers it (see `LegalHold`). `authors` is asked only for expired buckets a
    /// user-naming hold could cover and that no other hold keeps; without a provider such
    /// buckets are kept and marked `unverified`.
    /// `users` names DMs in the channel summaries' labels.
    public static func plan(policy: RetentionPolicy, buckets: [BucketFacts], now: Int64,
                            authors: BucketAuthorsProvider?, users: UserDirectory = .empty) throws -> RetentionPlan {
        let allRules = policy.allRules
        var ruleIndex: [String: Int] = [:]
        for (i, rule) in allRules.enumerated() { ruleIndex[rule.name] = i }
        var choices: [Conversation: (rule: Int, cutoff: Int64?, holds: [LegalHold])] = [:]

        var shred: [RetentionPlan.Bucket] = []
        var held: [RetentionPlan.Bucket] = []
        var channelRule: [String: Int] = [:]

        for bucket in buckets {
            guard bucket.end > bucket.start else {
                throw LetheError(.failure, "channel \(bucket.channel.id): bucket starting \(RetentionTime.iso8601(bucket.start)) ends before it starts")
            }
            let choice: (rule: Int, cutoff: Int64?, holds: [LegalHold])
            if let cached = choices[bucket.channel] {
                choice = cached
            } else {
                let c = policy.ruleFor(channel: bucket.channel, now: now)
                choice = (ruleIndex[c.rule.name] ?? 0, c.cutoff, policy.holdsFor(channel: bucket.channel))
                choices[bucket.channel] = choice
            }
            channelRule[bucket.channel.id] = choice.rule
            guard let cutoff = choice.cutoff, bucket.end <= cutoff else { continue }

            let ruleName = allRules[choice.rule].name
            let overlapping = choice.holds.filter { $0.overlaps(start: bucket.start, end: bucket.end) }
            var holdNames = overlapping.filter { $0.users.isEmpty }.map(\.name)
            var unverified = false
            let userHolds = overlapping.filter { !$0.users.isEmpty }
            if holdNames.isEmpty, !userHolds.isEmpty {
                if let authors {
                    do {
                        let pairs = try authors.authors(of: bucket)
                        holdNames = userHolds.filter { hold in
                            pairs.contains { hold.coversAuthor($0.user, seconds: $0.seconds) }
                        }.map(\.name)
                    } catch let e as LetheError where e.kind == .integrity {
                        // A bucket that does not open may hold the named person's messages: kept.
                        holdNames = userHolds.map(\.name)
                        unverified = true
                    }
                } else {
                    holdNames = userHolds.map(\.name)
                    unverified = true
                }
            }
            let entry = RetentionPlan.Bucket(channelID: bucket.channel.id, kind: bucket.channel.kind,
                                             start: bucket.start, end: bucket.end, messageCount: bucket.messageCount,
                                             rule: ruleName, holds: holdNames, unverified: unverified, ref: bucket.ref)
            if holdNames.isEmpty { shred.append(entry) } else { held.append(entry) }
        }

        let order: (RetentionPlan.Bucket, RetentionPlan.Bucket) -> Bool = {
            ($0.channelID, $0.start, $0.end) < ($1.channelID, $1.start, $1.end)
        }
        shred.sort(by: order)
        held.sort(by: order)

        var conversations: [String: Conversation] = [:]
        for (facts, _) in choices where conversations[facts.id] == nil { conversations[facts.id] = facts }
        let channels = summarizeChannels(shred: shred, held: held, conversations: conversations, users: users, rules: allRules, channelRule: channelRule)

        let rules = allRules.enumerated().map { i, rule in
            let s = shred.filter { $0.rule == rule.name }
            return RetentionPlan.RuleSummary(
                name: rule.name, keep: rule.keep.description, cutoff: rule.keep.cutoff(now: now),
                channels: channelRule.values.filter { $0 == i }.count,
                buckets: s.count, messages: s.reduce(0) { $0 + $1.messageCount },
                heldBuckets: held.filter { $0.rule == rule.name }.count)
        }

        return RetentionPlan(
            now: now, policyDigest: policy.sourceDigest, shred: shred, held: held,
            buckets: shred.count, messages: shred.reduce(0) { $0 + $1.messageCount },
            heldBuckets: held.count, heldMessages: held.reduce(0) { $0 + $1.messageCount },
            rules: rules, channels: channels)
    }

    private static func summarizeChannels(shred: [RetentionPlan.Bucket], held: [RetentionPlan.Bucket],
                                          conversations: [String: Conversation], users: UserDirectory, rules: [RetentionRule],
                                          channelRule: [String: Int]) -> [RetentionPlan.ChannelSummary] {
        var byID: [String: RetentionPlan.ChannelSummary] = [:]
        func summary(_ b: RetentionPlan.Bucket) -> RetentionPlan.ChannelSummary {
            byID[b.channelID] ?? RetentionPlan.ChannelSummary(
                channelID: b.channelID, name: conversations[b.channelID]?.name, kind: b.kind,
                rule: rules[channelRule[b.channelID] ?? 0].name, buckets: 0, messages: 0, heldBuckets: 0,
                firstDate: nil, lastDate: nil, label: conversations[b.channelID]?.label(users: users))
        }
        for b in shred {
            var s = summary(b)
            s.buckets += 1
            s.messages += b.messageCount
            let first = CivilDate(unixSeconds: b.start)
            let last = CivilDate(unixSeconds: b.end - 1)
            s.firstDate = min(s.firstDate ?? first, first)
            s.lastDate = max(s.lastDate ?? last, last)
            byID[b.channelID] = s
        }
        for b in held {
            var s = summary(b)
            s.heldBuckets += 1
            byID[b.channelID] = s
        }
        return byID.values.sorted { $0.channelID < $1.channelID }
    }
}
