package generator_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/shopset/shopset/argoapps"
	"github.com/shopset/shopset/generator"
	"github.com/shopset/shopset/internal/golden"
	"github.com/shopset/shopset/preview"
)

// previewFixture is the example repository with two preview branches off tier/dev,
// committed now and a minute ago, so neither has expired.
func previewFixture(t *testing.T, tweaks ...func(*fixture)) (*fixture, argo) {
	f := newFixtureWith(t, "http", func(f *fixture) {
		for _, tweak := range tweaks {
			tweak(f)
		}
	})
	dev := f.repo.Branches["tier/dev"]
	now := time.Now().Truncate(time.Second)
	f.gitRepo.Branch(t, "preview/checkout-redesign", dev)
	f.gitRepo.CommitAt(t, "preview/checkout-redesign", map[string]string{"apps/NOTES": "redesign\n"}, "Checkout redesign", now.Add(-time.Minute))
	f.gitRepo.Branch(t, "preview/Fix_42", dev)
	f.gitRepo.CommitAt(t, "preview/Fix_42", map[string]string{"apps/NOTES": "fix\n"}, "Fix 42", now)
	a := f.argo(t)
	a.appset = "preview-applicationset.yaml"
	return f, a
}

func TestArgoCDRendersPreviews(t *testing.T) {
	f, a := previewFixture(t)
	apps, err := a.applications()
	require.NoError(t, err)
	fix := preview.Name("preview/", "preview/Fix_42")
	assert.Equal(t, []string{"shopset-" + fix, "shopset-pr-checkout-redesign"}, appNames(apps), "newest first")
	redesign := appByName(t, apps, "shopset-pr-checkout-redesign")
	assert.Equal(t, f.gitRepo.Head(t, "preview/checkout-redesign"), redesign.Spec.Source.TargetRevision)
	assert.Equal(t, "shopset-pr-checkout-redesign", redesign.Spec.Destination.Namespace)
	assert.Equal(t, "true", redesign.Labels["shopset.io/preview"])
	assert.Equal(t, "preview", redesign.Labels["shopset.io/tier"])
	assert.Equal(t, "pr-checkout-redesign.preview.shop.example", redesign.Annotations["shopset.io/preview-host"])
	// Dates and commits change with every run; the golden holds the rest.
	golden.Assert(t, filepath.Join("testdata", "preview-application.yaml"),
		bytes.ReplaceAll(a.yamlOf(apps[1:]), []byte(redesign.Spec.Source.TargetRevision), []byte("HEAD-OF-preview/checkout-redesign")))

	// The ShopSets' ApplicationSet lists no preview.
	a.appset = ""
	shopsets, err := a.applications()
	require.NoError(t, err)
	assert.Len(t, shopsets, 9)

	// A push to the branch moves its Application.
	a.appset = "preview-applicationset.yaml"
	head := f.gitRepo.CommitAt(t, "preview/checkout-redesign", map[string]string{"apps/NOTES": "again\n"}, "Again", time.Now())
	apps, err = a.applications()
	require.NoError(t, err)
	assert.Equal(t, head, appByName(t, apps, "shopset-pr-checkout-redesign").Spec.Source.TargetRevision)

	// A deleted branch drops its preview, and only it.
	f.gitRepo.Git(t, "branch", "-D", "preview/Fix_42")
	apps, err = a.applications()
	require.NoError(t, err)
	assert.Equal(t, []string{"shopset-pr-checkout-redesign"}, appNames(apps))
}

