// Package manifests_test checks the install manifests against the code they install.
package manifests_test

import (
	"io"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/shopset/shopset/cli"
	"github.com/shopset/shopset/internal/golden"
	"github.com/shopset/shopset/plugin"
)

// cmp-plugin.yaml carries plugin/plugin.yaml verbatim; -update regenerates it.
func TestPluginConfigMap(t *testing.T) {
	cm := yaml.NewMapRNode(&map[string]string{})
	require.NoError(t, cm.PipeE(yaml.SetField("plugin.yaml", yaml.NewStringRNode(string(plugin.Config)))))
	doc, err := yaml.Parse("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shopset-cmp-plugin\n")
	require.NoError(t, err)
	require.NoError(t, doc.PipeE(yaml.SetField("data", cm)))
	out := "# Generated from plugin/plugin.yaml by `go test ./manifests -update`: edit that file instead.\n" + doc.MustString()
	golden.Assert(t, "cmp-plugin.yaml", []byte(out))
}

// build is `kubectl apply -k manifests/`: kubectl's default Kustomize options.
func build(t *testing.T) map[string]*resource.Resource {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), ".")
	require.NoError(t, err)
	out := map[string]*resource.Resource{}
	for _, r := range m.Resources() {
		assert.Equal(t, "argocd", r.GetNamespace(), r.CurId().String())
		out[r.GetKind()+"/"+r.GetName()] = r
	}
	return out
}

// get returns the field at path, failing the test when it is absent.
func get(t *testing.T, n *yaml.RNode, path ...string) *yaml.RNode {
	t.Helper()
	found, err := n.Pipe(yaml.Lookup(path...))
	require.NoError(t, err)
	require.NotNil(t, found, "no %s", strings.Join(path, "."))
	return found
}

// value is the scalar at path.
func value(t *testing.T, n *yaml.RNode, path ...string) string {
	t.Helper()
	return strings.TrimSpace(get(t, n, path...).MustString())
}

func TestInstall(t *testing.T) {
	objs := build(t)
	var names []string
	for k := range objs {
		names = append(names, k)
	}
	assert.ElementsMatch(t, []string{
		"Deployment/shopset-generator", "Service/shopset-generator", "PodDisruptionBudget/shopset-generator",
		"ConfigMap/shopset-generator",
		"Secret/shopset-generator", "ConfigMap/shopset-cmp-plugin", "AppProject/shopsets",
		"ServiceAccount/shopset-generator", "Role/shopset-generator", "RoleBinding/shopset-generator",
	}, names, "shopset's own objects only: what changes Argo CD's objects is a patch, in argocd/")

	t.Run("CMP plugin ConfigMap carries plugin.yaml", func(t *testing.T) {
		assert.Equal(t, string(plugin.Config), objs["ConfigMap/shopset-cmp-plugin"].GetDataMap()["plugin.yaml"])
	})

	t.Run("generator runs locked down with probes", func(t *testing.T) {
		d := &objs["Deployment/shopset-generator"].RNode
		assert.Equal(t, "true", value(t, d, "spec", "template", "spec", "securityContext", "runAsNonRoot"))
		c := get(t, d, "spec", "template", "spec", "containers", "[name=generator]")
		assert.Equal(t, "true", value(t, c, "securityContext", "readOnlyRootFilesystem"))
		assert.Equal(t, "/readyz", value(t, c, "readinessProbe", "httpGet", "path"))
		assert.Equal(t, "/healthz", value(t, c, "livenessProbe", "httpGet", "path"))
		assert.Equal(t, "512Mi", value(t, c, "resources", "limits", "memory"))
		assert.Equal(t, shopctlImage, value(t, c, "image"), "pinned by kustomization.yaml's images:")
	})

	// The generator reads Applications and nothing else, and writes nothing.
	t.Run("generator reads Applications only", func(t *testing.T) {
		d := &objs["Deployment/shopset-generator"].RNode
		assert.Equal(t, "shopset-generator", value(t, d, "spec", "template", "spec", "serviceAccountName"))
		rules := get(t, &objs["Role/shopset-generator"].RNode, "rules")
		require.Len(t, rules.Content(), 1)
		rule, err := yaml.NewRNode(rules.Content()[0]).MarshalJSON()
		require.NoError(t, err)
		assert.JSONEq(t, `{"apiGroups":["argoproj.io"],"resources":["applications"],"verbs":["get","list","watch"]}`, string(rule))
		binding := &objs["RoleBinding/shopset-generator"].RNode
		assert.Equal(t, "shopset-generator", value(t, binding, "roleRef", "name"))
		assert.Equal(t, "shopset-generator", value(t, binding, "subjects", "[name=shopset-generator]", "name"))
	})

	// Two replicas on distinct nodes where the cluster can, and one kept through a drain.
	t.Run("generator is highly available", func(t *testing.T) {
		d := &objs["Deployment/shopset-generator"].RNode
		assert.Equal(t, "2", value(t, d, "spec", "replicas"))
		term := get(t, d, "spec", "template", "spec", "affinity", "podAntiAffinity",
			"preferredDuringSchedulingIgnoredDuringExecution", "[weight=100]", "podAffinityTerm")
		assert.Equal(t, "kubernetes.io/hostname", value(t, term, "topologyKey"))
		assert.Equal(t, "shopset-generator", value(t, term, "labelSelector", "matchLabels", "app.kubernetes.io/name"))
		pdb := &objs["PodDisruptionBudget/shopset-generator"].RNode
		assert.Equal(t, "1", value(t, pdb, "spec", "minAvailable"))
		assert.Equal(t, "shopset-generator", value(t, pdb, "spec", "selector", "matchLabels", "app.kubernetes.io/name"))
	})

	t.Run("generator args are shopctl's flags", func(t *testing.T) {
		c := get(t, &objs["Deployment/shopset-generator"].RNode, "spec", "template", "spec", "containers", "[name=generator]", "args")
		var list []string
		for _, a := range c.Content() {
			list = append(list, a.Value)
		}
		require.Equal(t, []string{"generator", "serve"}, list[:2])
		root := cli.Command(cli.Env{Stdout: io.Discard, Stderr: io.Discard})
		serve, rest, err := root.Find(list[:2])
		require.NoError(t, err)
		require.Empty(t, rest)
		require.NoError(t, serve.ParseFlags(list[2:]), "the Deployment passes a flag shopctl does not have")
	})

	t.Run("Argo CD reaches the generator with its token", func(t *testing.T) {
		data := objs["ConfigMap/shopset-generator"].GetDataMap()
		assert.Equal(t, "http://shopset-generator.argocd.svc.cluster.local:8080", data["baseUrl"])
		assert.Equal(t, "$shopset-generator:token", data["token"])
		secret := objs["Secret/shopset-generator"]
		assert.Equal(t, "argocd", secret.GetLabels()["app.kubernetes.io/part-of"], "Argo CD only reads labelled Secrets")
		assert.Equal(t, "8080", value(t, &objs["Service/shopset-generator"].RNode, "spec", "ports", "[name=http]", "port"))
	})
}

