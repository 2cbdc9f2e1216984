package generator_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/generator"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/routing"
)

// A shop is found by host, with its ShopSets best first: the routing table's order,
// computed here from the example inventory by the pure placement.
func TestLookupShop(t *testing.T) {
	f := newFixture(t, "file")
	inv, err := inventory.Parse("shopsets.yaml", []byte(f.gitRepo.Git(t, "show", "main:shopsets.yaml")))
	require.NoError(t, err)
	want := map[string][]string{}
	for _, p := range routing.Place(inv).Shops {
		want[p.Host] = p.ShopSets
	}
	require.NotEmpty(t, want["foo.shop.example"])

	for _, tc := range []struct {
		query, host string
		code        int
	}{
		{"foo.shop.example", "foo.shop.example", http.StatusOK},
		{"FOO.Shop.Example.", "foo.shop.example", http.StatusOK}, // as DNS compares names
		{"quux.shop.example", "quux.shop.example", http.StatusOK},
		{"nowhere.shop.example", "nowhere.shop.example", http.StatusNotFound},
		{strings.Repeat("a", 254), "", http.StatusBadRequest},
	} {
		resp, body := getPage(t, f, "/api/v1/shops/"+tc.query)
		require.Equal(t, tc.code, resp.StatusCode, body)
		if tc.code == http.StatusBadRequest {
			assert.Contains(t, body, "longer than 253")
			continue
		}
		var got generator.ShopLookup
		require.NoError(t, json.Unmarshal([]byte(body), &got))
		assert.Equal(t, tc.host, got.Host)
		if tc.code == http.StatusNotFound {
			assert.Empty(t, got.Views)
			continue
		}
		require.Len(t, got.Views, 1)
		v := got.Views[0]
		assert.Equal(t, f.url, v.RepoURL)
		assert.Equal(t, "main", v.Revision)
		var names []string
		for _, s := range v.ShopSets {
			names = append(names, s.Name)
			assert.Equal(t, v.Tier, s.Tier, "a shop is served by ShopSets of its tier")
			assert.NotEmpty(t, s.Cluster)
			assert.NotEmpty(t, s.Revision)
		}
		assert.Equal(t, want[tc.host], names, "best first")
		assert.Equal(t, len(names) < v.Want, v.Degraded)
	}
}

// The dashboard's search finds a shop and links its ShopSets; a host that is nowhere is
// a 404 page that says so, and what was typed is escaped.
func TestDashboardFindShop(t *testing.T) {
	f := newFixture(t, "file")
	resp, body := getPage(t, f, "/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `<form class="find" role="search" action="dashboard/shops" method="get">`)
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "form-action 'self'")

	lookup := f.gen.LookupShop("foo.shop.example")
	require.Len(t, lookup.Views, 1)
	resp, body = getPage(t, f, "/dashboard/shops?host=foo.shop.example")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	page := text(parseHTML(t, body))
	assert.Contains(t, page, "Shop foo.shop.example")
	assert.Contains(t, page, "Served by, best first")
	last := -1
	for _, s := range lookup.Views[0].ShopSets {
		i := strings.Index(body, `href="../dashboard/shopsets/`+s.Name+`"`)
		require.GreaterOrEqual(t, i, 0, "a link to %s", s.Name)
		assert.Greater(t, i, last, "%s listed in the routing table's order", s.Name)
		last = i
	}
	assert.Contains(t, body, `value="foo.shop.example"`, "the search keeps what was asked")
	assert.Contains(t, body, `href="../dashboard/assets/dashboard.css"`)

	resp, body = getPage(t, f, "/dashboard/shops?host=%3Cscript%3Ealert(1)%3C/script%3E")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, body, "NOT FOUND")
	assert.NotContains(t, body, "<script>alert")
}
