package plugin_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/plugin"
	"github.com/shopset/shopset/render"
)

func getenv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func fullEnv() map[string]string {
	return map[string]string{
		"ARGOCD_ENV_SHOPSET_NAME":          "a-1",
		"ARGOCD_ENV_SHOPSET_TIER":          "prod",
		"ARGOCD_ENV_SHOPSET_CONFIGURATION": "production",
		"ARGOCD_ENV_SHOPSET_CLUSTER":       "cluster-a",
	}
}

func TestParams(t *testing.T) {
	want := render.ShopSet{Name: "a-1", Namespace: "shopset-a-1", Tier: "prod", Configuration: "production", Cluster: "cluster-a"}
	for _, tc := range []struct {
		name    string
		vars    map[string]string
		want    render.ShopSet
		wantErr string
	}{
		{name: "plugin env", vars: fullEnv(), want: want},
		{
			name: "plugin parameters",
			vars: map[string]string{"ARGOCD_APP_PARAMETERS": `[{"name":"name","string":"a-1"},{"name":"tier","string":"prod"},` +
				`{"name":"configuration","string":"production"},{"name":"cluster","string":"cluster-a"}]`},
			want: want,
		},
		{
			name: "both, agreeing, with components and namespace",
			vars: merge(fullEnv(), map[string]string{
				"ARGOCD_ENV_SHOPSET_COMPONENTS": "maintenance, debug",
				"ARGOCD_ENV_SHOPSET_NAMESPACE":  "shop-a",
				"ARGOCD_APP_PARAMETERS":         `[{"name":"name","string":"a-1"},{"name":"components","array":["maintenance","debug"]}]`,
			}),
			want: render.ShopSet{Name: "a-1", Namespace: "shop-a", Tier: "prod", Configuration: "production",
				Cluster: "cluster-a", Components: []string{"maintenance", "debug"}},
		},
		{
			name: "Argo CD's null parameters",
			vars: merge(fullEnv(), map[string]string{"ARGOCD_APP_PARAMETERS": "null"}),
			want: want,
		},
		{
			name: "the sidecar's own variables are not read",
			vars: map[string]string{"SHOPSET_NAME": "a-1", "SHOPSET_TIER": "prod", "PARAM_NAME": "a-1"},
			wantErr: `shopset parameters: name: missing (plugin env SHOPSET_NAME or plugin parameter "name"); ` +
				`tier: missing (plugin env SHOPSET_TIER or plugin parameter "tier"); ` +
				`configuration: missing (plugin env SHOPSET_CONFIGURATION or plugin parameter "configuration"); ` +
				`cluster: missing (plugin env SHOPSET_CLUSTER or plugin parameter "cluster")`,
		},
		{
			name:    "missing cluster",
			vars:    merge(fullEnv(), map[string]string{"ARGOCD_ENV_SHOPSET_CLUSTER": ""}),
			wantErr: `shopset "a-1": cluster: missing (plugin env SHOPSET_CLUSTER or plugin parameter "cluster")`,
		},
		{
			name:    "disagreeing sources",
			vars:    merge(fullEnv(), map[string]string{"ARGOCD_APP_PARAMETERS": `[{"name":"tier","string":"dev"}]`}),
			wantErr: `shopset "a-1": tier: plugin env SHOPSET_TIER="prod" and plugin parameter "tier"="dev" disagree`,
		},
		{
			name:    "path in a name",
			vars:    merge(fullEnv(), map[string]string{"ARGOCD_ENV_SHOPSET_CONFIGURATION": "../x"}),
			wantErr: `shopset "a-1": configuration: "../x": `,
		},
		{
			name:    "upper case",
			vars:    merge(fullEnv(), map[string]string{"ARGOCD_ENV_SHOPSET_NAME": "A_1"}),
			wantErr: `shopset "A_1": name: "A_1": `,
		},
		{
			name: "max memory limit, plugin env",
			vars: merge(fullEnv(), map[string]string{"ARGOCD_ENV_SHOPSET_MAX_MEMORY_LIMIT": "10Gi"}),
			want: render.ShopSet{Name: "a-1", Namespace: "shopset-a-1", Tier: "prod", Configuration: "production",
				Cluster: "cluster-a", MaxMemoryLimit: "10Gi"},
		},
		{
			name: "max memory limit, plugin parameter",
			vars: merge(fullEnv(), map[string]string{"ARGOCD_APP_PARAMETERS": `[{"name":"maxMemoryLimit","string":"2Gi"}]`}),
			want: render.ShopSet{Name: "a-1", Namespace: "shopset-a-1", Tier: "prod", Configuration: "production",
				Cluster: "cluster-a", MaxMemoryLimit: "2Gi"},
		},
		{
			name:    "max memory limit that is no quantity",
			vars:    merge(fullEnv(), map[string]string{"ARGOCD_ENV_SHOPSET_MAX_MEMORY_LIMIT": "10GB"}),
			wantErr: `shopset "a-1": maxMemoryLimit: "10GB": invalid memory limit "10GB": not a Kubernetes quantity (such as 512Mi or 10Gi)`,
		},
		{
			name: "max memory limits that disagree",
			vars: merge(fullEnv(), map[string]string{
				"ARGOCD_ENV_SHOPSET_MAX_MEMORY_LIMIT": "10Gi",
				"ARGOCD_APP_PARAMETERS":               `[{"name":"maxMemoryLimit","string":"2Gi"}]`,
			}),
			wantErr: `shopset "a-1": maxMemoryLimit: plugin env SHOPSET_MAX_MEMORY_LIMIT="10Gi" and plugin parameter "maxMemoryLimit"="2Gi" disagree`,
		},
		{
			name:    "max memory limit as an array",
			vars:    merge(fullEnv(), map[string]string{"ARGOCD_APP_PARAMETERS": `[{"name":"maxMemoryLimit","array":["2Gi"]}]`}),
			wantErr: `shopset parameters: plugin parameter "maxMemoryLimit" must be a string, not an array`,
		},
		{
			name: "cluster-scoped kinds, plugin env",
			vars: merge(fullEnv(), map[string]string{"ARGOCD_ENV_SHOPSET_ALLOW_CLUSTER_SCOPED": "Namespace, ClusterRole"}),
			want: render.ShopSet{Name: "a-1", Namespace: "shopset-a-1", Tier: "prod", Configuration: "production",
				Cluster: "cluster-a", AllowClusterScoped: []string{"Namespace", "ClusterRole"}},
		},
		{
			name: "cluster-scoped kinds, plugin parameter",
			vars: merge(fullEnv(), map[string]string{"ARGOCD_APP_PARAMETERS": `[{"name":"allowClusterScoped","array":["Namespace"]}]`}),
			want: render.ShopSet{Name: "a-1", Namespace: "shopset-a-1", Tier: "prod", Configuration: "production",
				Cluster: "cluster-a", AllowClusterScoped: []string{"Namespace"}},
		},
		{
			name: "cluster-scoped kinds, plugin parameter as a string",
			vars: merge(fullEnv(), map[string]string{"ARGOCD_APP_PARAMETERS": `[{"name":"allowClusterScoped","string":"Namespace,ClusterRole"}]`}),
			want: render.ShopSet{Name: "a-1", Namespace: "shopset-a-1", Tier: "prod", Configuration: "production",
				Cluster: "cluster-a", AllowClusterScoped: []string{"Namespace", "ClusterRole"}},
		},
		{
			name:    "cluster-scoped kinds that are no kinds",
			vars:    merge(fullEnv(), map[string]string{"ARGOCD_ENV_SHOPSET_ALLOW_CLUSTER_SCOPED": "Namespace,clusterrole,Cluster/Role"}),
			wantErr: `shopset "a-1": allowClusterScoped: "clusterrole": invalid kind "clusterrole": must be an UpperCamel name of letters and digits, such as ClusterRole; allowClusterScoped: "Cluster/Role": invalid kind "Cluster/Role": must be an UpperCamel name of letters and digits, such as ClusterRole`,
		},
		{
			name: "cluster-scoped kinds that disagree",
			vars: merge(fullEnv(), map[string]string{
				"ARGOCD_ENV_SHOPSET_ALLOW_CLUSTER_SCOPED": "Namespace",
				"ARGOCD_APP_PARAMETERS":                   `[{"name":"allowClusterScoped","array":["Namespace","ClusterRole"]}]`,
			}),
			wantErr: `shopset "a-1": allowClusterScoped: plugin env SHOPSET_ALLOW_CLUSTER_SCOPED="Namespace" and plugin parameter "allowClusterScoped"="Namespace,ClusterRole" disagree`,
		},
		{
			name:    "malformed parameters",
			vars:    merge(fullEnv(), map[string]string{"ARGOCD_APP_PARAMETERS": `[{"name":`}),
			wantErr: `shopset parameters: ARGOCD_APP_PARAMETERS is not a JSON list of parameters: unexpected end of JSON input`,
		},
		{
			name:    "unknown parameter",
			vars:    merge(fullEnv(), map[string]string{"ARGOCD_APP_PARAMETERS": `[{"name":"replicas","string":"3"}]`}),
			wantErr: `shopset parameters: unknown plugin parameter "replicas"`,
		},
		{
			name:    "map parameter",
			vars:    merge(fullEnv(), map[string]string{"ARGOCD_APP_PARAMETERS": `[{"name":"tier","map":{"a":"b"}}]`}),
			wantErr: `shopset parameters: plugin parameter "tier" must be a string, not a map`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := plugin.Params(getenv(tc.vars))
			if tc.wantErr != "" {
				require.Error(t, err)
				if tc.wantErr[len(tc.wantErr)-2:] == ": " {
					assert.Contains(t, err.Error(), tc.wantErr)
				} else {
					assert.Equal(t, tc.wantErr, err.Error())
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func merge(a, b map[string]string) map[string]string {
	for k, v := range b {
		a[k] = v
	}
	return a
}

func TestGenerate(t *testing.T) {
	vars := merge(fullEnv(), map[string]string{"ARGOCD_ENV_SHOPSET_COMPONENTS": "maintenance"})
	var out bytes.Buffer
	require.NoError(t, plugin.Generate(context.Background(), getenv(vars), "../render/testdata/checkout", &out, io.Discard))

	root, err := os.OpenRoot("../render/testdata/checkout")
	require.NoError(t, err)
	defer root.Close()
	s, err := plugin.Params(getenv(vars))
	require.NoError(t, err)
	want, err := render.Render(root.FS(), s)
	require.NoError(t, err)
	assert.Equal(t, string(want), out.String(), "the plugin must print exactly what render gives")
}

func TestGenerateFailureWritesNothing(t *testing.T) {
	for name, vars := range map[string]map[string]string{
		"unknown configuration": merge(fullEnv(), map[string]string{"ARGOCD_ENV_SHOPSET_CONFIGURATION": "qa"}),
		"missing parameter":     merge(fullEnv(), map[string]string{"ARGOCD_ENV_SHOPSET_TIER": ""}),
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			err := plugin.Generate(context.Background(), getenv(vars), "../render/testdata/checkout", &out, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), `shopset "a-1"`)
			assert.Empty(t, out.String())
		})
	}
}

// The plugin refuses a cluster-scoped object unless its Application's plugin env (the
// inventory's allowClusterScoped) lists the kind, and then prints nothing.
func TestGenerateClusterScoped(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("../render/testdata/checkout")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "apps", "kustomization.yaml"),
		[]byte("resources: [web, role.yaml]\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "apps", "role.yaml"),
		[]byte("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n"), 0o644))

	for _, tc := range []struct {
		allow   string
		wantErr string
	}{
		{"", `shopset "a-1": ClusterRole/reader is cluster-scoped; shopsets.yaml allows none (allowClusterScoped)`},
		{"Namespace", `shopset "a-1": ClusterRole/reader is cluster-scoped; shopsets.yaml allows only Namespace (allowClusterScoped)`},
		{"Namespace,ClusterRole", ""},
	} {
		t.Run("allow "+tc.allow, func(t *testing.T) {
			vars := merge(fullEnv(), map[string]string{"ARGOCD_ENV_SHOPSET_ALLOW_CLUSTER_SCOPED": tc.allow})
			var out bytes.Buffer
			err := plugin.Generate(context.Background(), getenv(vars), dir, &out, io.Discard)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tc.wantErr, err.Error())
				assert.Empty(t, out.String())
				return
			}
			require.NoError(t, err)
			assert.Contains(t, out.String(), "kind: ClusterRole\n")
		})
	}
}

