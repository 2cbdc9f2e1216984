// Package inventory reads and validates shopsets.yaml, the inventory that
// lists the tiers changes are promoted through, the clusters and
// configurations that exist, the ShopSets deployed onto them and the shops
// they serve.
//
// Parsing is strict so that a typo never silently changes what gets
// deployed: unknown fields, duplicate keys, values of the wrong type and
// references to things that do not exist are all errors. Every problem in a
// file is reported at once, in file order, each with its file, line, column
// and field path, so a broken inventory can be fixed in one pass:
//
//	inv, err := inventory.Load("shopsets.yaml")
//	if err != nil {
//		// shopsets.yaml:12:11: shopsets[2].tier: unknown tier "qa" (known: dev, beta, prod)
//		log.Fatal(err)
//	}
//	for _, s := range inv.Sorted() {
//		fmt.Println(s.Name, s.Cluster, s.Namespace)
//	}
//
// An Inventory returned without error has every default applied (sync
// policy, failure domain, cluster state, namespace, redundancy and shop
// configuration), so callers never need to know the defaults themselves.
package inventory
