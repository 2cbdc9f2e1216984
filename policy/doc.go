// Package policy checks rendered manifests against the Rego policies of a tier checkout,
// with Open Policy Agent and conftest's conventions.
//
// The policies live in policies/ on the tier branch, so a rule change is tried on the
// lowest tier first like any other change. Every *.rego file there is compiled once per
// render; files ending _test.rego hold Rego unit tests (shopctl policy test) and are not
// evaluated against manifests. *.yaml and *.json files there are data (data.<key>).
//
// The rules are those of package main named deny, deny_*, warn or warn_*. Each is
// evaluated once per rendered object with:
//
//	input          the object itself, as conftest gives it
//	data.shopset   the ShopSet's parameters: name, namespace, tier, configuration,
//	               cluster, components, and maxMemoryLimit (the configuration's in
//	               the inventory, a Kubernetes quantity, or "" when it sets none)
//	data.<key>     the data files of policies/
//
// A rule's value is a set of messages: strings, or objects {"id": ..., "msg": ...}. A
// violation reads "<kind>/<name>: <message>". A deny fails the render; a warn is only
// reported. An object exempts itself from a rule, in Git where reviewers see it, with the
// annotation
//
//	policy.shopset.io/exempt: "<rule-id>: <reason>"
//
// (one per line); the rule id is the message's id, else the rule's name. An exempted
// violation is still reported, with its reason.
//
// Policies see nothing else: built-ins that reach outside the input (http.send,
// opa.runtime, net.*) are not available, a reference to data no module or data file
// provides is refused when the policies load, and an evaluation is bounded by Timeout.
//
//	out, res, err := policy.Render(ctx, checkout, shopset) // render, then check
//	res.Report(os.Stderr, shopset.Name)                    // warnings and exemptions
package policy
