package generator_test

// These tests run Argo CD's own ApplicationSet code against the generator: the plugin
// generator (applicationset/generators, with its HTTP client) and the template rendering
// (applicationset/controllers/template), fed examples/applicationset.yaml and a fake
// Kubernetes client holding the plugin ConfigMap and token Secret as manifests/ installs
// them. The fake client is the one stand-in: no API server runs in these tests.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-cd/v2/applicationset/controllers/template"
	"github.com/argoproj/argo-cd/v2/applicationset/generators"
	"github.com/argoproj/argo-cd/v2/applicationset/utils"
	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	log "github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/shopset/shopset/internal/golden"
)

func init() {
	// Argo CD's code logs every generated Application and expected error through logrus.
	log.SetOutput(io.Discard)
}

// exampleRepoURL is what examples/applicationset.yaml names; goldens use it in place of
// the test's own URL.
const exampleRepoURL = "https://git.shop.example/platform.git"

// argo runs Argo CD's ApplicationSet code for examples/applicationset.yaml against the
// generator at baseURL, authenticating with token.
type argo struct {
	t       *testing.T
	baseURL string
	token   string
	repoURL string
	params  map[string]string // extra generator input parameters
	appset  string            // the ApplicationSet file in examples/; default applicationset.yaml
}

func (a argo) applications() ([]v1alpha1.Application, error) {
	t := a.t
	t.Helper()
	file := a.appset
	if file == "" {
		file = "applicationset.yaml"
	}
	raw, err := os.ReadFile(filepath.Join("..", "examples", file))
	require.NoError(t, err)
	var appset v1alpha1.ApplicationSet
	require.NoError(t, sigsyaml.UnmarshalStrict(raw, &appset))
	gen := appset.Spec.Generators[0].Plugin
	gen.Input.Parameters["repoURL"] = apiextensionsv1.JSON{Raw: []byte(`"` + a.repoURL + `"`)}
	for k, v := range a.params {
		gen.Input.Parameters[k] = apiextensionsv1.JSON{Raw: []byte(v)}
	}

	scheme := runtime.NewScheme()
	require.NoError(t, corev1.AddToScheme(scheme))
	require.NoError(t, v1alpha1.AddToScheme(scheme))
	// As manifests/generator-plugin.yaml and generator-secret.yaml install them.
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "shopset-generator", Namespace: "argocd"},
		Data:       map[string]string{"baseUrl": a.baseURL, "token": "$shopset-generator:token", "requestTimeout": "10"},
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "shopset-generator", Namespace: "argocd",
			Labels: map[string]string{"app.kubernetes.io/part-of": "argocd"}},
		Data: map[string][]byte{"token": []byte(a.token)},
	}
	cl := fake.NewClientBuilder().WithScheme(scheme).WithObjects(cm, secret).Build()
	plugin := generators.NewPluginGenerator(cl, context.Background(), k8sfake.NewSimpleClientset(), "argocd")
	apps, _, err := template.GenerateApplications(log.NewEntry(log.StandardLogger()), appset,
		map[string]generators.Generator{"Plugin": plugin}, &utils.Render{}, cl)
	return apps, err
}

// yamlOf renders Applications for a golden file, with the test's repository URL
// replaced by the example's.
func (a argo) yamlOf(apps []v1alpha1.Application) []byte {
	var b bytes.Buffer
	for _, app := range apps {
		js, err := json.Marshal(app)
		require.NoError(a.t, err)
		// Only what the template made: status and server-set metadata are noise here.
		var m map[string]any
		require.NoError(a.t, json.Unmarshal(js, &m))
		delete(m, "status")
		delete(m["metadata"].(map[string]any), "creationTimestamp")
		out, err := sigsyaml.Marshal(m)
		require.NoError(a.t, err)
		b.WriteString("---\n")
		b.Write(out)
	}
	return []byte(strings.ReplaceAll(b.String(), a.repoURL, exampleRepoURL))
}

func appNames(apps []v1alpha1.Application) []string {
	var out []string
	for _, a := range apps {
		out = append(out, a.Name)
	}
	return out
}

