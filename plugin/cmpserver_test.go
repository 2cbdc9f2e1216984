package plugin_test

// These tests run shopset's plugin the way Argo CD does: Argo CD's own cmp-server code
// (github.com/argoproj/argo-cd/v2/cmpserver) is started in-process with our plugin.yaml,
// and the repo-server's own client code (reposerver/repository.GenerateManifests) tars a
// real tier-branch clone of the example repository and streams it over the plugin socket.
// The cmp-server then execs the real shopctl binary, built once in TestMain.

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-cd/v2/cmpserver"
	cmpplugin "github.com/argoproj/argo-cd/v2/cmpserver/plugin"
	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	repoapiclient "github.com/argoproj/argo-cd/v2/reposerver/apiclient"
	"github.com/argoproj/argo-cd/v2/reposerver/repository"
	"github.com/argoproj/argo-cd/v2/util/git"
	argoio "github.com/argoproj/argo-cd/v2/util/io"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/shopset/shopset/examples"
	"github.com/shopset/shopset/internal/loopback"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/plugin"
	"github.com/shopset/shopset/render"
	"github.com/shopset/shopset/routing"
)

// startCMPServer starts Argo CD's cmp-server with plugin.yaml, as the sidecar does, with
// the shopctl binary on its PATH.
func startCMPServer(t *testing.T) {
	t.Helper()
	base, err := os.MkdirTemp("", "cmp") // unix socket paths are limited to 108 bytes
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(base) })
	for _, d := range []string{"plugins", "config", "work"} {
		require.NoError(t, os.MkdirAll(filepath.Join(base, d), 0o755))
	}
	t.Setenv("ARGOCD_PLUGINSOCKFILEPATH", filepath.Join(base, "plugins"))
	t.Setenv("ARGOCD_CMP_WORKDIR", filepath.Join(base, "work"))
	t.Setenv("PATH", shopctlDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	// A variable of the sidecar's own must never reach the render.
	t.Setenv("SHOPSET_CONFIGURATION", "staging")
	require.NoError(t, os.WriteFile(filepath.Join(base, "config", "plugin.yaml"), plugin.Config, 0o644))

	cfg, err := cmpplugin.ReadPluginConfig(filepath.Join(base, "config"))
	require.NoError(t, err)
	require.Equal(t, plugin.Name, cfg.Metadata.Name)
	srv, err := cmpserver.NewServer(cmpplugin.CMPServerInitConstants{PluginConfig: *cfg})
	require.NoError(t, err)
	grpc, err := srv.CreateGRPC() // what the sidecar's Run does, minus signals and os.Exit
	require.NoError(t, err)
	ln, err := net.Listen("unix", cfg.Address())
	require.NoError(t, err)
	go func() { _ = grpc.Serve(ln) }()
	t.Cleanup(grpc.Stop)
}

var shopctlDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shopctl-bin")
	if err != nil {
		panic(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "shopctl"), "github.com/shopset/shopset/cmd/shopctl")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		panic("building shopctl: " + err.Error())
	}
	shopctlDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// tierClone clones the example repository at branch, .git included, as the repo-server
// holds it.
func tierClone(t *testing.T, branch string) (string, *examples.Repo) {
	t.Helper()
	ctx := context.Background()
	repo, err := examples.BuildRepo(ctx, filepath.Join(t.TempDir(), "repo"))
	require.NoError(t, err)
	clone := filepath.Join(t.TempDir(), "clone")
	out, err := exec.Command("git", "clone", "--quiet", "--branch", branch, repo.Dir, clone).CombinedOutput()
	require.NoError(t, err, string(out))
	return clone, repo
}

func generate(t *testing.T, repoRoot string, p *v1alpha1.ApplicationSourcePlugin, opts ...repository.GenerateManifestOpt) (*repoapiclient.ManifestResponse, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req := &repoapiclient.ManifestRequest{
		AppName: "shopset-c-2", Namespace: "argocd",
		Repo:        &v1alpha1.Repository{Repo: "https://git.shop.example/platform.git"},
		KubeVersion: "1.32.0", ApiVersions: []string{"v1", "apps/v1", "policy/v1"},
		ApplicationSource: &v1alpha1.ApplicationSource{
			RepoURL: "https://git.shop.example/platform.git", Path: ".", TargetRevision: "tier/dev",
			Plugin: p,
		},
	}
	var noPaths argoio.TempPaths
	return repository.GenerateManifests(ctx, repoRoot, repoRoot, "0123456789abcdef0123456789abcdef01234567",
		req, false, &git.NoopCredsStore{}, resource.MustParse("100M"), noPaths, opts...)
}

