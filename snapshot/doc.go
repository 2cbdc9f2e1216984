// Package snapshot computes what the generator serves for one inventory in one Git
// repository: the inventory at its revision, each tier's branch head and pinned revision,
// the commits each tier holds back, and one parameter set per ShopSet.
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
package snapshot