func appByName(t *testing.T, apps []v1alpha1.Application, name string) v1alpha1.Application {
	t.Helper()
	for _, a := range apps {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no Application %s in %v", name, appNames(apps))
	return v1alpha1.Application{}
}

func TestArgoCDRendersApplications(t *testing.T) {
	for _, transport := range []string{"file", "http"} {
		t.Run(transport, func(t *testing.T) {
			f := newFixture(t, transport)
			a := f.argo(t)
			apps, err := a.applications()
			require.NoError(t, err)
			require.Len(t, apps, 9)
			golden.Assert(t, filepath.Join("testdata", "applications.yaml"), a.yamlOf(apps))

			prod := appByName(t, apps, "shopset-a-2")
			assert.Nil(t, prod.Spec.SyncPolicy.Automated, "prod syncs by hand")
			dev := appByName(t, apps, "shopset-c-2")
			require.NotNil(t, dev.Spec.SyncPolicy.Automated, "dev syncs on its own")
			assert.Equal(t, f.repo.Branches["tier/dev"], dev.Spec.Source.TargetRevision)
		})
	}
}

func TestArgoCDFilters(t *testing.T) {
	f := newFixture(t, "file")
	a := f.argo(t)
	a.params = map[string]string{"tier": `["dev","beta"]`, "configuration": `"production"`}
	apps, err := a.applications()
	require.NoError(t, err)
	assert.Equal(t, []string{"shopset-c-2", "shopset-c-1"}, appNames(apps))

	a.params = map[string]string{"tier": `"prd"`}
	apps, err = a.applications()
	require.Error(t, err, "a filter naming nothing would delete every Application it used to select")
	assert.Contains(t, err.Error(), `"prd" is not in shopsets.yaml`)
	assert.Empty(t, apps)
}

// Each failure reaches Argo CD as an error, or as the last good Applications: never as
// zero Applications.
func TestArgoCDFailClosed(t *testing.T) {
	t.Run("bad token", func(t *testing.T) {
		f := newFixture(t, "file")
		a := f.argo(t)
		a.token = "not-the-token"
		apps, err := a.applications()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "missing or invalid bearer token")
		assert.Empty(t, apps)
	})

	t.Run("Git down before any snapshot", func(t *testing.T) {
		f := newFixtureDown(t)
		apps, err := f.argo(t).applications()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "unavailable")
		assert.Empty(t, apps)
	})

	t.Run("Git down after a good snapshot", func(t *testing.T) {
		f := newFixture(t, "http")
		a := f.argo(t)
		before, err := a.applications()
		require.NoError(t, err)
		f.git.SetDown(true)
		f.gen.Refresh(context.Background())
		after, err := a.applications()
		require.NoError(t, err)
		assert.Equal(t, appNames(before), appNames(after))
		assert.True(t, f.status(t).Repositories[0].Views[0].Stale)
		assert.NotEmpty(t, f.status(t).Repositories[0].LastError)
	})

	// A private repository whose token stops working (a rotation gone wrong, a revoked
	// token): the last good Applications while it may be served stale, then an error
	// naming the repository and why, never zero Applications.
	t.Run("Git credentials refused after a good snapshot", func(t *testing.T) {
		for _, maxStale := range []time.Duration{time.Hour, time.Nanosecond} {
			t.Run(maxStale.String(), func(t *testing.T) {
				f, tokenFile := newPrivateFixture(t, func(f *fixture) { f.cfg.MaxStale = maxStale })
				a := f.argo(t)
				before, err := a.applications()
				require.NoError(t, err)
				require.Len(t, before, 9)

				require.NoError(t, os.WriteFile(tokenFile, []byte("revoked-token\n"), 0o600))
				f.gen.Refresh(context.Background())
				repo := f.status(t).Repositories[0]
				assert.Contains(t, repo.LastError, "Authentication failed", "the status says why")
				assert.Contains(t, repo.LastError, f.url, "and for which repository")
				assert.NotContains(t, repo.LastError, "revoked-token")
				after, err := a.applications()
				if maxStale == time.Hour {
					require.NoError(t, err)
					assert.Equal(t, appNames(before), appNames(after), "the last good Applications, every one")
					assert.True(t, f.status(t).Repositories[0].Views[0].Stale)
					return
				}
				require.Error(t, err, "a refusal that lasts must show in the ApplicationSet")
				assert.Empty(t, after)
				assert.Contains(t, err.Error(), "Authentication failed")
				assert.Contains(t, err.Error(), f.url)
			})
		}
	})

	t.Run("Git credentials refused before any snapshot", func(t *testing.T) {
		f, _ := newPrivateFixture(t, func(f *fixture) {
			require.NoError(t, os.WriteFile(f.cfg.Credentials.TokenFile, []byte("wrong-token"), 0o600))
		})
		apps, err := f.argo(t).applications()
		require.Error(t, err)
		assert.Empty(t, apps)
		assert.Contains(t, err.Error(), "Authentication failed")
		assert.Contains(t, err.Error(), f.url)
		assert.NotContains(t, err.Error(), "wrong-token")
		t.Logf("Argo CD shows: %v", err)
	})

	t.Run("broken inventory before any snapshot", func(t *testing.T) {
		f := newFixtureWith(t, "file", func(f *fixture) {
			f.commitInventory(t, strings.Replace(f.inventory(t), "tier: prod", "tier: production", 1), "Break the inventory")
		})
		apps, err := f.argo(t).applications()
		require.Error(t, err)
		assert.Contains(t, err.Error(), `unknown tier "production"`)
		assert.Empty(t, apps)
	})

	t.Run("Git down longer than MaxStale", func(t *testing.T) {
		f := newFixtureWith(t, "http", func(f *fixture) { f.cfg.MaxStale = time.Nanosecond })
		a := f.argo(t)
		_, err := a.applications()
		require.NoError(t, err)
		f.git.SetDown(true)
		f.gen.Refresh(context.Background())
		apps, err := a.applications()
		require.Error(t, err, "an outage that lasts must show in the ApplicationSet")
		assert.Contains(t, err.Error(), "longer than the 1ns a snapshot may be served stale")
		assert.Empty(t, apps)
		assert.False(t, f.status(t).Repositories[0].Views[0].Stale)

		f.git.SetDown(false)
		f.gen.Refresh(context.Background())
		_, err = a.applications()
		require.NoError(t, err, "it recovers once Git answers")
	})

	// A broken inventory is an error even with a good snapshot in hand: Argo CD shows it
	// in the ApplicationSet and keeps every Application as it is.
	t.Run("broken inventory after a good snapshot", func(t *testing.T) {
		f := newFixture(t, "file")
		a := f.argo(t)
		_, err := a.applications()
		require.NoError(t, err)
		f.commitInventory(t, f.inventory(t)+"unknownField: 1\n", "Break the inventory")
		apps, err := a.applications()
		require.Error(t, err)
		assert.Contains(t, err.Error(), `unknown field "unknownField"`)
		assert.Empty(t, apps)
		view := f.status(t).Repositories[0].Views[0]
		assert.False(t, view.Stale)
		assert.Contains(t, view.LastError, `unknown field "unknownField"`)
	})

	t.Run("mass removal until confirmed in Git", func(t *testing.T) {
		f := newFixture(t, "file")
		a := f.argo(t)
		_, err := a.applications()
		require.NoError(t, err)
		inv := f.inventory(t)
		// Keep a-1 only, and no shops: they would have no ShopSet left to serve them.
		kept := inv[:strings.Index(inv, "  - name: a-2")]
		f.commitInventory(t, kept, "Drop most ShopSets")
		apps, err := a.applications()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "removes 8 of the 9 ShopSets of ")
		assert.Contains(t, err.Error(), "Shopset-Confirm-Removal: 8")
		assert.Empty(t, apps)

		f.commitInventory(t, kept+"\n", "Confirm dropping most ShopSets\n\nShopset-Confirm-Removal: 8\n")
		apps, err = a.applications()
		require.NoError(t, err)
		assert.Equal(t, []string{"shopset-a-1"}, appNames(apps))
	})
}