func TestGeneratePolicies(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("../render/testdata/checkout")))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "policies"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "policies", "main.rego"), []byte(`package main

deny contains sprintf("kind %s is not allowed", [input.kind]) if input.kind == data.forbidden

warn contains "Services are watched" if input.kind == "Service"
`), 0o644))
	write := func(forbidden string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "policies", "data.yaml"), []byte("forbidden: "+forbidden+"\n"), 0o644))
	}
	vars := fullEnv()

	write("Service")
	var out, stderr bytes.Buffer
	err := plugin.Generate(context.Background(), getenv(vars), dir, &out, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `shopset "a-1": `)
	assert.Regexp(t, `policy violation\(s\):\n  Service/\S+: kind Service is not allowed`, err.Error())
	assert.Empty(t, out.String(), "a deny writes no manifests")
	assert.Contains(t, stderr.String(), `warning: shopset "a-1": Service/`)
	assert.Contains(t, stderr.String(), ": Services are watched")

	write("Secret")
	out.Reset()
	stderr.Reset()
	require.NoError(t, plugin.Generate(context.Background(), getenv(vars), dir, &out, &stderr))
	assert.NotEmpty(t, out.String())
	assert.Contains(t, stderr.String(), "Services are watched", "warnings go to stderr and do not fail")
}