func env(kv ...string) v1alpha1.Env {
	var e v1alpha1.Env
	for i := 0; i < len(kv); i += 2 {
		e = append(e, &v1alpha1.EnvEntry{Name: kv[i], Value: kv[i+1]})
	}
	return e
}

func str(s string) *string { return &s }

// asJSON turns a YAML stream into the JSON documents the repo-server returns.
func asJSON(t *testing.T, stream []byte) []string {
	t.Helper()
	nodes, err := kio.FromBytes(stream)
	require.NoError(t, err)
	var out []string
	for _, n := range nodes {
		b, err := n.MarshalJSON()
		require.NoError(t, err)
		out = append(out, string(b))
	}
	return out
}

func TestCMPServerRendersShopSet(t *testing.T) {
	startCMPServer(t)
	clone, _ := tierClone(t, "tier/dev")
	root, err := os.OpenRoot(clone)
	require.NoError(t, err)
	defer root.Close()
	want, err := render.Render(root.FS(), render.ShopSet{
		Name: "c-2", Namespace: "shopset-c-2", Tier: "dev", Configuration: "production",
		Cluster: "cluster-c", Components: []string{"maintenance"},
	})
	require.NoError(t, err)
	wantJSON := asJSON(t, want)
	require.NotEmpty(t, wantJSON)

	for _, tc := range []struct {
		name   string
		plugin *v1alpha1.ApplicationSourcePlugin
		opts   []repository.GenerateManifestOpt
	}{
		{
			name: "plugin env, .git excluded as the install configures",
			plugin: &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: env(
				"SHOPSET_NAME", "c-2", "SHOPSET_TIER", "dev", "SHOPSET_CONFIGURATION", "production",
				"SHOPSET_CLUSTER", "cluster-c", "SHOPSET_COMPONENTS", "maintenance")},
			opts: []repository.GenerateManifestOpt{repository.WithCMPTarExcludedGlobs([]string{".git"})},
		},
		{
			name: "plugin parameters, .git streamed too",
			plugin: &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Parameters: v1alpha1.ApplicationSourcePluginParameters{
				{Name: "name", String_: str("c-2")},
				{Name: "tier", String_: str("dev")},
				{Name: "configuration", String_: str("production")},
				{Name: "cluster", String_: str("cluster-c")},
				{Name: "namespace", String_: str("shopset-c-2")},
				{Name: "components", OptionalArray: &v1alpha1.OptionalArray{Array: []string{"maintenance"}}},
			}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := generate(t, clone, tc.plugin, tc.opts...)
			require.NoError(t, err)
			require.Len(t, resp.Manifests, len(wantJSON))
			for i := range wantJSON {
				assert.JSONEq(t, wantJSON[i], resp.Manifests[i])
			}
			joined := strings.Join(resp.Manifests, "\n")
			assert.Contains(t, joined, `"shopset.io/name":"c-2"`)
			assert.Contains(t, joined, `"namespace":"shopset-c-2"`)
			assert.Contains(t, joined, "registry.shop.example/shop/storefront:2.4.0", "dev runs the newest storefront")
		})
	}
}

