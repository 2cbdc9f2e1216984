// Package snapshot computes what the generator serves for one inventory in one Git
// repository, in two steps. A Model is the inventory at one commit and what follows from
// it alone (parsed, placed, the routing parameter sets); it depends on no tier branch, so
// it is computed once per inventory commit. Model.Pin then pins every tier from the
// branch heads: each tier's pinned revision, the commits it holds back and waits for, and
// one parameter set per ShopSet. A push to a tier branch only pins again.
//
// Pinning makes the tier order hold even against a push straight to a high tier:
//
//	pinned[0] = head(tier 0)
//	pinned[k] = merge-base(head(tier k), pinned[k-1])
//
// so a tier never deploys a commit that the tier below it does not carry. Commits on a
// tier's branch past its pinned revision are held, and reported.
//
//	snap, err := snapshot.Build(ctx, repo, "https://git.example/platform.git", "main", "shopsets.yaml")
//	for _, p := range snap.Params { fmt.Println(p.Name, p.Revision) }
//
//	m, err := snapshot.LoadModel(ctx, repo, url, "main", commit, "shopsets.yaml") // once per commit
//	snap, err = m.Pin(ctx, repo, "main")                                          // on every tier push
package snapshot
