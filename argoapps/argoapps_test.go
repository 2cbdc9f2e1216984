package argoapps_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/shopset/shopset/argoapps"
)

// application is an Application as Argo CD v2.14 keeps it after two syncs (trimmed to the
// fields read, and a few beside them).
const application = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: shopset-c-2
  namespace: argocd
  labels:
    shopset.io/name: c-2
    shopset.io/tier: dev
spec:
  project: shopsets
  destination: {server: https://c.k8s.example, namespace: shopset-c-2}
  source:
    repoURL: https://git.shop.example/platform.git
    targetRevision: "2222222222222222222222222222222222222222"
    path: .
    plugin: {name: shopset}
status:
  sync:
    status: Synced
    revision: "2222222222222222222222222222222222222222"
  health:
    status: Healthy
  operationState:
    phase: Succeeded
    startedAt: "2026-12-02T11:59:50Z"
    finishedAt: "2026-12-02T12:00:00Z"
  history:
    - {id: 0, revision: "1111111111111111111111111111111111111111", deployedAt: "2026-12-01T10:00:00Z"}
    - {id: 1, revision: "2222222222222222222222222222222222222222", deployedAt: "2026-12-02T12:00:00Z"}
`

// runSynced runs r until the test ends and waits until its cache has synced.
func runSynced(t *testing.T, r *argoapps.Reader) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go r.Run(ctx)
	waitCtx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	require.True(t, r.WaitForSync(waitCtx))
}

func object(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	require.NoError(t, sigsyaml.Unmarshal([]byte(y), &m))
	return &unstructured.Unstructured{Object: m}
}

func TestFromUnstructured(t *testing.T) {
	a, err := argoapps.FromUnstructured(object(t, application))
	require.NoError(t, err)
	assert.Equal(t, argoapps.App{
		Name: "shopset-c-2", ShopSet: "c-2", Tier: "dev",
		TargetRevision: "2222222222222222222222222222222222222222",
		SyncRevision:   "2222222222222222222222222222222222222222", SyncStatus: "Synced", Health: "Healthy",
		SyncedAt: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC),
		History:  []string{"1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"},
	}, a)

	// A label taken off by hand: the name still says whose it is.
	u := object(t, application)
	u.SetLabels(nil)
	a, err = argoapps.FromUnstructured(u)
	require.NoError(t, err)
	assert.Equal(t, "c-2", a.ShopSet)
	assert.Contains(t, a.Problems, `no shopset.io/name label: taken for ShopSet "c-2" by its name`)
	for _, name := range []string{"shopset-routing-cluster-a", "guestbook", "shopset-"} {
		u.SetName(name)
		_, err = argoapps.FromUnstructured(u)
		assert.ErrorContains(t, err, "no shopset.io/name label", name)
	}

	// A time it cannot read is left unknown and said, never a reason to drop the
	// Application (which would read as a ShopSet with nothing to protect).
	u = object(t, application)
	require.NoError(t, unstructured.SetNestedField(u.Object, "yesterday", "status", "operationState", "finishedAt"))
	a, err = argoapps.FromUnstructured(u)
	require.NoError(t, err)
	assert.True(t, a.SyncedAt.IsZero())
	require.Len(t, a.Problems, 1)
	assert.Contains(t, a.Problems[0], "status.operationState.finishedAt")
	_, notes := argoapps.Index([]argoapps.App{a})
	assert.Contains(t, notes[0], `Application "shopset-c-2": status.operationState.finishedAt`)
}

// The reader's cache, filled through client-go's fake dynamic client: a stand-in for the
// API server here (the end-to-end suite reads real Applications from a real one).
func TestReaderListsShopSetApplications(t *testing.T) {
	other := object(t, application)
	other.SetName("not-a-shopset")
	other.SetLabels(map[string]string{"app": "x"})
	elsewhere := object(t, application)
	elsewhere.SetNamespace("other")
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{argoapps.GVR: "ApplicationList"},
		object(t, application), other, elsewhere)
	r := argoapps.NewWithClient(client, "argocd")

	_, err := r.List()
	require.ErrorIs(t, err, argoapps.ErrNotSynced, "nothing is known before the cache has synced")

	runSynced(t, r)
	apps, err := r.List()
	require.NoError(t, err)
	require.Len(t, apps, 1)
	assert.Equal(t, "c-2", apps[0].ShopSet)
}

func TestHealthAndIndex(t *testing.T) {
	u := object(t, application)
	require.NoError(t, unstructured.SetNestedMap(u.Object, map[string]any{
		"status": "Degraded", "lastTransitionTime": "2026-12-02T12:01:00Z",
	}, "status", "health"))
	require.NoError(t, unstructured.SetNestedSlice(u.Object, []any{
		map[string]any{"kind": "Service", "name": "web", "health": map[string]any{"status": "Healthy"}},
		map[string]any{"kind": "Deployment", "name": "web", "health": map[string]any{
			"status": "Degraded", "message": `Deployment "web" exceeded its progress deadline`}},
	}, "status", "resources"))
	degraded, err := argoapps.FromUnstructured(u)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 12, 2, 12, 1, 0, 0, time.UTC), degraded.HealthSince)
	assert.Equal(t, `Deployment/web: Deployment "web" exceeded its progress deadline`, degraded.HealthMessage)
	assert.Empty(t, degraded.Rollout().HealthySince, "a Degraded Application has not been Healthy since then")

	healthy, err := argoapps.FromUnstructured(object(t, application))
	require.NoError(t, err)
	healthy.ShopSet, healthy.Name = "c-1", "shopset-c-1"
	twin := degraded
	twin.Name = "shopset-c-2-copy"

	twin.SyncRevision = "3333333333333333333333333333333333333333"
	idx, notes := argoapps.Index([]argoapps.App{twin, healthy, degraded})
	assert.Len(t, idx, 2)
	assert.Equal(t, "2222222222222222222222222222222222222222", idx["c-1"].Revision)
	assert.True(t, idx["c-1"].Synced)
	// Claimed twice: held at the first's revision (by name), never Synced nor Healthy.
	assert.Equal(t, "2222222222222222222222222222222222222222", idx["c-2"].Revision)
	assert.False(t, idx["c-2"].Synced)
	assert.Equal(t, "Unknown", idx["c-2"].Health)
	require.Len(t, notes, 1)
	assert.Contains(t, notes[0], `Applications "shopset-c-2" and "shopset-c-2-copy" both claim ShopSet "c-2"`)
}

// An API server that stops answering makes the cache untrusted within a probe, even
// while the watch says nothing: List then fails, with what the cache last held.
func TestReaderNoticesAnAPIServerThatStopsAnswering(t *testing.T) {
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{argoapps.GVR: "ApplicationList"}, object(t, application))
	r := argoapps.NewWithClient(client, "argocd")
	runSynced(t, r)
	_, err := r.List()
	require.NoError(t, err)

	var cut atomic.Bool
	client.PrependReactor("list", "applications", func(clienttesting.Action) (bool, runtime.Object, error) {
		if cut.Load() {
			return true, nil, errors.New("connection refused")
		}
		return false, nil, nil
	})
	cut.Store(true)
	require.Eventually(t, func() bool { _, err := r.List(); return err != nil },
		3*(argoapps.ProbeInterval+argoapps.ProbeTimeout), 50*time.Millisecond)
	apps, err := r.List()
	require.ErrorIs(t, err, argoapps.ErrNotSynced)
	assert.Contains(t, err.Error(), "the Kubernetes API does not answer")
	assert.Len(t, apps, 1, "what the cache last held")

	cut.Store(false)
	require.Eventually(t, func() bool { _, err := r.List(); return err == nil },
		3*(argoapps.ProbeInterval+argoapps.ProbeTimeout), 50*time.Millisecond, "trusted again once it answers")
}

// An install that cannot work: Argo CD's Application CRD not served, or RBAC forbidding
// the generator to list Applications. The reader's error says what to do (and it is what
// getparams answers, which the ApplicationSet shows).
func TestReaderSaysWhatToDoWhenTheInstallCannotWork(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"no Application CRD", apierrors.NewNotFound(argoapps.GVR.GroupResource(), ""),
			"the Kubernetes API serves no Applications at argoproj.io/v1alpha1: install Argo CD first (shopset supports v2.14 and v3.x); `shopctl check -n argocd` says what else the install lacks"},
		{"no RBAC", apierrors.NewForbidden(argoapps.GVR.GroupResource(), "", errors.New("RBAC")),
			"the generator may not list Applications in namespace argocd: apply manifests/ there (the generator's Role and RoleBinding)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
				map[schema.GroupVersionResource]string{argoapps.GVR: "ApplicationList"})
			client.PrependReactor("list", "applications", func(clienttesting.Action) (bool, runtime.Object, error) {
				return true, nil, tc.err
			})
			r := argoapps.NewWithClient(client, "argocd")
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			go r.Run(ctx)
			require.Eventually(t, func() bool {
				_, err := r.List()
				return err != nil && err.Error() != argoapps.ErrNotSynced.Error()
			}, 10*time.Second, 20*time.Millisecond, "a reason once the list has failed")
			apps, err := r.List()
			require.ErrorIs(t, err, argoapps.ErrNotSynced)
			assert.Nil(t, apps)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "does not answer", "the API server answered")
		})
	}
}