// Previews fail closed as ShopSets do: a Git outage, an invalid inventory or a broken
// request never answers fewer previews than there are.
func TestPreviewsFailClosed(t *testing.T) {
	f, a := previewFixture(t)
	apps, err := a.applications()
	require.NoError(t, err)
	require.Len(t, apps, 2)

	f.git.SetDown(true)
	apps, err = a.applications()
	require.NoError(t, err, "a Git outage serves the last good answer")
	assert.Len(t, apps, 2)
	f.git.SetDown(false)

	good := f.inventory(t)
	f.commitInventory(t, good+"bogus: 1\n", "Break the inventory")
	apps, err = a.applications()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown field "bogus"`)
	assert.Empty(t, apps)
	f.commitInventory(t, good, "Mend it")

	a.params = map[string]string{"tier": `"dev"`}
	_, err = a.applications()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no filter applies")
	a.params = nil

	// A restart with an empty mirror while Git is down answers an error, not nothing.
	f.git.SetDown(true)
	f.restart(t, true)
	_, err = a.applications()
	require.Error(t, err)
	f.git.SetDown(false)
	apps, err = a.applications()
	require.NoError(t, err)
	assert.Len(t, apps, 2)
}

// What is not previewed is reported, with why: a branch that would run weaker policies,
// branches past the maximum, branches without a commit for too long.
func TestPreviewsReportWhatTheyLeaveOut(t *testing.T) {
	f, a := previewFixture(t)
	dev := f.repo.Branches["tier/dev"]
	f.gitRepo.Branch(t, "preview/weaker", dev)
	f.gitRepo.CommitAt(t, "preview/weaker", map[string]string{"policies/memory.rego": "package shopset\n"}, "No limits", time.Now())
	f.gitRepo.Branch(t, "preview/old", dev)
	f.gitRepo.CommitAt(t, "preview/old", map[string]string{"apps/NOTES": "old\n"}, "Old", time.Now().Add(-15*24*time.Hour))
	inv := f.inventory(t)
	require.Contains(t, inv, "\n  max: 10 ")
	f.commitInventory(t, strings.Replace(inv, "\n  max: 10 ", "\n  max: 1 ", 1), "One preview at a time")

	apps, err := a.applications()
	require.NoError(t, err)
	assert.Equal(t, []string{"shopset-" + preview.Name("preview/", "preview/Fix_42")}, appNames(apps))

	st := f.status(t).Repositories[0].Views[0].Previews
	require.NotNil(t, st)
	assert.Len(t, st.Served, 1)
	why := map[string]preview.Reason{}
	for _, s := range st.Skipped {
		why[s.Branch.Name] = s.Reason
	}
	assert.Equal(t, map[string]preview.Reason{
		"preview/weaker": preview.PoliciesDiffer, "preview/checkout-redesign": preview.OverMax, "preview/old": preview.Expired,
	}, why)

	metrics := scrape(t, f)
	for _, line := range []string{
		`shopset_generator_previews{repo="` + f.url + `",state="served"} 1`,
		`shopset_generator_previews{repo="` + f.url + `",state="over-max"} 1`,
		`shopset_generator_previews{repo="` + f.url + `",state="expired"} 1`,
		`shopset_generator_previews{repo="` + f.url + `",state="policies-differ"} 1`,
		`shopset_generator_previews{repo="` + f.url + `",state="name-taken"} 0`,
	} {
		assert.Contains(t, metrics, line)
	}
}

// The routing Applications name the previews served, so the routing table lists their
// hosts; a preview that goes leaves the list.
func TestArgoCDRoutingNamesPreviews(t *testing.T) {
	f, a := previewFixture(t)
	a.appset = "routing-applicationset.yaml"
	previews := func() string {
		apps, err := a.applications()
		require.NoError(t, err)
		require.Len(t, apps, 3)
		var got string
		for _, e := range appByName(t, apps, "shopset-routing-cluster-a").Spec.Source.Plugin.Env {
			if e.Name == "SHOPSET_PREVIEWS" {
				got = e.Value
			}
		}
		return got
	}
	fix := preview.Name("preview/", "preview/Fix_42")
	assert.Equal(t, fix+",pr-checkout-redesign", previews())
	f.gitRepo.Git(t, "branch", "-D", "preview/Fix_42")
	assert.Equal(t, "pr-checkout-redesign", previews())
}

// The dashboard lists the previews served and every matching branch left out, with why;
// a branch name is text, never markup.
func TestDashboardPreviews(t *testing.T) {
	f, _ := previewFixture(t)
	dev := f.repo.Branches["tier/dev"]
	f.gitRepo.Branch(t, "preview/<b>x", dev)
	f.gitRepo.CommitAt(t, "preview/<b>x", map[string]string{"policies/extra.rego": "package shopset.extra\n"}, "Weaker", time.Now())
	f.gen.Refresh(context.Background())
	_, body := getPage(t, f, "/")
	assert.NotContains(t, body, "<b>x")
	doc := parseHTML(t, body)
	served := findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-preview") != "" })
	var names []string
	for _, n := range served {
		names = append(names, attr(n, "data-preview"))
	}
	assert.Equal(t, []string{preview.Name("preview/", "preview/Fix_42"), "pr-checkout-redesign"}, names)
	assert.Contains(t, text(served[1]), "pr-checkout-redesign.preview.shop.example")
	skipped := findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-branch") != "" })
	require.Len(t, skipped, 1)
	assert.Equal(t, "preview/<b>x", attr(skipped[0], "data-branch"))
	assert.Contains(t, text(skipped[0]), "policies-differ")
	assert.Contains(t, text(doc), "2 of at most 10 previewed")
}

// Status and the dashboard say how each preview's Application runs, as Argo CD has it:
// synced to which revision, and healthy or not; a preview whose Application Argo CD has
// not made yet says so; with Argo CD unreadable, the column says unknown and why.
func TestPreviewsShowTheirApplications(t *testing.T) {
	state := &argoState{}
	f, a := previewFixture(t, func(f *fixture) { f.cfg.Applications = state })
	_, err := a.applications()
	require.NoError(t, err)
	redesign := f.gitRepo.Head(t, "preview/checkout-redesign")
	older := f.repo.Branches["tier/dev"]
	state.apply([]argoapps.App{{Name: "shopset-pr-checkout-redesign", ShopSet: "pr-checkout-redesign", Tier: "preview",
		TargetRevision: redesign, SyncRevision: older, SyncStatus: "OutOfSync", Health: "Degraded",
		HealthMessage: "Deployment/storefront: <b>ImagePullBackOff</b>"}})

	st := f.status(t).Repositories[0].Views[0].Previews
	require.NotNil(t, st)
	require.Len(t, st.Served, 2)
	assert.Empty(t, st.ArgoCD)
	assert.Nil(t, st.Served[0].Application, "Argo CD has no Application for the newest preview yet")
	assert.Equal(t, &generator.PreviewApplication{Sync: "OutOfSync", Revision: older, Health: "Degraded",
		HealthMessage: "Deployment/storefront: <b>ImagePullBackOff</b>"}, st.Served[1].Application)

	_, body := getPage(t, f, "/")
	assert.NotContains(t, body, "<b>ImagePullBackOff")
	doc := parseHTML(t, body)
	rows := findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-preview") != "" })
	require.Len(t, rows, 2)
	assert.Contains(t, text(rows[0]), "no Application yet")
	assert.Contains(t, text(rows[1]), "OutOfSync at "+older[:12])
	assert.Contains(t, text(rows[1]), "Degraded: Deployment/storefront: <b>ImagePullBackOff</b>")

	// Metrics and the ShopSet pages show no preview's Application, and do not read them.
	lists := state.listed()
	scrape(t, f)
	resp, _ := getPage(t, f, "/dashboard/shopsets/a-1")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, lists, state.listed(), "Applications listed for /metrics or a ShopSet page")

	state.mu.Lock()
	state.err = errors.New("the watch failed")
	state.mu.Unlock()
	st = f.status(t).Repositories[0].Views[0].Previews
	assert.Contains(t, st.ArgoCD, "the watch failed")
	assert.Nil(t, st.Served[1].Application, "nothing shown that Argo CD may no longer have")
	_, body = getPage(t, f, "/")
	rows = findAll(parseHTML(t, body), func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-preview") != "" })
	require.Len(t, rows, 2)
	assert.Contains(t, text(rows[1]), "unknown")
	assert.Contains(t, body, "the watch failed")
}
