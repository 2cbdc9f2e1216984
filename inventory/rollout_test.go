package inventory_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/inventory"
)

const rollouts = `apiVersion: shopset.io/v1alpha1
kind: Inventory
tiers:
  - name: dev
    branch: tier/dev
    rollout:
      soak: 90s
      rollback: true
  - name: prod
    branch: tier/prod
    rollout: {waves: failureDomain, soak: 1h30m, healthTimeout: 0}
  - name: edge
    branch: tier/edge
clusters:
  - {name: cluster-a, server: https://a.k8s.example, failureDomain: zone-a}
  - {name: cluster-b, server: https://b.k8s.example, failureDomain: zone-b}
configurations:
  - name: production
shopsets:
  - {name: d-1, tier: dev, configuration: production, cluster: cluster-a}
  - {name: d-2, tier: dev, configuration: production, cluster: cluster-b}
  - {name: p-1, tier: prod, configuration: production, cluster: cluster-a}
freezes:
  - tiers: [prod]
    reason: Black Friday
    until: 2026-11-30T00:00:00Z
  - tiers: [edge, prod]
    reason: until further notice
`

func TestParseRollouts(t *testing.T) {
	inv, err := inventory.Parse("shopsets.yaml", []byte(rollouts))
	require.NoError(t, err)
	assert.Equal(t, &inventory.Rollout{Waves: inventory.WavesByFailureDomain, Soak: 90 * time.Second,
		HealthTimeout: inventory.DefaultHealthTimeout, Rollback: true, Pos: pos(7, 7)}, inv.Tiers[0].Rollout)
	assert.Equal(t, &inventory.Rollout{Waves: inventory.WavesByFailureDomain, Soak: 90 * time.Minute,
		HealthTimeout: 0, Pos: pos(11, 14)}, inv.Tiers[1].Rollout)
	assert.Nil(t, inv.Tiers[2].Rollout, "a tier without a rollout section takes its revision at once")

	until := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	require.Len(t, inv.Freezes, 2)
	assert.Equal(t, inventory.Freeze{Tiers: []string{"prod"}, Reason: "Black Friday", Until: until, Pos: pos(24, 5)}, inv.Freezes[0])

	for _, tc := range []struct {
		tier   string
		at     time.Time
		reason string // "" when not frozen
	}{
		{"prod", until.Add(-time.Second), "Black Friday"},
		{"prod", until, "until further notice"}, // the first freeze has ended: the second holds
		{"edge", until.Add(365 * 24 * time.Hour), "until further notice"},
		{"dev", until.Add(-time.Second), ""},
	} {
		f, ok := inv.FreezeOf(tc.tier, tc.at)
		assert.Equal(t, tc.reason != "", ok, "%s at %s", tc.tier, tc.at)
		assert.Equal(t, tc.reason, f.Reason, "%s at %s", tc.tier, tc.at)
	}

	// prod's ShopSets are all in zone-a: its rollout is one wave.
	warnings := inv.Warnings()
	require.Len(t, warnings, 1)
	assert.Contains(t, warnings[0].Error(), `shopsets.yaml:11:14: tiers[1].rollout: tier "prod" has ShopSets in one failure domain only`)
}
