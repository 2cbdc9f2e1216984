// Package review shows what a change does to every ShopSet it touches, offline: it
// renders each affected ShopSet on both sides of a change, exactly as Argo CD's plugin
// would, and diffs the manifests.
//
// A side is what the generator would serve: an inventory and each tier's pinned
// revision. A ShopSet is affected when its inputs differ between the sides: its render
// parameters, or the content of its tier's tree at the pinned revision (compared by a
// hash of the content, so a new commit with the same files is not a change). Only
// affected ShopSets are rendered, concurrently, and identical inputs are rendered once.
//
//	base, err := review.InventorySide(ctx, repo, "main", "shopsets.yaml")
//	head, err := review.InventorySide(ctx, repo, "my-change", "shopsets.yaml")
//	report, err := review.Compare(ctx, repo, base, head, review.Options{})
//	report.WriteText(os.Stdout)  // or WriteMarkdown for a pull request comment
package review
