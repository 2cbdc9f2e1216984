package render_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/render"
)

// Objects of the checkout that the cases below add to apps/.
const (
	namespaceYAML   = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"
	clusterRoleYAML = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n" +
		"rules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: [get]\n"
	bindingYAML = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: reader\n" +
		"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}\n" +
		"subjects:\n- {kind: ServiceAccount, name: default}\n"
	// A ClusterRole written with a namespace: Kustomize leaves it there, Kubernetes ignores it.
	namespacedClusterRoleYAML = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n" +
		"  name: sneaky\n  namespace: shopset-a-1\nrules: []\n"
	// A custom resource of a kind Kustomize does not know: its namespace transformer treats
	// it as namespaced and sets the ShopSet's namespace.
	widgetYAML = "apiVersion: shop.example/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 1\n"
	crdYAML    = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.shop.example\n" +
		"spec:\n  group: shop.example\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions: []\n"
)

// apps returns base() with apps/ holding the ConfigMap and files.
func apps(files map[string]string) map[string]string {
	resources := "resources: [cm.yaml"
	out := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		resources += ", " + name
		out["apps/"+name] = files[name]
	}
	out["apps/kustomization.yaml"] = resources + "]\n"
	return out
}

func allowing(kinds ...string) render.ShopSet {
	s := shopset("production")
	s.AllowClusterScoped = kinds
	return s
}

func TestRenderClusterScoped(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		s       render.ShopSet
		wantErr string
		want    []string // in the output, when it renders
	}{
		{
			name:  "a Namespace, none allowed",
			files: map[string]string{"ns.yaml": namespaceYAML},
			s:     shopset("production"),
			// Kustomize's namespace transformer names a Namespace object after the overlay's namespace.
			wantErr: `shopset "a-1": Namespace/shopset-a-1 is cluster-scoped; shopsets.yaml allows none (allowClusterScoped)`,
		},
		{
			name:    "a ClusterRole, only Namespace allowed",
			files:   map[string]string{"role.yaml": clusterRoleYAML},
			s:       allowing("Namespace"),
			wantErr: `shopset "a-1": ClusterRole/reader is cluster-scoped; shopsets.yaml allows only Namespace (allowClusterScoped)`,
		},
		{
			name:    "several, each named",
			files:   map[string]string{"ns.yaml": namespaceYAML, "role.yaml": clusterRoleYAML, "binding.yaml": bindingYAML},
			s:       allowing("ClusterRoleBinding", "Namespace"),
			wantErr: `shopset "a-1": ClusterRole/reader is cluster-scoped; shopsets.yaml allows only ClusterRoleBinding, Namespace (allowClusterScoped)`,
		},
		{
			name:  "several refused",
			files: map[string]string{"ns.yaml": namespaceYAML, "role.yaml": clusterRoleYAML},
			s:     shopset("production"),
			// In Kustomize's (legacy) order, as the output would have them.
			wantErr: `shopset "a-1": Namespace/shopset-a-1, ClusterRole/reader are cluster-scoped; shopsets.yaml allows none (allowClusterScoped)`,
		},
		{
			name:    "a ClusterRole written with a namespace",
			files:   map[string]string{"role.yaml": namespacedClusterRoleYAML},
			s:       shopset("production"),
			wantErr: `shopset "a-1": ClusterRole/sneaky is cluster-scoped; shopsets.yaml allows none (allowClusterScoped)`,
		},
		{
			name:    "a CustomResourceDefinition",
			files:   map[string]string{"crd.yaml": crdYAML},
			s:       allowing("Widget"),
			wantErr: `shopset "a-1": CustomResourceDefinition/widgets.shop.example is cluster-scoped; shopsets.yaml allows only Widget (allowClusterScoped)`,
		},
		{
			name:  "allowed when listed",
			files: map[string]string{"ns.yaml": namespaceYAML, "role.yaml": clusterRoleYAML, "binding.yaml": bindingYAML},
			s:     allowing("Namespace", "ClusterRole", "ClusterRoleBinding"),
			want:  []string{"kind: Namespace\nmetadata:\n", "kind: ClusterRole\nmetadata:\n", "kind: ClusterRoleBinding\nmetadata:\n", "name: reader\n"},
		},
		{
			name:  "a custom resource gets the namespace and passes",
			files: map[string]string{"widget.yaml": widgetYAML},
			s:     shopset("production"),
			want:  []string{"kind: Widget\nmetadata:\n", "  name: w\n  namespace: shopset-a-1\n"},
		},
		{
			name:  "namespaced objects only",
			files: map[string]string{},
			s:     shopset("production"),
			want:  []string{"kind: ConfigMap\n", "  namespace: shopset-a-1\n"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := with(apps(tc.files))
			out, err := render.Render(fsys, tc.s)
			// A batch (shopctl diff) gives the same answer as a single render.
			batch := render.RenderAll(context.Background(), []render.Job{{Checkout: fsys, ShopSet: tc.s}, {Checkout: base(), ShopSet: shopset("production")}}, 2)
			require.Len(t, batch, 2)
			require.NoError(t, batch[1].Err)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Nil(t, out)
				assert.Equal(t, tc.wantErr, err.Error())
				require.Error(t, batch[0].Err)
				assert.Equal(t, tc.wantErr, batch[0].Err.Error())
				return
			}
			require.NoError(t, err)
			for _, w := range tc.want {
				assert.Contains(t, string(out), w)
			}
			require.NoError(t, batch[0].Err)
			assert.Equal(t, string(out), string(batch[0].Out))
		})
	}
}

// shopctl render, validate --render and diff take the kinds from the inventory.
func TestFromInventoryAllowClusterScoped(t *testing.T) {
	inv, err := inventory.Parse("shopsets.yaml", []byte(`apiVersion: shopset.io/v1alpha1
kind: Inventory
tiers: [{name: dev, branch: tier/dev}]
clusters: [{name: cluster-a, server: https://a.k8s.example}]
configurations: [{name: production}]
shopsets: [{name: a-1, tier: dev, configuration: production, cluster: cluster-a}]
allowClusterScoped: [Namespace, ClusterRole]
`))
	require.NoError(t, err)
	assert.Equal(t, []string{"Namespace", "ClusterRole"}, render.FromInventory(inv, inv.ShopSets[0]).AllowClusterScoped)
}
