//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// argoVersions are the Argo CD releases the suite runs against: the helper module in
// e2e/tools that builds each, and the module its CRDs and base configuration come from.
var argoVersions = map[string]struct{ tools, module string }{
	"v2": {"tools/argocd-v2", "github.com/argoproj/argo-cd/v2"},
	"v3": {"tools/argocd-v3", "github.com/argoproj/argo-cd/v3"},
}

// argo is a running Argo CD.
type argo struct {
	version    string
	bin        string // one binary; ARGOCD_BINARY_NAME picks the component
	kubeconfig string
	server     string // argocd-server, plaintext, authentication off
	// appsetWebhook is the ApplicationSet controller's webhook URL.
	appsetWebhook string
}

// appsetWebhookSecret is Argo CD's GitHub webhook secret (webhook.github.secret).
const appsetWebhookSecret = "e2e-appset-webhook"

// installation is what shopset's install puts in Argo CD's namespace: manifests/ built
// with Kustomize's own engine, and the patches of Argo CD's own objects in
// manifests/argocd/ (the Component's files, which people also apply with kubectl patch).
type installation struct {
	objects []*unstructured.Unstructured
	patches []*unstructured.Unstructured
}

func buildManifests(s *suite) installation {
	s.t.Helper()
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), "../manifests")
	require.NoError(s.t, err, "kustomize build manifests/")
	y, err := res.AsYaml()
	require.NoError(s.t, err)
	in := installation{objects: decode(s.t, y)}
	for _, f := range []string{"argocd-cmd-params-cm-patch.yaml", "argocd-repo-server-patch.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "manifests", "argocd", f))
		require.NoError(s.t, err)
		in.patches = append(in.patches, decode(s.t, b)...)
	}
	return in
}

// patch is manifests/argocd/'s patch of Argo CD's object kind/name.
func (in installation) patch(kind, name string) *unstructured.Unstructured {
	for _, o := range in.patches {
		if o.GetKind() == kind && o.GetName() == name {
			return o.DeepCopy()
		}
	}
	return nil
}

func (in installation) find(kind, name string) *unstructured.Unstructured {
	for _, o := range in.objects {
		if o.GetKind() == kind && o.GetName() == name {
			return o.DeepCopy()
		}
	}
	return nil
}

// argoCDModule is the directory of the argo-cd module that the helper module of version
// builds: its manifests/ are Argo CD's own install.
func (s *suite) argoCDModule(ctx context.Context, version string) string {
	s.t.Helper()
	v, ok := argoVersions[version]
	require.True(s.t, ok, "SHOPSET_E2E_ARGOCD=%q: want one of v2, v3", version)
	dir, err := run(ctx, v.tools, []string{"GOFLAGS=-mod=mod", "GOTOOLCHAIN=local"}, "go", "list", "-m", "-f", "{{.Dir}}", v.module)
	require.NoError(s.t, err)
	return strings.TrimSpace(dir)
}

// installArgoCD applies what Argo CD's own install puts in the cluster and a running
// argocd-server would create (the default AppProject), and registers the destination
// clusters the way `argocd cluster add` does: a Secret per cluster.
func (s *suite) installArgoCD(ctx context.Context, version string, home *cluster, destinations map[string]*cluster) {
	s.t.Helper()
	dir := s.argoCDModule(ctx, version)
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "argocd"}}}
	require.NoError(s.t, home.apply(ctx, "e2e", ns))
	for _, crd := range []string{"application-crd.yaml", "applicationset-crd.yaml", "appproject-crd.yaml"} {
		b, err := os.ReadFile(filepath.Join(dir, "manifests", "crds", crd))
		require.NoError(s.t, err)
		require.NoError(s.t, home.apply(ctx, "e2e", decode(s.t, b)...))
	}
	s.eventually(30*time.Second, "Argo CD's CRDs to be served", func() (bool, string) {
		_, err := home.list(ctx, gvrApplication, "argocd", "")
		if err != nil {
			return false, err.Error()
		}
		_, err = home.resource(gvkAppProject, "argocd")
		return err == nil, fmt.Sprint(err)
	})
	configs, err := filepath.Glob(filepath.Join(dir, "manifests", "base", "config", "argocd-*.yaml"))
	require.NoError(s.t, err)
	for _, f := range configs {
		b, err := os.ReadFile(f)
		require.NoError(s.t, err)
		objs := decode(s.t, b)
		for _, o := range objs {
			o.SetNamespace("argocd")
		}
		require.NoError(s.t, home.apply(ctx, "argocd-install", objs...))
	}
	// What argocd-server would set on first start; a field manager of its own, so a
	// later apply of other keys of argocd-secret leaves it alone.
	require.NoError(s.t, home.apply(ctx, "argocd-server", secret("argocd", "argocd-secret", nil,
		map[string]string{"server.secretkey": "e2e-server-secret-key", "webhook.github.secret": appsetWebhookSecret})))
	project := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
		"metadata": map[string]any{"name": "default", "namespace": "argocd"},
		"spec": map[string]any{
			"sourceRepos":              []any{"*"},
			"destinations":             []any{map[string]any{"namespace": "*", "server": "*"}},
			"clusterResourceWhitelist": []any{map[string]any{"group": "*", "kind": "*"}},
		},
	}}
	require.NoError(s.t, home.apply(ctx, "e2e", project))
	for name, c := range destinations {
		cfg, err := json.Marshal(map[string]any{
			"bearerToken":     adminToken,
			"tlsClientConfig": map[string]any{"caData": base64.StdEncoding.EncodeToString(s.ca)},
		})
		require.NoError(s.t, err)
		require.NoError(s.t, home.apply(ctx, "e2e", secret("argocd", "cluster-"+name,
			map[string]string{"argocd.argoproj.io/secret-type": "cluster"},
			map[string]string{"name": name, "server": c.url, "config": string(cfg)})))
	}
}

