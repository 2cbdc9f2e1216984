// Package promotion moves a change up the tiers: it reports what waits at each tier and
// fast-forwards a tier's branch to what the tier below it runs, refusing anything that
// would break the tier order.
//
// The generator pins every tier (pinned[0] = head(tier 0), pinned[k] =
// merge-base(head(tier k), pinned[k-1])), so a tier deploys only what the tier below it
// carries. Commits reachable from pinned[k-1] but not from head(k) wait to be promoted into
// tier k; commits on head(k) past pinned[k] were pushed straight to tier k and are held.
// A promotion of tier k moves its branch, by fast-forward only, to pinned[k-1] or to an
// older commit of the tier below's history:
//
//	snap, _ := snapshot.Build(ctx, repo, url, "main", "shopsets.yaml")
//	plan, err := promotion.Prepare(ctx, repo, snap, "beta", "")
//	if err != nil {
//		return err // unknown tier, lowest tier, not a fast-forward, ...
//	}
//	err = promotion.Apply(ctx, repo, plan, promotion.Options{Push: true, Remote: "origin"})
package promotion
