package manifests_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/render"
	"github.com/shopset/shopset/routing"
)

// project is the AppProject as kubectl apply -k manifests/ installs it, decoded by Argo
// CD's own type: a field Argo CD does not know fails the test.
func project(t *testing.T) v1alpha1.AppProject {
	t.Helper()
	r, ok := build(t)["AppProject/shopsets"]
	require.True(t, ok, "manifests/ installs no AppProject shopsets")
	y, err := r.AsYAML()
	require.NoError(t, err)
	var p v1alpha1.AppProject
	require.NoError(t, sigsyaml.UnmarshalStrict(y, &p))
	return p
}

func noClusters(string) ([]*v1alpha1.Cluster, error) { return nil, nil }

// The project's rules, as Argo CD's sync applies them (controller/sync.go in v2.14: every
// object's group and kind with its scope, and a namespaced object's namespace).
func TestAppProject(t *testing.T) {
	p := project(t)
	const server = "https://cluster-a.k8s.shop.example"

	t.Run("cluster-scoped: Namespace only, for CreateNamespace=true", func(t *testing.T) {
		// gitops-engine's autoCreateNamespace adds the Namespace to the sync's tasks before
		// the permission check, so CreateNamespace=true needs it here.
		assert.True(t, p.IsGroupKindPermitted(schema.GroupKind{Kind: "Namespace"}, false))
		for _, gk := range []schema.GroupKind{
			{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"},
			{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"},
			{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"},
			{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"},
			{Group: "storage.k8s.io", Kind: "StorageClass"},
			{Kind: "PersistentVolume"},
			{Group: "shop.example", Kind: "Namespace"},
		} {
			assert.False(t, p.IsGroupKindPermitted(gk, false), gk.String())
		}
	})

	t.Run("namespaced: every kind", func(t *testing.T) {
		for _, gk := range []schema.GroupKind{
			{Group: "apps", Kind: "Deployment"}, {Kind: "ConfigMap"}, {Kind: "Secret"},
			{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}, {Group: "shop.example", Kind: "Widget"},
		} {
			assert.True(t, p.IsGroupKindPermitted(gk, true), gk.String())
		}
	})

	t.Run("destinations: ShopSet namespaces on any cluster", func(t *testing.T) {
		for ns, want := range map[string]bool{
			"shopset-a-1": true, routing.DefaultNamespace: true,
			"argocd": false, "kube-system": false, "default": false, "shop-a": false, "": false,
		} {
			ok, err := p.IsDestinationPermitted(v1alpha1.ApplicationDestination{Server: server, Namespace: ns}, noClusters)
			require.NoError(t, err)
			assert.Equal(t, want, ok, ns)
		}
	})

	t.Run("sources: the example repository", func(t *testing.T) {
		assert.True(t, p.IsSourcePermitted(v1alpha1.ApplicationSource{RepoURL: "https://git.shop.example/platform.git"}))
	})
}

// Every object the example ShopSets render, in their namespaces on their clusters, is one
// the project lets Argo CD apply, and the example ApplicationSets use the project.
func TestAppProjectAdmitsTheExamples(t *testing.T) {
	p := project(t)
	inv, sets, err := examples.ShopSets()
	require.NoError(t, err)
	for _, s := range sets {
		cl, ok := inv.Cluster(s.Cluster)
		require.True(t, ok)
		m, err := render.RenderManifests(s.Tree, render.FromInventory(inv, s.ShopSet))
		require.NoError(t, err, s.Name)
		for _, js := range m.JSON {
			var obj struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct {
					Name, Namespace string
				} `json:"metadata"`
			}
			require.NoError(t, json.Unmarshal(js, &obj))
			gk := schema.FromAPIVersionAndKind(obj.APIVersion, obj.Kind).GroupKind()
			what := s.Name + ": " + obj.Kind + "/" + obj.Metadata.Name
			namespaced := obj.Metadata.Namespace != ""
			assert.True(t, p.IsGroupKindPermitted(gk, namespaced), what)
			if namespaced {
				ok, err := p.IsDestinationPermitted(v1alpha1.ApplicationDestination{Server: cl.Server, Namespace: obj.Metadata.Namespace}, noClusters)
				require.NoError(t, err)
				assert.True(t, ok, what)
			}
		}
	}
	for _, file := range []string{"applicationset.yaml", "routing-applicationset.yaml"} {
		raw, err := os.ReadFile(filepath.Join("..", "examples", file))
		require.NoError(t, err)
		var set v1alpha1.ApplicationSet
		require.NoError(t, sigsyaml.UnmarshalStrict(raw, &set))
		assert.Equal(t, p.Name, set.Spec.Template.Spec.Project, file)
	}
}
