package generator_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopset/shopset/argoapps"
	"github.com/shopset/shopset/generator"
	"github.com/shopset/shopset/internal/bigrepo"
)

// benchServer is a generator serving a repository of bigrepo's measured scale (10,000
// ShopSets, 50 clusters, 40,000 shops) over file://, refreshed once.
func benchServer(b *testing.B) (*generator.Server, string) {
	b.Helper()
	repo, err := bigrepo.Build(context.Background(), filepath.Join(b.TempDir(), "platform"), bigrepo.ShopSets, bigrepo.Clusters, bigrepo.Shops)
	if err != nil {
		b.Fatal(err)
	}
	return benchServing(b, repo, nil)
}

// benchServing is a generator serving repo, reading Applications from apps when set.
func benchServing(b *testing.B, repo *bigrepo.Repo, apps generator.Applications) (*generator.Server, string) {
	b.Helper()
	ctx := context.Background()
	tokenFile := filepath.Join(b.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(testToken), 0o600); err != nil {
		b.Fatal(err)
	}
	url := "file://" + repo.Dir
	srv, err := generator.New(generator.Config{
		Repos: []string{url}, CacheDir: b.TempDir(), TokenFile: tokenFile,
		// The handler is measured, not Git: no ls-remote during the loop.
		RefCheckTTL: time.Hour, RefreshInterval: time.Hour,
		Applications: apps,
	})
	if err != nil {
		b.Fatal(err)
	}
	srv.Refresh(ctx)
	if st := srv.Status(); st.Repositories[0].Views[0].ShopSets != bigrepo.ShopSets {
		b.Fatalf("the snapshot holds %d ShopSets, want %d: %+v", st.Repositories[0].Views[0].ShopSets, bigrepo.ShopSets, st)
	}
	return srv, url
}

// BenchmarkGetParams drives the handler in-process, without a network, with the requests
// an ApplicationSet sends: the whole list, one tier, and one tier on one cluster (what a
// per-cluster ApplicationSet asks). resp-bytes/op is the response size.
//
// rollouts is all with every tier rolled out and 10,000 Applications, one per
// ShopSet, in the Applications cache (a stand-in for the watch cache, which holds them in
// memory alike): the decision is made in the background, so the handler should cost what
// all costs.
func BenchmarkGetParams(b *testing.B) {
	// The parent runs once; building the repository is the slow part.
	ctx := context.Background()
	repo, err := bigrepo.Build(ctx, filepath.Join(b.TempDir(), "platform"), bigrepo.ShopSets, bigrepo.Clusters, bigrepo.Shops)
	if err != nil {
		b.Fatal(err)
	}
	plain, url := benchServing(b, repo, nil)
	rolled := benchRollouts(b, repo, plain)
	for _, bc := range []struct {
		name, filters string
		params        int // parameter sets in the response
		srv           *generator.Server
	}{
		{"all", ``, bigrepo.ShopSets, plain},
		{"tier", `,"tier":"beta"`, bigrepo.ShopSets / len(bigrepo.Tiers), plain},
		{"tier+cluster", `,"tier":"dev","cluster":"cluster-07"`, bigrepo.ShopSets / len(bigrepo.Tiers) / bigrepo.Clusters, plain},
		{"rollouts", ``, bigrepo.ShopSets, rolled},
	} {
		h := bc.srv.Handler()
		body := []byte(`{"applicationSetName":"shopsets","input":{"parameters":{"repoURL":"` + url + `"` + bc.filters + `}}}`)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var last *httptest.ResponseRecorder
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/api/v1/getparams.execute", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+testToken)
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				last = rec
			}
			if n := bytes.Count(last.Body.Bytes(), []byte(`"appName":`)); n != bc.params {
				b.Fatalf("%d parameter sets in the response, want %d", n, bc.params)
			}
			b.ReportMetric(float64(last.Body.Len()), "resp-bytes/op")
			b.ReportMetric(float64(bc.params), "params/op")
		})
	}
}

// benchRollouts gives every tier of repo a rollout (on main) and serves it with one
// Application per ShopSet, each Synced and Healthy at its tier's pinned revision for an
// hour: the steady state of a large installation. plain is the server without rollouts,
// read for the pins.
func benchRollouts(b *testing.B, repo *bigrepo.Repo, plain *generator.Server) *generator.Server {
	b.Helper()
	ctx := context.Background()
	pinned := map[string]string{}
	for _, t := range plain.Status().Repositories[0].Views[0].Tiers {
		pinned[t.Name] = t.Pinned
	}
	inv := bigrepo.Inventory(bigrepo.ShopSets, bigrepo.Clusters, bigrepo.Shops)
	for _, t := range bigrepo.Tiers {
		inv = bytes.Replace(inv, []byte("    branch: tier/"+t+"\n"), []byte("    branch: tier/"+t+"\n    rollout: {soak: 1m}\n"), 1)
	}
	if _, err := repo.Commit(ctx, "main", map[string]string{"shopsets.yaml": string(inv)}, "Roll every tier out"); err != nil {
		b.Fatal(err)
	}
	since := time.Now().Add(-time.Hour)
	apps := &staticApps{}
	for i := range bigrepo.ShopSets {
		tier := bigrepo.Tiers[i%len(bigrepo.Tiers)]
		rev := pinned[tier]
		apps.list = append(apps.list, argoapps.App{Name: "shopset-" + bigrepo.ShopSetName(i), ShopSet: bigrepo.ShopSetName(i), Tier: tier,
			TargetRevision: rev, SyncRevision: rev, SyncStatus: "Synced", Health: "Healthy", SyncedAt: since, HealthSince: since,
			History: []string{rev}})
	}
	srv, url := benchServing(b, repo, apps)
	req := httptest.NewRequest(http.MethodPost, "/api/v1/getparams.execute",
		bytes.NewReader([]byte(`{"applicationSetName":"shopsets","input":{"parameters":{"repoURL":"`+url+`"}}}`)))
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	v := srv.Status().Repositories[0].Views[0]
	if rec.Code != http.StatusOK || v.Rollouts == nil || len(v.Rollouts.Tiers) != len(bigrepo.Tiers) {
		b.Fatalf("rollouts not served: status %d, %+v", rec.Code, v.Rollouts)
	}
	for _, t := range v.Rollouts.Tiers {
		if t.Target != t.Pinned || t.Halt != nil {
			b.Fatalf("tier %s: target %.12s, pinned %.12s, halt %v: not the steady state measured", t.Name, t.Target, t.Pinned, t.Halt)
		}
	}
	return srv
}

// staticApps is an Applications cache that never changes.
type staticApps struct{ list []argoapps.App }

func (s *staticApps) List() ([]argoapps.App, error) { return s.list, nil }
func (s *staticApps) Version() string               { return "1" }
