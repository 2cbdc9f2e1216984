package manifests_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// shopctlImage is the image this release's install runs, generator and sidecar alike.
const (
	shopctlImage = shopctlName + ":" + shopctlTag
	shopctlName  = "ghcr.io/shopset/shopctl"
	shopctlTag   = "v0.1.0"
)

// argoCD is the argo-cd module this module builds and tests against: the overlay installs
// its manifests/install.yaml.
func argoCD(t *testing.T) (dir, version string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-json", "github.com/argoproj/argo-cd/v2").Output()
	require.NoError(t, err, "go list -m github.com/argoproj/argo-cd/v2")
	var m struct{ Dir, Version string }
	require.NoError(t, json.Unmarshal(out, &m))
	require.NotEmpty(t, m.Dir, "argo-cd is not in the module cache: go mod download github.com/argoproj/argo-cd/v2")
	return m.Dir, m.Version
}

// overlay is where the example overlay lives, from manifests/.
const overlay = "../examples/argocd-overlay"

// overlayFS is manifests/ and the example overlay in memory, at /manifests and
// /examples/argocd-overlay, with the overlay's install.yaml URL answered from the argo-cd
// module instead of the network.
func overlayFS(t *testing.T) filesys.FileSystem {
	t.Helper()
	mem := filesys.MakeFsInMemory()
	for _, dir := range []string{".", overlay} {
		require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return mem.WriteFile(filepath.Join("/manifests", path), b)
		}))
	}
	dir, version := argoCD(t)
	install, err := os.ReadFile(filepath.Join(dir, "manifests", "install.yaml"))
	require.NoError(t, err)
	require.NoError(t, mem.WriteFile(overlayRoot+"/install.yaml", install))
	k, err := mem.ReadFile(overlayRoot + "/kustomization.yaml")
	require.NoError(t, err)
	url := "https://raw.githubusercontent.com/argoproj/argo-cd/" + version + "/manifests/install.yaml"
	require.Contains(t, string(k), "  - "+url+"\n", "the overlay installs the Argo CD release this module is tested with")
	require.NoError(t, mem.WriteFile(overlayRoot+"/kustomization.yaml", []byte(strings.Replace(string(k), url, "install.yaml", 1))))
	return mem
}

// overlayRoot is the overlay in overlayFS.
const overlayRoot = "/examples/argocd-overlay"

// buildFS is `kubectl apply -k path` on fsys: kubectl's default Kustomize options.
func buildFS(t *testing.T, fsys filesys.FileSystem, path string) map[string]*resource.Resource {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, path)
	require.NoError(t, err, "kustomize build %s", path)
	out := map[string]*resource.Resource{}
	for _, r := range m.Resources() {
		out[r.GetKind()+"/"+r.GetName()] = r
	}
	return out
}

// installed is Argo CD's own install.yaml, by kind/name.
func installed(t *testing.T) map[string]map[string]any {
	t.Helper()
	dir, _ := argoCD(t)
	b, err := os.ReadFile(filepath.Join(dir, "manifests", "install.yaml"))
	require.NoError(t, err)
	out := map[string]map[string]any{}
	for _, doc := range strings.Split(string(b), "\n---\n") {
		var o map[string]any
		require.NoError(t, sigsyaml.Unmarshal([]byte(doc), &o))
		if o == nil {
			continue
		}
		md := o["metadata"].(map[string]any)
		out[o["kind"].(string)+"/"+md["name"].(string)] = o
	}
	return out
}

// podSpec is a Deployment's pod spec, decoded strictly by Kubernetes' own type.
func podSpec(t *testing.T, deployment []byte) corev1.PodSpec {
	t.Helper()
	var d appsv1.Deployment
	require.NoError(t, sigsyaml.UnmarshalStrict(deployment, &d))
	return d.Spec.Template.Spec
}

func names[T any](items []T, name func(T) string) []string {
	var out []string
	for _, i := range items {
		out = append(out, name(i))
	}
	return out
}