var gvkAppProject = schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "AppProject"}

func secret(namespace, name string, labels, data map[string]string) *unstructured.Unstructured {
	d := map[string]any{}
	for k, v := range data {
		d[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	l := map[string]any{"app.kubernetes.io/part-of": "argocd"}
	for k, v := range labels {
		l[k] = v
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": name, "namespace": namespace, "labels": l},
		"type":     "Opaque", "data": d,
	}}
}

// startArgoCD starts Argo CD's components as the install's Deployments would, out of the
// cluster: the CMP sidecar (argocd-cmp-server with shopset's plugin.yaml, sharing the
// plugins socket directory with the repo-server), the repo-server with the install's
// plugin tar exclusions, both controllers, and argocd-server for the CLI.
func (s *suite) startArgoCD(version string, home *cluster, redis string, in installation) *argo {
	s.t.Helper()
	a := &argo{version: version, bin: filepath.Join(s.bin, "argocd-"+version), kubeconfig: s.writeKubeconfig(home, "argocd")}
	kube := "KUBECONFIG=" + a.kubeconfig
	plugins := s.path("plugins")
	for _, d := range []string{plugins, s.path("cmp-config"), s.path("cmp-work"), s.path("repo-tmp"), s.path("static")} {
		require.NoError(s.t, os.MkdirAll(d, 0o755))
	}

	cm := in.find("ConfigMap", "shopset-cmp-plugin")
	require.NotNil(s.t, cm, "manifests/ has no ConfigMap shopset-cmp-plugin")
	pluginYAML, _, _ := unstructured.NestedString(cm.Object, "data", "plugin.yaml")
	require.NotEmpty(s.t, pluginYAML)
	require.NoError(s.t, os.WriteFile(s.path("cmp-config", "plugin.yaml"), []byte(pluginYAML), 0o644))
	cmp := s.start("argocd-cmp-server", a.bin, []string{"ARGOCD_BINARY_NAME=argocd-cmp-server",
		"ARGOCD_PLUGINSOCKFILEPATH=" + plugins, "ARGOCD_CMP_WORKDIR=" + s.path("cmp-work"), "TMPDIR=" + s.path("cmp-work")},
		"--config-dir-path", s.path("cmp-config"), "--loglevel", "info")
	cmp.killOnly = true

	params := in.patch("ConfigMap", "argocd-cmd-params-cm")
	require.NotNil(s.t, params, "manifests/argocd/ has no patch of argocd-cmd-params-cm")
	exclusions, _, _ := unstructured.NestedString(params.Object, "data", "reposerver.plugin.tar.exclusions")
	repoPort, repoMetrics := freePort(s.t), freePort(s.t)
	repoServer := addr(repoPort)
	// The repo-server hands git a repository's credentials through GIT_ASKPASS=argocd,
	// which its image has on PATH (/usr/local/bin/argocd): the one binary, by that name.
	askpass := s.path("argocd-path")
	require.NoError(s.t, os.MkdirAll(askpass, 0o755))
	require.NoError(s.t, os.Symlink(a.bin, filepath.Join(askpass, "argocd")))
	s.start("argocd-repo-server", a.bin, []string{"ARGOCD_BINARY_NAME=argocd-repo-server", kube,
		"PATH=" + askpass + string(os.PathListSeparator) + s.bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"ARGOCD_GPG_ENABLED=false", "ARGOCD_PLUGINSOCKFILEPATH=" + plugins,
		"ARGOCD_ASK_PASS_SOCK=" + s.path("askpass.sock"), "TMPDIR=" + s.path("repo-tmp"),
		"ARGOCD_REPO_SERVER_PLUGIN_TAR_EXCLUSIONS=" + exclusions},
		"--address", "127.0.0.1", "--port", strconv.Itoa(repoPort),
		"--metrics-address", "127.0.0.1", "--metrics-port", strconv.Itoa(repoMetrics),
		"--redis", redis, "--disable-tls", "--loglevel", "info")

	ctrlMetrics := freePort(s.t)
	s.start("argocd-application-controller", a.bin, []string{"ARGOCD_BINARY_NAME=argocd-application-controller", kube,
		"ARGOCD_FAKE_IN_CLUSTER=true"},
		"--repo-server", repoServer, "--repo-server-plaintext", "--redis", redis,
		"--metrics-port", strconv.Itoa(ctrlMetrics), "--status-processors", "4", "--operation-processors", "4",
		"--loglevel", "info")

	setMetrics, setWebhook := freePort(s.t), freePort(s.t)
	a.appsetWebhook = "http://" + addr(setWebhook) + "/api/webhook"
	s.start("argocd-applicationset-controller", a.bin, []string{"ARGOCD_BINARY_NAME=argocd-applicationset-controller", kube},
		"--metrics-addr", addr(setMetrics), "--probe-addr", addr(freePort(s.t)), "--webhook-addr", addr(setWebhook),
		"--argocd-repo-server", repoServer, "--repo-server-plaintext", "--loglevel", "info")

	serverPort := freePort(s.t)
	a.server = addr(serverPort)
	s.start("argocd-server", a.bin, []string{"ARGOCD_BINARY_NAME=argocd-server", kube},
		"--insecure", "--disable-auth", "--address", "127.0.0.1", "--port", strconv.Itoa(serverPort),
		"--metrics-address", "127.0.0.1", "--metrics-port", strconv.Itoa(freePort(s.t)),
		"--repo-server", repoServer, "--repo-server-plaintext", "--redis", redis,
		"--staticassets", s.path("static"), "--loglevel", "info")

	s.waitHTTP(60*time.Second, "http://"+addr(repoMetrics)+"/metrics", nil, http.StatusOK)
	s.waitHTTP(60*time.Second, "http://"+addr(ctrlMetrics)+"/metrics", nil, http.StatusOK)
	s.waitHTTP(60*time.Second, "http://"+addr(setMetrics)+"/metrics", nil, http.StatusOK)
	s.waitHTTP(60*time.Second, "http://"+a.server+"/healthz", nil, http.StatusOK)
	s.eventually(30*time.Second, "the shopset plugin's socket", func() (bool, string) {
		matches, _ := filepath.Glob(filepath.Join(plugins, "shopset*.sock"))
		return len(matches) == 1, fmt.Sprint(matches)
	})
	return a
}

// cli runs the argocd CLI against argocd-server.
func (a *argo) cli(ctx context.Context, s *suite, args ...string) (string, error) {
	args = append(args, "--server", a.server, "--plaintext")
	return run(ctx, s.work, []string{"ARGOCD_BINARY_NAME=argocd", "HOME=" + s.path("home"), "KUBECONFIG=" + a.kubeconfig}, a.bin, args...)
}

// startGenerator runs `shopctl generator serve` with the flags of manifests/'s Deployment,
// pointed at local paths, and extra (the Git credentials' flags, which the Deployment
// leaves for a private repository to add), and returns its base URL and token.
//
// kubeconfig authenticates as the generator's ServiceAccount (manifests/'s RBAC), which
// in a cluster the pod's own token does: it reads the Applications with it.
func (s *suite) startGenerator(in installation, a *argo, repoURL, kubeconfig string, extra ...string) (baseURL, token string) {
	s.t.Helper()
	dep := in.find("Deployment", "shopset-generator")
	require.NotNil(s.t, dep, "manifests/ has no Deployment shopset-generator")
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	require.Len(s.t, containers, 1)
	manifestArgs, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")

	token = "e2e-generator-token"
	require.NoError(s.t, os.WriteFile(s.path("generator-token"), []byte(token+"\n"), 0o600))
	require.NoError(s.t, os.WriteFile(s.path("generator-webhook-secret"), []byte("e2e-webhook\n"), 0o600))
	require.NoError(s.t, os.WriteFile(s.path("argocd-webhook-secret"), []byte(appsetWebhookSecret), 0o600))
	port := freePort(s.t)
	local := map[string]string{
		"--listen":                             addr(port),
		"--repo":                               repoURL,
		"--token-file":                         s.path("generator-token"),
		"--webhook-secret-file":                s.path("generator-webhook-secret"),
		"--cache-dir":                          s.path("generator-cache"),
		"--applicationset-webhook":             a.appsetWebhook,
		"--applicationset-webhook-secret-file": s.path("argocd-webhook-secret"),
	}
	var args []string
	for _, a := range manifestArgs {
		name, _, _ := strings.Cut(a, "=")
		if v, ok := local[name]; ok {
			a = name + "=" + v
			delete(local, name)
		}
		args = append(args, a)
	}
	require.Empty(s.t, local, "flags the suite sets that manifests/generator.yaml no longer passes")
	// Faster than in production, so the suite's steps take seconds: how soon a call looks
	// at the remote again, and how long a Git outage is served around.
	args = append(args, "--ref-check-ttl=1s", "--max-stale=5s", "--kubeconfig="+kubeconfig)
	args = append(args, extra...)
	s.start("shopset-generator", filepath.Join(s.bin, "shopctl"), nil, args...)
	baseURL = "http://" + addr(port)
	s.waitHTTP(60*time.Second, baseURL+"/readyz", nil, http.StatusOK)
	return baseURL, token
}
