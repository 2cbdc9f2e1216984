package preview_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/preview"
)

func TestName(t *testing.T) {
	long := "preview/" + "a-very-long-branch-name-that-goes-on-and-on-past-what-a-namespace-can-hold"
	tests := []struct {
		branch, want string
	}{
		{"preview/checkout-redesign", "pr-checkout-redesign"},
		{"preview/fix-42", "pr-fix-42"},
		// Changed words get the branch's SHA-256 (printf %s BRANCH | sha256sum), so the two below
		// differ. These names must never change: a new name is a new Application.
		{"preview/Checkout-Redesign", "pr-checkout-redesign-3fc5ebd8"},
		{"preview/checkout_redesign", "pr-checkout-redesign-4ca78292"},
		{"preview/team/x", "pr-team-x-bff78a1c"},
		{"preview/--x--", "pr-x-2fa2cb5c"},
		{"preview/émoji☃", "pr-moji-73e91428"},
		{"preview/___", "pr-45532b61"},
		{long, "pr-a-very-long-branch-name-that-goes-on-and-on-5ae64aa5"},
	}
	for _, tt := range tests {
		t.Run(tt.branch, func(t *testing.T) {
			got := preview.Name("preview/", tt.branch)
			assert.Equal(t, tt.want, got)
			assert.NoError(t, inventory.ValidDNSLabel(inventory.DefaultNamespace(got)), "its namespace is a DNS label")
			assert.Equal(t, got, preview.Name("preview/", tt.branch), "stable")
		})
	}
}

func settings(t *testing.T, extra string) *inventory.Previews {
	t.Helper()
	inv, err := inventory.Parse("shopsets.yaml", []byte(`apiVersion: shopset.io/v1alpha1
kind: Inventory
tiers: [{name: dev, branch: tier/dev}]
clusters: [{name: cluster-a, server: https://a.k8s.example}]
configurations: [{name: staging}]
previews:
  branches: preview/*
  cluster: cluster-a
  configuration: staging
`+extra))
	require.NoError(t, err)
	return inv.Previews
}

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func branch(name string, age time.Duration) preview.Branch {
	return preview.Branch{Name: name, Commit: "c-" + name, Committed: t0.Add(-age)}
}

func names(ps []preview.Preview) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func reasons(s []preview.Skipped) map[string]preview.Reason {
	out := map[string]preview.Reason{}
	for _, k := range s {
		out[k.Branch.Name] = k.Reason
	}
	return out
}

func TestCandidates(t *testing.T) {
	p := settings(t, "  domain: preview.shop.example\n")
	cands, skipped := preview.Candidates(p, []preview.Branch{
		branch("main", 0),
		branch("tier/dev", 0),
		branch("preview/old", 3*time.Hour),
		branch("preview/new", time.Hour),
		branch("preview/a/b", 0), // '*' stops at '/'
		branch("previews/x", 0),  // not the pattern
		branch("preview/same", time.Hour),
		branch("preview/Same", 0),
		// Crafted to take preview/Same's name: its own words win.
		branch("preview/same-"+preview.Name("preview/", "preview/Same")[len("pr-same-"):], 0),
	}, map[string]bool{"main": true})
	assert.Equal(t, []string{"pr-same-" + preview.Name("preview/", "preview/Same")[len("pr-same-"):], "pr-new", "pr-same", "pr-old"}, names(cands))
	assert.Equal(t, map[string]preview.Reason{"preview/Same": preview.NameTaken}, reasons(skipped))
	assert.Equal(t, "pr-new.preview.shop.example", cands[1].Host)
	assert.Equal(t, "shopset-pr-new", cands[1].Namespace)

	// Without a domain there are no hosts; without a section, nothing.
	cands, _ = preview.Candidates(settings(t, ""), []preview.Branch{branch("preview/x", 0)}, nil)
	assert.Empty(t, cands[0].Host)
	cands, skipped = preview.Candidates(nil, []preview.Branch{branch("preview/x", 0)}, nil)
	assert.Empty(t, cands)
	assert.Empty(t, skipped)
}

func TestCandidatesHashCollisionKeepsFirstBranch(t *testing.T) {
	// Two branches whose names are both hashed cannot meet by chance in a test; a
	// pattern whose prefix is cut off both gives the same name to the same words.
	p := settings(t, "")
	p.Branches = "*/x"
	cands, skipped := preview.Candidates(p, []preview.Branch{branch("b/x", 0), branch("a/x", 0)}, nil)
	require.Len(t, cands, 2, "different hashes, different names")
	assert.Empty(t, skipped)
}

func TestSamePolicies(t *testing.T) {
	cands := []preview.Preview{{Name: "pr-a", Branch: branch("preview/a", 0)}, {Name: "pr-b", Branch: branch("preview/b", 0)}, {Name: "pr-c", Branch: branch("preview/c", 0)}}
	kept, skipped := preview.SamePolicies(cands, map[string]string{"c-preview/a": "tree1", "c-preview/b": "tree2"}, "tree1")
	assert.Equal(t, []string{"pr-a"}, names(kept))
	assert.Equal(t, map[string]preview.Reason{"preview/b": preview.PoliciesDiffer, "preview/c": preview.PoliciesDiffer}, reasons(skipped))

	// A lowest tier without policies/ ("") previews only branches without one.
	kept, _ = preview.SamePolicies(cands, map[string]string{"c-preview/a": "tree1"}, "")
	assert.Equal(t, []string{"pr-b", "pr-c"}, names(kept))
}

func TestSelect(t *testing.T) {
	p := settings(t, "  max: 2\n  expireAfter: 48h\n")
	cands, _ := preview.Candidates(p, []preview.Branch{
		branch("preview/a", time.Hour),
		branch("preview/b", 2*time.Hour),
		branch("preview/c", 3*time.Hour),
		branch("preview/stale", 49*time.Hour),
		branch("preview/edge", 48*time.Hour), // exactly expireAfter: still served
	}, nil)
	served, skipped := preview.Select(p, cands, t0)
	assert.Equal(t, []string{"pr-a", "pr-b"}, names(served))
	assert.Equal(t, map[string]preview.Reason{
		"preview/c": preview.OverMax, "preview/edge": preview.OverMax, "preview/stale": preview.Expired,
	}, reasons(skipped))

	// Time alone expires branches, newest last.
	served, skipped = preview.Select(p, cands, t0.Add(45*time.Hour))
	assert.Equal(t, []string{"pr-a", "pr-b"}, names(served))
	assert.Equal(t, preview.OverMax, reasons(skipped)["preview/c"])
	served, skipped = preview.Select(p, cands, t0.Add(46*time.Hour+30*time.Minute))
	assert.Equal(t, []string{"pr-a"}, names(served))
	assert.Equal(t, preview.Expired, reasons(skipped)["preview/b"])
}
