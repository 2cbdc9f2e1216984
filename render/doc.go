// Package render turns one ShopSet into Kubernetes manifests.
//
// It is a pure function of a tier checkout (an [io/fs.FS]) and the ShopSet's parameters:
// no network, no Git, no environment. The checkout is copied into an in-memory
// filesystem, a Kustomize overlay is synthesised next to it (base apps/, the
// configuration Component, the ShopSet's components, its namespace and the shopset.io/*
// labels), and Kustomize's own engine (krusty) builds it with plugins off and loads
// restricted to the checkout. Before the build, every kustomization reachable from the
// overlay, and every builtin plugin configuration it lists (file, directory or inline),
// is checked for references Kustomize would fetch or clone; a process that renders
// also calls offline.Enforce, so a reference the check misses fails closed. After the
// build, a cluster-scoped object (one left without a namespace, or of a kind Kustomize
// knows to be cluster-scoped) fails the render unless ShopSet.AllowClusterScoped lists its
// kind. The same inputs always give the same bytes.
// RenderManifests also gives each object as the JSON Kustomize encoded it from, for
// readers of the objects that need not parse the YAML again.
//
//	root, _ := os.OpenRoot("checkout")
//	out, err := render.Render(root.FS(), render.ShopSet{
//		Name: "a-1", Namespace: "shopset-a-1", Tier: "prod",
//		Configuration: "production", Cluster: "cluster-a",
//	})
package render