// checkRepoServer asserts what a repo-server with the sidecar must be: Argo CD's container
// first and unchanged, the sidecar second, every volume of Argo CD's install kept, and
// every container's mounts naming a volume of the pod.
func checkRepoServer(t *testing.T, got corev1.PodSpec, want corev1.PodSpec) {
	t.Helper()
	containerName := func(c corev1.Container) string { return c.Name }
	volumeName := func(v corev1.Volume) string { return v.Name }
	require.Equal(t, []string{"argocd-repo-server", "shopset-cmp"}, names(got.Containers, containerName))
	assert.Equal(t, want.Containers[0], got.Containers[0], "Argo CD's own container is left as it is")
	assert.Equal(t, want.InitContainers, got.InitContainers)
	assert.ElementsMatch(t, append(names(want.Volumes, volumeName), "shopset-cmp-plugin", "shopset-cmp-tmp"), names(got.Volumes, volumeName))
	volumes := names(got.Volumes, volumeName)
	for _, c := range append(got.InitContainers, got.Containers...) {
		for _, m := range c.VolumeMounts {
			assert.Contains(t, volumes, m.Name, "container %s mounts a volume the pod does not have", c.Name)
		}
	}
	sidecar := got.Containers[1]
	assert.Equal(t, []string{"/var/run/argocd/argocd-cmp-server"}, sidecar.Command)
	require.NotNil(t, sidecar.SecurityContext)
	assert.Equal(t, int64(999), *sidecar.SecurityContext.RunAsUser)
	mounts := map[string]string{}
	for _, m := range sidecar.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	assert.Equal(t, map[string]string{
		"var-files": "/var/run/argocd", "plugins": "/home/argocd/cmp-server/plugins",
		"shopset-cmp-plugin": "/home/argocd/cmp-server/config/plugin.yaml", "shopset-cmp-tmp": "/tmp",
	}, mounts, "the sidecar as Argo CD documents it")
}

// The overlay: Argo CD's install.yaml, shopset's objects, and the Component's patches.
func TestOverlay(t *testing.T) {
	mem := overlayFS(t)
	objs := buildFS(t, mem, overlayRoot)
	argo := installed(t)

	for name := range build(t) {
		assert.Contains(t, objs, name, "the overlay installs shopset's own objects")
	}
	for name := range argo {
		assert.Contains(t, objs, name, "the overlay installs Argo CD's own objects")
	}

	t.Run("the sidecar is added to Argo CD's repo-server", func(t *testing.T) {
		got, err := objs["Deployment/argocd-repo-server"].AsYAML()
		require.NoError(t, err)
		want, err := sigsyaml.Marshal(argo["Deployment/argocd-repo-server"])
		require.NoError(t, err)
		spec := podSpec(t, got)
		checkRepoServer(t, spec, podSpec(t, want))
		assert.Equal(t, shopctlImage, spec.Containers[1].Image)
		assert.Equal(t, "argocd-repo-server", value(t, &objs["Deployment/argocd-repo-server"].RNode,
			"spec", "selector", "matchLabels", "app.kubernetes.io/name"))
	})

	t.Run("argocd-cmd-params-cm keeps its labels", func(t *testing.T) {
		cm := objs["ConfigMap/argocd-cmd-params-cm"]
		want := argo["ConfigMap/argocd-cmd-params-cm"]["metadata"].(map[string]any)["labels"]
		var labels map[string]any
		for k, v := range cm.GetLabels() {
			if labels == nil {
				labels = map[string]any{}
			}
			labels[k] = v
		}
		assert.Equal(t, want, labels)
		assert.Equal(t, ".git", cm.GetDataMap()["reposerver.plugin.tar.exclusions"])
	})

	// kustomize edit set image in the overlay moves the generator and the sidecar alike.
	t.Run("one place sets shopset's registry and tag", func(t *testing.T) {
		assert.Equal(t, shopctlImage, value(t, &objs["Deployment/shopset-generator"].RNode,
			"spec", "template", "spec", "containers", "[name=generator]", "image"))
		b, err := mem.ReadFile(overlayRoot + "/kustomization.yaml")
		require.NoError(t, err)
		k, err := yaml.Parse(string(b))
		require.NoError(t, err)
		img := get(t, k, "images", "[name="+shopctlName+"]")
		require.NoError(t, img.PipeE(yaml.SetField("newName", yaml.NewStringRNode("registry.example/shopctl"))))
		require.NoError(t, img.PipeE(yaml.SetField("newTag", yaml.NewStringRNode("v9.9.9"))))
		require.NoError(t, mem.WriteFile(overlayRoot+"/kustomization.yaml", []byte(k.MustString())))
		moved := buildFS(t, mem, overlayRoot)
		assert.Equal(t, "registry.example/shopctl:v9.9.9", value(t, &moved["Deployment/shopset-generator"].RNode,
			"spec", "template", "spec", "containers", "[name=generator]", "image"))
		assert.Equal(t, "registry.example/shopctl:v9.9.9", value(t, &moved["Deployment/argocd-repo-server"].RNode,
			"spec", "template", "spec", "containers", "[name=shopset-cmp]", "image"))
	})
}

