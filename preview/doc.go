// Package preview decides which topic branches run as preview ShopSets: pure, like
// placement and rollout. Given the inventory's previews section and the matching
// branches' heads, it names each preview (DNS-safe, stable, unique), drops those that
// cannot run (a name taken, policies that differ from the lowest tier's), and at a given
// time serves the newest that have not expired, up to the maximum; every branch left out
// is reported with its reason, never dropped silently.
//
//	cands, skipped := preview.Candidates(inv.Previews, branches, exclude)
//	cands, more := preview.SamePolicies(cands, trees, lowestTierPolicies)
//	served, late := preview.Select(inv.Previews, cands, time.Now())
package preview
