package generator

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/snapshot"
)

// bigStatus is a Status at the measured scale (as internal/bigrepo builds it): 10,000
// ShopSets over 4 tiers and 50 clusters in 5 failure domains, a few held and waiting
// commits, and 100 degraded shops.
func bigStatus(shopsets, clusters int) Status {
	tiers := []string{"dev", "beta", "beta-prod", "prod"}
	now := time.Now()
	commit := func(i int) gitrepo.Commit {
		return gitrepo.Commit{ID: fmt.Sprintf("%040x", i), Subject: fmt.Sprintf("api: update to 1.%d.0", i)}
	}
	v := ViewStatus{
		Revision: "main", Path: "shopsets.yaml", InventoryCommit: fmt.Sprintf("%040x", 1),
		SnapshotBuilt: &now, SnapshotAgeSeconds: 42, ShopSets: shopsets,
		Shops: map[string]int{}, Degraded: []string{},
	}
	for i, name := range tiers {
		t := snapshot.Tier{Name: name, Branch: "tier/" + name, Index: i, SyncPolicy: "automated",
			Head: fmt.Sprintf("%040x", 100+i), Pinned: fmt.Sprintf("%040x", 100+i), PinnedSubject: "proxy: bump nginx",
			Held: []gitrepo.Commit{}, Waiting: []gitrepo.Commit{}}
		if i > 0 {
			t.Waiting = []gitrepo.Commit{commit(10 * i), commit(10*i + 1)}
		}
		if name == "prod" {
			t.Held = []gitrepo.Commit{commit(99)}
		}
		v.Tiers = append(v.Tiers, t)
	}
	for c := range clusters {
		v.Clusters = append(v.Clusters, ClusterStatus{Name: fmt.Sprintf("cluster-%02d", c),
			Server: fmt.Sprintf("https://cluster-%02d.k8s.shop.example", c), FailureDomain: fmt.Sprintf("zone-%d", c%5), State: "active"})
	}
	v.Clusters[3].State = "down"
	for i := range shopsets {
		tier := tiers[i*len(tiers)/shopsets]
		name := fmt.Sprintf("s-%05d", i)
		v.ShopSetList = append(v.ShopSetList, ShopSetStatus{
			Name: name, AppName: "shopset-" + name, Namespace: "shopset-" + name, Tier: tier,
			Cluster: v.Clusters[i%clusters].Name, Configuration: "production", Components: []string{},
			Revision: fmt.Sprintf("%040x", 100), Shops: 4,
		})
		v.Shops[name] = 4
	}
	for i := range 100 {
		host := fmt.Sprintf("shop-%03d.shop.example", i)
		v.Degraded = append(v.Degraded, host)
		v.DegradedShops = append(v.DegradedShops, DegradedStatus{Host: host, Tier: "prod", Configuration: "production", Want: 2, ShopSets: []string{"s-09999"}})
	}
	return Status{Repositories: []RepoStatus{{URL: "https://git.shop.example/platform.git", LastChecked: &now, LastFetched: &now, Views: []ViewStatus{v}}}}
}

// BenchmarkDashboard renders the whole dashboard page for 10,000 ShopSets: the view
// model from Status, then the templates. The budget is 100 ms per page.
func BenchmarkDashboard(b *testing.B) {
	st := bigStatus(10000, 50)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		view := newDashboardView(st, time.Now())
		if err := renderDashboard(&buf, "page", pageData{Title: "ShopSets", Fragment: "dashboard/fragment", RefreshSeconds: 5, Dashboard: view}); err != nil {
			b.Fatal(err)
		}
	}
	if n := strings.Count(buf.String(), `href="dashboard/shopsets/`); n != 10000 {
		b.Fatalf("%d ShopSet links, want 10000", n)
	}
	b.ReportMetric(float64(buf.Len()), "page-bytes/op")
}

// A view model built from a Status lists every ShopSet once, in the cell of its tier and
// cluster, with columns grouped by failure domain.
func TestDashboardViewModel(t *testing.T) {
	st := bigStatus(400, 10)
	d := newDashboardView(st, time.Now())
	v := d.Repos[0].Views[0]
	seen := map[string]bool{}
	for _, r := range v.Rows {
		for i, c := range r.Cells {
			if c.Cluster != v.Clusters[i].Name || c.Tier != r.Name {
				t.Fatalf("cell %s × %s under column %s", c.Tier, c.Cluster, v.Clusters[i].Name)
			}
			for _, s := range c.ShopSets {
				if s.Tier != r.Name || s.Cluster != c.Cluster || seen[s.Name] {
					t.Fatalf("%s (%s × %s) in cell %s × %s", s.Name, s.Tier, s.Cluster, r.Name, c.Cluster)
				}
				seen[s.Name] = true
			}
		}
	}
	if len(seen) != 400 {
		t.Fatalf("%d ShopSets in the matrix, want 400", len(seen))
	}
	for i, c := range v.Clusters {
		if i > 0 && c.FailureDomain != v.Clusters[i-1].FailureDomain {
			for _, earlier := range v.Clusters[:i-1] {
				if earlier.FailureDomain == c.FailureDomain {
					t.Fatalf("domain %s split: %v", c.FailureDomain, v.Clusters)
				}
			}
		}
	}
	if v.Domains[0].Name != "zone-0" || v.Domains[0].Span != 2 || len(v.Domains) != 5 {
		t.Fatalf("domains %+v", v.Domains)
	}
	if !v.Rows[3].Cells[indexOfCluster(v.Clusters, "cluster-03")].Inactive {
		t.Fatal("cells of a down cluster are marked inactive")
	}
}

func indexOfCluster(cs []ClusterStatus, name string) int {
	for i, c := range cs {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func TestFormatAge(t *testing.T) {
	for in, want := range map[float64]string{0: "0s", 59.9: "59s", 61: "1m1s", 3600: "1h0m", 7800: "2h10m"} {
		if got := formatAge(in); got != want {
			t.Errorf("formatAge(%v) = %q, want %q", in, got, want)
		}
	}
}

// The hand-written matrix items escape what they show as the template engine would.
func TestShopSetItemsEscape(t *testing.T) {
	var b strings.Builder
	got := string(shopSetItems(&b, []ShopSetStatus{
		{Name: `x"><script>alert(1)</script>`, Configuration: `<b>&amp;`, Shops: 1},
		{Name: "a-2", Configuration: "production", Shops: 4},
	}))
	want := `<li><a href="dashboard/shopsets/x%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E">` +
		`x&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</a> <span class="cfg">&lt;b&gt;&amp;amp;</span> <span class="shops">1 shop</span></li>` +
		`<li><a href="dashboard/shopsets/a-2">a-2</a> <span class="cfg">production</span> <span class="shops">4 shops</span></li>`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
