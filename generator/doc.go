// Package generator is shopset's Argo CD ApplicationSet plugin generator: an HTTP service
// that answers POST /api/v1/getparams.execute with one parameter set per ShopSet, read
// from the inventory in Git and pinned per tier.
//
// It fails closed. An ApplicationSet deletes the Applications its generator stops
// listing, and Argo CD's client reads an empty 200 as zero ShopSets, so no failure ever
// becomes a 200. An invalid inventory is answered with its error, which Argo CD shows in
// the ApplicationSet while it keeps every Application; a Git outage is served around with
// the last good snapshot (reported stale in /api/v1/status and /metrics) for a bounded
// time, then answered with an error too; an inventory that removes more than a configured
// share of the ShopSets is refused until a commit confirms it, measured against the
// inventory's own history in Git (package removal), so a restart or a second replica
// refuses exactly the same.
//
//	srv, err := generator.New(generator.Config{Repos: []string{url}, TokenFile: f, CacheDir: d})
//	err = srv.Serve(ctx, listener)
package generator