func TestCMPServerErrors(t *testing.T) {
	startCMPServer(t)
	clone, _ := tierClone(t, "tier/prod")
	for _, tc := range []struct {
		name    string
		env     v1alpha1.Env
		wantErr []string
	}{
		{
			name: "unknown configuration",
			env: env("SHOPSET_NAME", "a-2", "SHOPSET_TIER", "prod", "SHOPSET_CONFIGURATION", "qa",
				"SHOPSET_CLUSTER", "cluster-a"),
			wantErr: []string{`shopset "a-2"`, `configuration "qa"`, "configurations/qa/ not found in the checkout"},
		},
		{
			name:    "missing parameter",
			env:     env("SHOPSET_NAME", "a-2", "SHOPSET_TIER", "prod", "SHOPSET_CLUSTER", "cluster-a"),
			wantErr: []string{`shopset "a-2": configuration: missing (plugin env SHOPSET_CONFIGURATION or plugin parameter "configuration")`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := generate(t, clone, &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: tc.env})
			require.Error(t, err)
			assert.Nil(t, resp)
			for _, w := range tc.wantErr {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// A deny of the tier's policies reaches Argo CD as the render's error, naming the ShopSet
// and every violation; no manifests are applied.
func TestCMPServerPolicyDeny(t *testing.T) {
	startCMPServer(t)
	clone, _ := tierClone(t, "tier/dev")
	for _, app := range []string{"cart", "api"} {
		f := filepath.Join(clone, "apps", app, "deployment.yaml")
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		b = regexp.MustCompile(`(image: registry.shop.example/shop/`+app+`):\S+`).ReplaceAll(b, []byte("$1:latest"))
		require.NoError(t, os.WriteFile(f, b, 0o644))
	}
	resp, err := generate(t, clone, &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: env(
		"SHOPSET_NAME", "c-2", "SHOPSET_TIER", "dev", "SHOPSET_CONFIGURATION", "production",
		"SHOPSET_CLUSTER", "cluster-c", "SHOPSET_COMPONENTS", "maintenance")},
		repository.WithCMPTarExcludedGlobs([]string{".git"}))
	require.Error(t, err)
	assert.Nil(t, resp)
	for _, w := range []string{
		`shopset "c-2": 2 policy violation(s):`,
		`Deployment/api: container "api": image "registry.shop.example/shop/api:latest" has no pinned tag`,
		`Deployment/cart: container "cart": image "registry.shop.example/shop/cart:latest" has no pinned tag`,
	} {
		assert.Contains(t, err.Error(), w)
	}
}

// The ShopSet's maxMemoryLimit, as the ApplicationSet passes it from the inventory,
// reaches the tier's policies through Argo CD as plugin env or as a plugin parameter.
func TestCMPServerMaxMemoryLimit(t *testing.T) {
	startCMPServer(t)
	clone, _ := tierClone(t, "tier/dev")
	c2 := []string{"SHOPSET_NAME", "c-2", "SHOPSET_TIER", "dev", "SHOPSET_CONFIGURATION", "production",
		"SHOPSET_CLUSTER", "cluster-c", "SHOPSET_COMPONENTS", "maintenance"}
	denied := []string{
		`shopset "c-2": 2 policy violation(s):`,
		`Deployment/api: container "api" has memory limit 512Mi, above the maximum 256Mi`,
		`Deployment/storefront: container "storefront" has memory limit 768Mi, above the maximum 256Mi`,
	}
	for _, tc := range []struct {
		name    string
		plugin  *v1alpha1.ApplicationSourcePlugin
		wantErr []string
	}{
		{
			name:   "the example's 10Gi, plugin env",
			plugin: &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: env(append(c2, "SHOPSET_MAX_MEMORY_LIMIT", "10Gi")...)},
		},
		{
			name:    "256Mi, plugin env",
			plugin:  &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: env(append(c2, "SHOPSET_MAX_MEMORY_LIMIT", "256Mi")...)},
			wantErr: denied,
		},
		{
			name: "256Mi, plugin parameter",
			plugin: &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: env(c2...),
				Parameters: v1alpha1.ApplicationSourcePluginParameters{{Name: "maxMemoryLimit", String_: str("256Mi")}}},
			wantErr: denied,
		},
		{
			name:    "not a quantity",
			plugin:  &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: env(append(c2, "SHOPSET_MAX_MEMORY_LIMIT", "10GB")...)},
			wantErr: []string{`shopset "c-2": maxMemoryLimit: "10GB": invalid memory limit "10GB"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := generate(t, clone, tc.plugin, repository.WithCMPTarExcludedGlobs([]string{".git"}))
			if tc.wantErr == nil {
				require.NoError(t, err)
				assert.NotEmpty(t, resp.Manifests)
				return
			}
			require.Error(t, err)
			assert.Nil(t, resp)
			for _, w := range tc.wantErr {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// A commit that adds a ClusterRole and removes the tier's policies, which deny it, is
// still refused through Argo CD: the kinds allowed come from the Application (the
// inventory on main), not from the checkout.
func TestCMPServerClusterScoped(t *testing.T) {
	startCMPServer(t)
	clone, _ := tierClone(t, "tier/dev")
	require.NoError(t, os.RemoveAll(filepath.Join(clone, "policies")))
	kust := filepath.Join(clone, "apps", "kustomization.yaml")
	b, err := os.ReadFile(kust)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(kust, append(b, []byte("  - reader.yaml\n")...), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(clone, "apps", "reader.yaml"), []byte(
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n"), 0o644))

	c2 := []string{"SHOPSET_NAME", "c-2", "SHOPSET_TIER", "dev", "SHOPSET_CONFIGURATION", "production",
		"SHOPSET_CLUSTER", "cluster-c", "SHOPSET_COMPONENTS", "maintenance"}
	for _, tc := range []struct {
		name    string
		plugin  *v1alpha1.ApplicationSourcePlugin
		wantErr string
	}{
		{
			name:    "none allowed",
			plugin:  &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: env(c2...)},
			wantErr: `shopset "c-2": ClusterRole/reader is cluster-scoped; shopsets.yaml allows none (allowClusterScoped)`,
		},
		{
			name:    "another kind allowed",
			plugin:  &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: env(append(c2, "SHOPSET_ALLOW_CLUSTER_SCOPED", "Namespace")...)},
			wantErr: `shopset "c-2": ClusterRole/reader is cluster-scoped; shopsets.yaml allows only Namespace (allowClusterScoped)`,
		},
		{
			name:   "allowed, plugin env",
			plugin: &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: env(append(c2, "SHOPSET_ALLOW_CLUSTER_SCOPED", "Namespace,ClusterRole")...)},
		},
		{
			name: "allowed, plugin parameter",
			plugin: &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: env(c2...),
				Parameters: v1alpha1.ApplicationSourcePluginParameters{
					{Name: "allowClusterScoped", OptionalArray: &v1alpha1.OptionalArray{Array: []string{"ClusterRole"}}},
				}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := generate(t, clone, tc.plugin, repository.WithCMPTarExcludedGlobs([]string{".git"}))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Nil(t, resp)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Contains(t, strings.Join(resp.Manifests, "\n"), `"kind":"ClusterRole"`)
		})
	}
}

// The JSON Argo CD puts in ARGOCD_APP_PARAMETERS is the one plugin.Params parses.
func TestParametersWireFormat(t *testing.T) {
	params := v1alpha1.ApplicationSourcePluginParameters{
		{Name: "name", String_: str("a-1")},
		{Name: "components", OptionalArray: &v1alpha1.OptionalArray{Array: []string{"x", "y"}}},
		{Name: "maxMemoryLimit", String_: str("10Gi")},
		{Name: "allowClusterScoped", OptionalArray: &v1alpha1.OptionalArray{Array: []string{"Namespace", "ClusterRole"}}},
	}
	environ, err := params.Environ()
	require.NoError(t, err)
	vars := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(vars[plugin.EnvParameters]), &list))
	vars["ARGOCD_ENV_SHOPSET_TIER"] = "dev"
	vars["ARGOCD_ENV_SHOPSET_CONFIGURATION"] = "production"
	vars["ARGOCD_ENV_SHOPSET_CLUSTER"] = "cluster-a"
	s, err := plugin.Params(func(k string) string { return vars[k] })
	require.NoError(t, err)
	assert.Equal(t, "a-1", s.Name)
	assert.Equal(t, []string{"x", "y"}, s.Components)
	assert.Equal(t, "10Gi", s.MaxMemoryLimit)
	assert.Equal(t, []string{"Namespace", "ClusterRole"}, s.AllowClusterScoped)
}

// A routing Application renders the routing table from a checkout of the inventory's
// branch through the same plugin: byte for byte what shopctl render --routing prints.
func TestCMPServerRendersRoutingTable(t *testing.T) {
	startCMPServer(t)
	clone, _ := tierClone(t, "main")
	inv, err := inventory.Load(filepath.Join(clone, "shopsets.yaml"))
	require.NoError(t, err)
	inv.File = "shopsets.yaml"
	want, err := routing.Render(inv, "cluster-b", routing.DefaultNamespace, nil)
	require.NoError(t, err)

	resp, err := generate(t, clone, &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: env(
		"SHOPSET_MODE", "routing", "SHOPSET_CLUSTER", "cluster-b", "SHOPSET_NAMESPACE", routing.DefaultNamespace)},
		repository.WithCMPTarExcludedGlobs([]string{".git"}))
	require.NoError(t, err)
	wantJSON := asJSON(t, want)
	require.Len(t, resp.Manifests, len(wantJSON))
	for i := range wantJSON {
		assert.JSONEq(t, wantJSON[i], resp.Manifests[i])
	}
	assert.Contains(t, resp.Manifests[0], `routing.json`)

	_, err = generate(t, clone, &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: env(
		"SHOPSET_MODE", "routing", "SHOPSET_CLUSTER", "cluster-z")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `routing table: cluster "cluster-z" is not in shopsets.yaml`)

	// The previews a routing parameter set names (previewsCSV) get their hosts, by env or
	// by plugin parameter.
	want, err = routing.Render(inv, "cluster-b", routing.DefaultNamespace, []string{"pr-a", "pr-b"})
	require.NoError(t, err)
	wantJSON = asJSON(t, want)
	for _, p := range []*v1alpha1.ApplicationSourcePlugin{
		{Name: plugin.Name, Env: env("SHOPSET_MODE", "routing", "SHOPSET_CLUSTER", "cluster-b", "SHOPSET_PREVIEWS", "pr-a,pr-b")},
		{Name: plugin.Name, Parameters: v1alpha1.ApplicationSourcePluginParameters{
			{Name: "mode", String_: str("routing")}, {Name: "cluster", String_: str("cluster-b")},
			{Name: "previews", OptionalArray: &v1alpha1.OptionalArray{Array: []string{"pr-a", "pr-b"}}},
		}},
	} {
		resp, err = generate(t, clone, p, repository.WithCMPTarExcludedGlobs([]string{".git"}))
		require.NoError(t, err)
		require.Len(t, resp.Manifests, 1)
		assert.JSONEq(t, wantJSON[0], resp.Manifests[0])
		assert.Contains(t, resp.Manifests[0], `pr-a.preview.shop.example`)
	}
	_, err = generate(t, clone, &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: env(
		"SHOPSET_MODE", "routing", "SHOPSET_CLUSTER", "cluster-b", "SHOPSET_PREVIEWS", "a-1")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"a-1" is not a preview's name`)
}

// The reported way out of the checkout: a builtin PatchTransformer, listed under the base's
// transformers, whose path is a URL. Through the real sidecar the render fails, naming the
// file, and the loopback server it names is never reached.
func TestCMPServerRefusesRemotePluginConfig(t *testing.T) {
	startCMPServer(t)
	clone, _ := tierClone(t, "tier/dev")
	srv := loopback.Counting(t)
	kust := filepath.Join(clone, "apps", "kustomization.yaml")
	b, err := os.ReadFile(kust)
	require.NoError(t, err)
	require.NotContains(t, string(b), "transformers:")
	require.NoError(t, os.WriteFile(kust, append(b, "transformers:\n- patch.yaml\n"...), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(clone, "apps", "patch.yaml"), []byte(
		"apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\npath: http://"+srv.Addr+"/patch.yaml\n"), 0o644))

	resp, err := generate(t, clone, &v1alpha1.ApplicationSourcePlugin{Name: plugin.Name, Env: env(
		"SHOPSET_NAME", "c-2", "SHOPSET_TIER", "dev", "SHOPSET_CONFIGURATION", "production", "SHOPSET_CLUSTER", "cluster-c")})
	require.Error(t, err)
	assert.Nil(t, resp)
	assert.Contains(t, err.Error(), `apps/patch.yaml: PatchTransformer "p": path "http://`)
	assert.Contains(t, err.Error(), "remote URLs are not allowed")
	assert.Zero(t, srv.Conns(), "the plugin opened a network connection")
}
