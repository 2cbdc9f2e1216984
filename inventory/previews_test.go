package inventory_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/inventory"
)

const previewsBase = `apiVersion: shopset.io/v1alpha1
kind: Inventory
tiers: [{name: dev, branch: tier/dev}]
clusters: [{name: cluster-a, server: https://a.k8s.example}]
configurations: [{name: staging}]
`

func TestPreviewsDefaults(t *testing.T) {
	inv, err := inventory.Parse("shopsets.yaml", []byte(previewsBase+`previews:
  branches: preview/*
  cluster: cluster-a
  configuration: staging
`))
	require.NoError(t, err)
	p := inv.Previews
	require.NotNil(t, p)
	assert.Equal(t, inventory.DefaultPreviewMax, p.Max)
	assert.Equal(t, inventory.DefaultPreviewExpireAfter, p.ExpireAfter)
	assert.Empty(t, p.Domain)
	assert.Equal(t, inventory.Position{Line: 7, Column: 3}, p.Pos)

	inv, err = inventory.Parse("shopsets.yaml", []byte(previewsBase))
	require.NoError(t, err)
	assert.Nil(t, inv.Previews, "no section, no previews")

	inv, err = inventory.Parse("shopsets.yaml", []byte(previewsBase+`previews:
  branches: review/team-*
  cluster: cluster-a
  configuration: staging
  components: [maintenance]
  max: 3
  expireAfter: 72h
  domain: preview.shop.example
`))
	require.NoError(t, err)
	assert.Equal(t, &inventory.Previews{Branches: "review/team-*", Cluster: "cluster-a", Configuration: "staging",
		Components: []string{"maintenance"}, Max: 3, ExpireAfter: 72 * time.Hour, Domain: "preview.shop.example",
		Pos: inventory.Position{Line: 7, Column: 3}}, inv.Previews)
}

func TestPreviewsPattern(t *testing.T) {
	tests := []struct {
		pattern, prefix, refDir string
		match, noMatch          []string
	}{
		{"preview/*", "preview/", "preview/", []string{"preview/x", "preview/a.b"}, []string{"preview/a/b", "preview", "previewx", "main"}},
		{"review/team-*", "review/team-", "review/", []string{"review/team-a"}, []string{"review/other"}},
		{"*", "", "", []string{"main", "x"}, []string{"a/b"}},
		{"pr-[0-9]*", "pr-", "", []string{"pr-12"}, []string{"pr-x"}},
		{"users/*/preview", "users/", "users/", []string{"users/ann/preview"}, []string{"users/ann/other"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p := &inventory.Previews{Branches: tt.pattern}
			assert.Equal(t, tt.prefix, p.BranchPrefix())
			assert.Equal(t, tt.refDir, p.RefDir())
			for _, b := range tt.match {
				assert.True(t, p.Matches(b), b)
			}
			for _, b := range tt.noMatch {
				assert.False(t, p.Matches(b), b)
			}
		})
	}
}