func TestArgoCDPinsAgainstPushToProd(t *testing.T) {
	f := newFixture(t, "file")
	a := f.argo(t)
	before, err := a.applications()
	require.NoError(t, err)
	pushed := f.gitRepo.Commit(t, "tier/prod", map[string]string{"apps/hotfix.txt": "straight to prod\n"}, "Hotfix straight to prod")

	after, err := a.applications()
	require.NoError(t, err)
	for _, name := range []string{"shopset-a-2", "shopset-b-1"} {
		assert.Equal(t, appByName(t, before, name).Spec.Source.TargetRevision, appByName(t, after, name).Spec.Source.TargetRevision,
			"%s must stay on the pinned revision", name)
	}
	prod, ok := f.tier(t, "prod")
	require.True(t, ok)
	assert.Equal(t, pushed, prod.Head)
	assert.Equal(t, f.repo.Branches["tier/prod"], prod.Pinned)
	require.Len(t, prod.Held, 1)
	assert.Equal(t, pushed, prod.Held[0].ID)
	assert.Equal(t, "Hotfix straight to prod", prod.Held[0].Subject)
}

func TestArgoCDSeesPushOnNextCall(t *testing.T) {
	f := newFixture(t, "http")
	a := f.argo(t)
	_, err := a.applications()
	require.NoError(t, err)
	inv := f.inventory(t)
	f.commitInventory(t, strings.Replace(inv, "# How shops are placed",
		"  - name: d-1\n    tier: dev\n    configuration: production\n    cluster: cluster-b\n\n# How shops are placed", 1), "Add d-1")
	apps, err := a.applications()
	require.NoError(t, err)
	assert.Contains(t, appNames(apps), "shopset-d-1", "the call after a push must see it")
}