// A private repository: the generator's optional Secret is mounted where the flags that
// generator.yaml and git-credentials.example.yaml document read it, those flags are
// shopctl's, and the example gives Argo CD the same repository in its own kind of Secret.
func TestGitCredentials(t *testing.T) {
	objs := build(t)
	d := &objs["Deployment/shopset-generator"].RNode
	vol := get(t, d, "spec", "template", "spec", "volumes", "[name=git-credentials]")
	assert.Equal(t, "shopset-git-credentials", value(t, vol, "secret", "secretName"))
	assert.Equal(t, "true", value(t, vol, "secret", "optional"), "an install without a private repository starts")
	mount := get(t, d, "spec", "template", "spec", "containers", "[name=generator]", "volumeMounts", "[name=git-credentials]")
	dir := value(t, mount, "mountPath")
	assert.Equal(t, "true", value(t, mount, "readOnly"))

	example, err := os.ReadFile("git-credentials.example.yaml")
	require.NoError(t, err)
	deployment, err := os.ReadFile("generator.yaml")
	require.NoError(t, err)
	keys := []string{"token", "username", "sshPrivateKey", "known_hosts"}
	flag := regexp.MustCompile(`(--git-[a-z-]+-file)=(\S+)`)
	for name, doc := range map[string][]byte{"generator.yaml": deployment, "git-credentials.example.yaml": example} {
		var flags []string
		seen := map[string]bool{}
		for _, m := range flag.FindAllStringSubmatch(string(doc), -1) {
			flags = append(flags, m[0])
			seen[m[1]] = true
			assert.Equal(t, dir, path.Dir(m[2]), "%s: %s reads from the mounted Secret", name, m[1])
			assert.Contains(t, keys, path.Base(m[2]), "%s: %s reads a key the example documents", name, m[1])
		}
		assert.Len(t, seen, 4, "%s documents every credential flag: %v", name, flags)
		root := cli.Command(cli.Env{Stdout: io.Discard, Stderr: io.Discard})
		serve, _, err := root.Find([]string{"generator", "serve"})
		require.NoError(t, err)
		require.NoError(t, serve.ParseFlags(flags), "%s documents a flag shopctl does not have", name)
	}

	var docs []map[string]any
	for _, part := range strings.Split(string(example), "\n---\n") {
		var m map[string]any
		require.NoError(t, sigsyaml.UnmarshalStrict([]byte(part), &m))
		docs = append(docs, m)
	}
	require.Len(t, docs, 2)
	gen, repo := docs[0], docs[1]
	assert.Equal(t, "shopset-git-credentials", gen["metadata"].(map[string]any)["name"])
	for k := range gen["stringData"].(map[string]any) {
		assert.Contains(t, keys, k)
	}
	labels := repo["metadata"].(map[string]any)["labels"].(map[string]any)
	assert.Equal(t, "repository", labels["argocd.argoproj.io/secret-type"], "Argo CD reads repository Secrets by this label")
	args := get(t, d, "spec", "template", "spec", "containers", "[name=generator]", "args")
	var repoURL string
	for _, a := range args.Content() {
		if v, ok := strings.CutPrefix(a.Value, "--repo="); ok {
			repoURL = v
		}
	}
	data := repo["stringData"].(map[string]any)
	assert.Equal(t, repoURL, data["url"], "Argo CD's Secret names the repository as --repo does")
	for _, k := range []string{"type", "url", "username", "password"} {
		assert.Contains(t, data, k)
	}
}