func FuzzParams(f *testing.F) {
	f.Add("a-1", "maintenance,x", `[{"name":"tier","string":"prod"}]`)
	f.Add("", "", `null`)
	f.Add("A_1", ",,", `[{"name":"components","array":["a",""]}]`)
	f.Add("a", "b", `[{"name":"name","map":{"a":"b"}}]`)
	f.Add("a-1", "", `[{"name":"allowClusterScoped","array":["Namespace","ClusterRole"]}]`)
	f.Add("a-1", "", `[{"name":"allowClusterScoped","string":"Namespace,,cluster-role"}]`)
	f.Fuzz(func(t *testing.T, name, components, params string) {
		vars := map[string]string{
			"ARGOCD_ENV_SHOPSET_NAME":          name,
			"ARGOCD_ENV_SHOPSET_COMPONENTS":    components,
			"ARGOCD_ENV_SHOPSET_CONFIGURATION": "production",
			"ARGOCD_ENV_SHOPSET_CLUSTER":       "cluster-a",
			"ARGOCD_APP_PARAMETERS":            params,
		}
		s, err := plugin.Params(getenv(vars))
		if err != nil {
			assert.Equal(t, render.ShopSet{}, s)
			return
		}
		// Whatever is accepted is safe to turn into paths and a namespace.
		for _, v := range append([]string{s.Name, s.Namespace, s.Tier, s.Configuration, s.Cluster}, s.Components...) {
			require.NotEmpty(t, v)
			require.NotContains(t, v, "/")
			require.NotContains(t, v, "..")
		}
		for _, k := range s.AllowClusterScoped {
			require.NoError(t, inventory.ValidKind(k))
		}
	})
}

// A render that does not end by itself is given up when the sidecar's SIGTERM (the
// context) arrives: the plugin answers at once, naming the ShopSet, and prints nothing.
func TestGenerateStopsWhenCanceled(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "checkout")
	require.NoError(t, os.CopyFS(dir, os.DirFS("../render/testdata/checkout")))
	// 6 levels of 8 directory links each: the copy takes seconds before it fails.
	for level := range 7 {
		d := filepath.Join(dir, "fan", fmt.Sprintf("d%d", level))
		require.NoError(t, os.MkdirAll(d, 0o755))
		for i := range 8 {
			if level < 6 {
				require.NoError(t, os.Symlink(fmt.Sprintf("../d%d", level+1), filepath.Join(d, fmt.Sprintf("l%d", i))))
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	err := plugin.Generate(ctx, getenv(fullEnv()), dir, &out, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `shopset "a-1": render stopped: context deadline exceeded`)
	assert.Empty(t, out.String())
}
