package cluster_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/shopset/shopset/installcheck"
	"github.com/shopset/shopset/installcheck/cluster"
	"github.com/shopset/shopset/manifests"
)

var gvrAppProject = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "appprojects"}

// argoResources is discovery of a cluster with Argo CD's CRDs at version.
func argoResources(version string) []*metav1.APIResourceList {
	return []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{{Name: "configmaps", Namespaced: true, Kind: "ConfigMap"}}},
		{GroupVersion: "argoproj.io/" + version, APIResources: []metav1.APIResource{
			{Name: "applications", Namespaced: true, Kind: "Application"},
			{Name: "applications/status", Namespaced: true, Kind: "Application"},
			{Name: "applicationsets", Namespaced: true, Kind: "ApplicationSet"},
			{Name: "appprojects", Namespaced: true, Kind: "AppProject"},
		}},
	}
}

type fakeCluster struct {
	kube *fake.Clientset
	dyn  *dynamicfake.FakeDynamicClient
}

func newFake(t *testing.T, resources []*metav1.APIResourceList, objs []runtime.Object, projects ...string) *fakeCluster {
	t.Helper()
	kube := fake.NewSimpleClientset(objs...)
	kube.Discovery().(*fakediscovery.FakeDiscovery).Resources = resources
	var dynObjs []runtime.Object
	for _, p := range projects {
		dynObjs = append(dynObjs, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": map[string]any{"name": p, "namespace": "argocd"}}})
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{gvrAppProject: "AppProjectList"}, dynObjs...)
	return &fakeCluster{kube: kube, dyn: dyn}
}

func (f *fakeCluster) read(t *testing.T, namespace string, pre bool) (installcheck.State, error) {
	t.Helper()
	want, err := installcheck.Load(manifests.FS)
	require.NoError(t, err)
	return cluster.Read(context.Background(), cluster.Clients{Kube: f.kube, Dynamic: f.dyn}, namespace, want, pre)
}

// installed is the install's objects in namespace argocd, and Argo CD's.
func installed(t *testing.T) []runtime.Object {
	t.Helper()
	want, err := installcheck.Load(manifests.FS)
	require.NoError(t, err)
	var objs []runtime.Object
	repo := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "argocd-repo-server", Namespace: "argocd"}}
	params := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "argocd-cmd-params-cm", Namespace: "argocd"}}
	gen := want.Generator.DeepCopy()
	svc := want.GeneratorService.DeepCopy()
	plugin := want.GeneratorPlugin.DeepCopy()
	cmp := want.CMPPlugin.DeepCopy()
	secret := want.GeneratorSecret.DeepCopy()
	for _, o := range []metav1.Object{gen, svc, plugin, cmp, secret} {
		o.SetNamespace("argocd")
	}
	return append(objs, repo, params, gen, svc, plugin, cmp, secret)
}

func TestReadsEveryObjectOfTheInstall(t *testing.T) {
	f := newFake(t, argoResources("v1alpha1"), installed(t), "shopsets")
	s, err := f.read(t, "argocd", false)
	require.NoError(t, err)
	assert.Equal(t, "argocd", s.Namespace)
	assert.Equal(t, map[string][]string{"applications": {"v1alpha1"}, "applicationsets": {"v1alpha1"}, "appprojects": {"v1alpha1"}}, s.Served)
	for name, o := range map[string]any{"repo-server": s.RepoServer, "cmd params": s.CmdParams, "cmp plugin": s.CMPPlugin,
		"generator": s.Generator, "service": s.GeneratorService, "generator plugin": s.GeneratorPlugin, "secret": s.GeneratorSecret} {
		assert.NotNil(t, o, name)
	}
	assert.Equal(t, "shopset-generator", s.GeneratorSecret.Name)
	assert.True(t, s.AppProject)
	assert.Empty(t, s.Unreadable)
	assert.Empty(t, s.RepoServerElsewhere)

	// --pre reads Argo CD's objects only.
	pre, err := f.read(t, "argocd", true)
	require.NoError(t, err)
	assert.NotNil(t, pre.RepoServer)
	assert.NotNil(t, pre.CmdParams)
	assert.Nil(t, pre.Generator)
	assert.Nil(t, pre.GeneratorSecret)
	assert.False(t, pre.AppProject)
}

func TestNothingInstalled(t *testing.T) {
	f := newFake(t, argoResources("v1alpha1")[:1], nil)
	s, err := f.read(t, "argocd", false)
	require.NoError(t, err)
	assert.Empty(t, s.Served)
	assert.Nil(t, s.RepoServer)
	assert.Nil(t, s.Generator)
	assert.False(t, s.AppProject)
}

func TestArgoCDsKindsAtAnotherVersion(t *testing.T) {
	f := newFake(t, argoResources("v1beta1"), nil)
	s, err := f.read(t, "argocd", true)
	require.NoError(t, err)
	assert.Equal(t, []string{"v1beta1"}, s.Served["applications"])
	assert.NotContains(t, s.Served, "applications/status")
}

func TestTheRepoServerInAnotherNamespace(t *testing.T) {
	objs := []runtime.Object{
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "argocd-repo-server", Namespace: "gitops"}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: "apps"}},
	}
	f := newFake(t, argoResources("v1alpha1"), objs)
	s, err := f.read(t, "argocd", true)
	require.NoError(t, err)
	assert.Nil(t, s.RepoServer)
	assert.Equal(t, []string{"gitops"}, s.RepoServerElsewhere)
}

func TestForbiddenObjectsAreUnreadableNotErrors(t *testing.T) {
	f := newFake(t, argoResources("v1alpha1"), installed(t))
	f.kube.PrependReactor("get", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "shopset-generator", errors.New("RBAC"))
	})
	f.dyn.PrependReactor("get", "appprojects", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(gvrAppProject.GroupResource(), "shopsets", errors.New("RBAC"))
	})
	s, err := f.read(t, "argocd", false)
	require.NoError(t, err)
	assert.Nil(t, s.GeneratorSecret)
	assert.Contains(t, s.Unreadable["Secret/shopset-generator"], "forbidden")
	assert.Contains(t, s.Unreadable["AppProject/shopsets"], "forbidden")
	assert.NotNil(t, s.Generator)
}

func TestOtherFailuresAreErrors(t *testing.T) {
	f := newFake(t, argoResources("v1alpha1"), installed(t))
	f.kube.PrependReactor("get", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewServiceUnavailable("etcd is down")
	})
	_, err := f.read(t, "argocd", false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "reading Deployment argocd/argocd-repo-server: etcd is down")
}