// For an Argo CD applied from install.yaml by hand: `kubectl patch --type strategic` with
// the patch file gives the repo-server the overlay gives it. The patch is merged by
// apimachinery's strategic merge, the code the API server runs for kubectl patch.
func TestRepoServerPatchByHand(t *testing.T) {
	argo := installed(t)
	original, err := json.Marshal(argo["Deployment/argocd-repo-server"])
	require.NoError(t, err)
	patchYAML, err := os.ReadFile(filepath.Join("argocd", "argocd-repo-server-patch.yaml"))
	require.NoError(t, err)
	patch, err := sigsyaml.YAMLToJSON(patchYAML)
	require.NoError(t, err)
	patched, err := strategicpatch.StrategicMergePatch(original, patch, appsv1.Deployment{})
	require.NoError(t, err)
	got := podSpec(t, patched)
	checkRepoServer(t, got, podSpec(t, original))

	overlay, err := buildFS(t, overlayFS(t), overlayRoot)["Deployment/argocd-repo-server"].AsYAML()
	require.NoError(t, err)
	want := podSpec(t, overlay)
	// A strategic merge puts the patch's new volumes first, Kustomize last: the order of
	// volumes means nothing, that of containers does (checked above).
	byName := func(a, b corev1.Volume) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(want.Volumes, byName)
	slices.SortFunc(got.Volumes, byName)
	assert.Equal(t, want, got, "kubectl patch and the overlay give the same repo-server")
}

// The Helm chart's values carry the very sidecar, volumes and parameter of the patches.
func TestHelmValues(t *testing.T) {
	read := func(path string) map[string]any {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, sigsyaml.UnmarshalStrict(b, &m), path)
		return m
	}
	values := read(filepath.Join("helm", "values.yaml"))
	patch := read(filepath.Join("argocd", "argocd-repo-server-patch.yaml"))
	params := read(filepath.Join("argocd", "argocd-cmd-params-cm-patch.yaml"))

	at := func(m map[string]any, path ...string) any {
		var v any = m
		for _, p := range path {
			mm, ok := v.(map[string]any)
			require.True(t, ok, "%s: not a map at %s", strings.Join(path, "."), p)
			v, ok = mm[p]
			require.True(t, ok, "no %s", strings.Join(path, "."))
		}
		return v
	}
	asJSON := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return string(b)
	}
	// The patch names Argo CD's container too (to keep it first); the chart adds only extras.
	var sidecars []any
	for _, c := range at(patch, "spec", "template", "spec", "containers").([]any) {
		if c.(map[string]any)["name"] != "argocd-repo-server" {
			sidecars = append(sidecars, c)
		}
	}
	require.Len(t, sidecars, 1)
	assert.JSONEq(t, asJSON(sidecars), asJSON(at(values, "repoServer", "extraContainers")))
	assert.JSONEq(t, asJSON(at(patch, "spec", "template", "spec", "volumes")), asJSON(at(values, "repoServer", "volumes")))
	assert.JSONEq(t, asJSON(at(params, "data")), asJSON(at(values, "configs", "params")))

	// Strictly Kubernetes containers and volumes: a misspelt field fails here, not in helm.
	var typed struct {
		RepoServer struct {
			ExtraContainers []corev1.Container `json:"extraContainers"`
			Volumes         []corev1.Volume    `json:"volumes"`
		} `json:"repoServer"`
		Configs struct {
			Params map[string]string `json:"params"`
		} `json:"configs"`
	}
	b, err := os.ReadFile(filepath.Join("helm", "values.yaml"))
	require.NoError(t, err)
	require.NoError(t, sigsyaml.UnmarshalStrict(b, &typed))
	require.Len(t, typed.RepoServer.ExtraContainers, 1)
	assert.Equal(t, shopctlImage, typed.RepoServer.ExtraContainers[0].Image)
}

// Every shopctl image of the install is pinned to this release, in every file that names
// one; `images:` entries pin the same tag.
func TestImagesPinned(t *testing.T) {
	image := regexp.MustCompile(`(?m)^\s*(?:-\s+)?image:\s*(\S+)\s*$`)
	newTag := regexp.MustCompile(`(?m)^\s*newTag:\s*(\S+)\s*$`)
	var seen []string
	walk := func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" || strings.Contains(path, "testdata") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range image.FindAllStringSubmatch(string(b), -1) {
			if strings.Contains(m[1], "shopctl") {
				assert.Equal(t, shopctlImage, m[1], path)
				seen = append(seen, path)
			}
		}
		for _, m := range newTag.FindAllStringSubmatch(string(b), -1) {
			assert.Equal(t, shopctlTag, m[1], path)
			seen = append(seen, path)
		}
		return nil
	}
	require.NoError(t, filepath.WalkDir(".", walk))
	require.NoError(t, filepath.WalkDir(overlay, walk))
	slices.Sort(seen)
	assert.Equal(t, []string{
		"../examples/argocd-overlay/kustomization.yaml", "argocd/argocd-repo-server-patch.yaml", "generator.yaml", "helm/values.yaml",
		"kustomization.yaml",
	}, slices.Compact(seen))
}