func TestWebhookTriggersRefresh(t *testing.T) {
	f := newFixtureWith(t, "http", func(f *fixture) { f.cfg.RefCheckTTL = time.Hour })
	a := f.argo(t)
	_, err := a.applications()
	require.NoError(t, err)
	commit := f.commitInventory(t, strings.Replace(f.inventory(t), "# How shops are placed",
		"  - name: d-1\n    tier: dev\n    configuration: production\n    cluster: cluster-b\n\n# How shops are placed", 1), "Add d-1")
	apps, err := a.applications()
	require.NoError(t, err)
	require.NotContains(t, appNames(apps), "shopset-d-1", "without the webhook the mirror is trusted for an hour")

	f.pushWebhook(t)
	deadline := time.Now().Add(20 * time.Second)
	for f.status(t).Repositories[0].Views[0].InventoryCommit != commit {
		require.True(t, time.Now().Before(deadline), "the webhook did not refresh the mirror")
		time.Sleep(20 * time.Millisecond)
	}
	apps, err = a.applications()
	require.NoError(t, err)
	assert.Contains(t, appNames(apps), "shopset-d-1")
}

// examples/routing-applicationset.yaml gets one routing Application per cluster, each
// rendering from the inventory commit the generator serves.
func TestArgoCDRendersRoutingApplications(t *testing.T) {
	f := newFixture(t, "file")
	a := f.argo(t)
	a.appset = "routing-applicationset.yaml"
	apps, err := a.applications()
	require.NoError(t, err)
	assert.Equal(t, []string{"shopset-routing-cluster-a", "shopset-routing-cluster-b", "shopset-routing-cluster-c"}, appNames(apps))
	for _, app := range apps {
		assert.Equal(t, f.repo.Branches["main"], app.Spec.Source.TargetRevision)
	}
	golden.Assert(t, filepath.Join("testdata", "routing-applications.yaml"), a.yamlOf(apps))

	a.params = map[string]string{"tier": `"prod"`}
	_, err = a.applications()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `only the "cluster" filter applies`)
}
