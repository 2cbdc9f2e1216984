//go:build e2e

package e2e

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/jsonmergepatch"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// TestInstall is step 0, apart from the scenario so that it runs alone (e2e/run.sh v2
// -run TestInstall): the README's install on API servers of its own, and shopctl check
// on each install and on installs that cannot work.
func TestInstall(t *testing.T) {
	version := cmp.Or(os.Getenv("SHOPSET_E2E_ARGOCD"), "v2")
	s := newSuite(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var etcd string
	s.step("start etcd", func() {
		s.ca = writePKI(t, s.path("pki"))
		etcd = s.startEtcd()
	})
	in := buildManifests(s)
	s.step("0. the README's install on API servers of its own: Argo CD's install.yaml, then shopset's objects and patches (client-side, server-side), and the Kustomize overlay; shopctl check on each", func() {
		s.checkInstall(ctx, version, etcd, in)
	})
	s.report()
}

// lastApplied is where kubectl apply (client-side) keeps what it applied last.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

var (
	gvrAppProject     = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "appprojects"}
	gvkApplicationSet = schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "ApplicationSet"}
)

// applyMode is one way of the README's to install.
type applyMode struct {
	name       string
	serverSide bool
	// overlay: kubectl apply -k examples/argocd-overlay/ (client-side) instead of
	// install.yaml, manifests/ and the kubectl patch commands.
	overlay bool
}

// checkInstall runs the README's install on kube-apiservers of its own, once with
// kubectl apply's client-side merge and once with --server-side: Argo CD's own
// manifests/install.yaml (from the argo-cd module the suite runs) into namespace argocd,
// then shopset's objects (manifests/), the patches of Argo CD's objects
// (manifests/argocd/, as kubectl patch sends them) and both example ApplicationSets, and
// checks what the API server kept.
//
// Its API servers are not the suite's: install.yaml is for namespace argocd, where the
// suite's own Argo CD keeps its objects on the home API server, and the other two are
// destinations whose every object Argo CD watches. Each is started on the suite's etcd
// under a prefix of its own (no controllers: acceptance is what is checked) and stopped
// once checked.
func (s *suite) checkInstall(ctx context.Context, version, etcd string, in installation) {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(s.argoCDModule(ctx, version), "manifests", "install.yaml"))
	require.NoError(s.t, err)
	argo := decode(s.t, b)
	var sets []*unstructured.Unstructured
	for _, f := range []string{"applicationset.yaml", "routing-applicationset.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "examples", f))
		require.NoError(s.t, err)
		sets = append(sets, decode(s.t, b)...)
	}
	overlay := s.buildOverlay(b)
	for i, mode := range []applyMode{{name: "client-side"}, {name: "server-side", serverSide: true}, {name: "kustomize overlay", overlay: true}} {
		c := s.startAPIServer(3+i, etcd)
		kubeconfig := s.writeKubeconfig(c, "argocd")
		s.t.Logf("install with kubectl apply %s on %s", mode.name, c.name)
		if i == 0 {
			// A cluster without Argo CD: the check before the install says to install it.
			out := s.checkFails(ctx, kubeconfig, "--pre")
			assert.Contains(s.t, out, "FAIL  Application CRD: Argo CD's Application CRD is not installed")
			assert.Contains(s.t, out, "fix: install Argo CD first: kubectl create namespace argocd; kubectl apply -n argocd -f https://raw.githubusercontent.com/argoproj/argo-cd/stable/manifests/install.yaml")
			assert.Contains(s.t, out, "FAIL  repo-server: no Deployment argocd-repo-server in namespace argocd")
		}
		if mode.overlay {
			s.installOverlay(ctx, c, overlay, sets)
		} else {
			s.installAsREADME(ctx, c, mode, argo, in, sets)
		}
		s.checkInstalled(ctx, c, mode, argo, in, sets)
		s.checkPasses(ctx, mode, kubeconfig)
		if mode.name == "client-side" {
			// What the issue saw: the sidecar as a partial Deployment among the resources.
			old := in.patch("Deployment", "argocd-repo-server")
			containers, _, _ := unstructured.NestedSlice(old.Object, "spec", "template", "spec", "containers")
			require.NoError(s.t, unstructured.SetNestedSlice(old.Object, containers[1:], "spec", "template", "spec", "containers"))
			err := c.applyAs(ctx, mode, "argocd", old)
			require.Error(s.t, err, "a partial Deployment applied over Argo CD's: the API server took it")
			assert.Contains(s.t, err.Error(), "spec.selector: Required value")

			// The check in a namespace without Argo CD names the one that has it.
			out := s.checkFails(ctx, kubeconfig, "-n", "default")
			assert.Contains(s.t, out, "FAIL  repo-server: no Deployment argocd-repo-server in namespace default")
			assert.Contains(s.t, out, "fix: Argo CD's repo-server is in namespace argocd: run again with -n argocd")

			// Without the repo-server, and without the sidecar: each says what to do.
			require.NoError(s.t, c.dyn.Resource(gvrDeployment).Namespace("argocd").Delete(ctx, "argocd-repo-server", metav1.DeleteOptions{}))
			out = s.checkFails(ctx, kubeconfig, "--pre")
			assert.Contains(s.t, out, "FAIL  repo-server: no Deployment argocd-repo-server in namespace argocd")
			assert.Contains(s.t, out, "fix: Argo CD is not installed in namespace argocd: name the namespace it is installed in with -n")
			for _, o := range argo {
				if o.GetKind() == "Deployment" && o.GetName() == "argocd-repo-server" {
					require.NoError(s.t, c.applyAs(ctx, mode, "argocd", o), "kubectl apply -n argocd -f install.yaml, again")
				}
			}
			out = s.checkFails(ctx, kubeconfig)
			assert.Contains(s.t, out, "FAIL  sidecar: Deployment argocd-repo-server has no container shopset-cmp")
			assert.Contains(s.t, out, "fix: patch it in: kubectl -n argocd patch deployment argocd-repo-server --type strategic --patch-file manifests/argocd/argocd-repo-server-patch.yaml")
		}
		s.stop(c.name)
	}
	s.checkOtherCRDVersion(ctx, etcd, argo)
}

// checkOtherCRDVersion runs shopctl check --pre on an API server whose Application CRD
// serves a version Argo CD does not have (Argo CD's own CRD, its version renamed): it
// says which Argo CD releases shopset supports.
func (s *suite) checkOtherCRDVersion(ctx context.Context, etcd string, argo []*unstructured.Unstructured) {
	t := s.t
	t.Helper()
	var crd *unstructured.Unstructured
	for _, o := range argo {
		if o.GetKind() == "CustomResourceDefinition" && o.GetName() == "applications.argoproj.io" {
			crd = o.DeepCopy()
		}
	}
	require.NotNil(t, crd, "install.yaml has the Application CRD")
	versions, _, err := unstructured.NestedSlice(crd.Object, "spec", "versions")
	require.NoError(t, err)
	require.Len(t, versions, 1)
	versions[0].(map[string]any)["name"] = "v1beta1"
	require.NoError(t, unstructured.SetNestedSlice(crd.Object, versions, "spec", "versions"))

	c := s.startAPIServer(6, etcd)
	require.NoError(t, c.apply(ctx, "e2e", crd))
	s.eventually(30*time.Second, "Applications at argoproj.io/v1beta1 to be discovered", func() (bool, string) {
		if _, err := c.resource(schema.GroupVersionKind{Group: "argoproj.io", Version: "v1beta1", Kind: "Application"}, "argocd"); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
	out := s.checkFails(ctx, s.writeKubeconfig(c, "argocd"), "--pre")
	assert.Contains(t, out, "FAIL  Application CRD: Applications are served at argoproj.io/v1beta1 only, not at argoproj.io/v1alpha1, which shopset uses")
	assert.Contains(t, out, "fix: shopset supports Argo CD v2.14 and v3.x, which serve argoproj.io/v1alpha1: install one of those")
	s.stop(c.name)
}

// checkPasses runs shopctl check, and check --pre, on an install: no check fails, and the
// only warnings are what API servers without controllers, the example Secret and the
// example --repo give.
func (s *suite) checkPasses(ctx context.Context, mode applyMode, kubeconfig string) {
	t := s.t
	t.Helper()
	for _, pre := range []bool{false, true} {
		args := []string{"check", "--kubeconfig", kubeconfig, "--context", "e2e", "-n", "argocd", "-o", "json"}
		if pre {
			args = append(args, "--pre")
		}
		out, err := run(ctx, s.work, []string{"HOME=" + s.path("home")}, filepath.Join(s.bin, "shopctl"), args...)
		require.NoError(t, err, "%s: shopctl %s", mode.name, strings.Join(args, " "))
		var report struct {
			Failed int
			Checks []struct{ Group, Name, Status, Message string }
		}
		require.NoError(t, json.Unmarshal([]byte(out), &report), out)
		assert.Zero(t, report.Failed, out)
		for _, c := range report.Checks {
			switch {
			case c.Status == "ok":
			case c.Group == "shopset generator" && c.Name == "Deployment":
				assert.Contains(t, c.Message, "0 of 2 replicas available", "no controllers run Deployments here")
			case c.Group == "shopset generator" && c.Name == "Secret":
				assert.Contains(t, c.Message, "still holds the example token and webhook-secret")
			case c.Group == "shopset generator" && c.Name == "flags":
				assert.Contains(t, c.Message, "serves the install's example repository https://git.shop.example/platform.git")
			default:
				assert.Fail(t, "a check that is not ok", "%s: %+v", mode.name, c)
			}
		}
		if pre {
			assert.Len(t, report.Checks, 7, out)
		} else {
			assert.Len(t, report.Checks, 16, out)
		}
	}
}

// checkFails runs shopctl check with args on a broken install: it exits 1 and says so on
// stderr; its report is returned.
func (s *suite) checkFails(ctx context.Context, kubeconfig string, args ...string) string {
	t := s.t
	t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "shopctl"), append([]string{"check", "--kubeconfig", kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+s.path("home"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "shopctl check %s: %s%s", strings.Join(args, " "), stdout.String(), stderr.String())
	assert.Equal(t, 1, exit.ExitCode())
	assert.Regexp(t, `^error: \d+ of \d+ checks failed\n$`, stderr.String())
	t.Logf("%s:\n%s", strings.Join(append([]string{"shopctl check"}, args...), " "), stdout.String())
	return stdout.String()
}

// installAsREADME does what the README's install commands do, by hand (the Install
// section): kubectl create namespace argocd; kubectl apply -n argocd -f install.yaml;
// kubectl apply -k manifests/; the two kubectl patch commands; kubectl apply -f of the
// example ApplicationSets. With mode.serverSide every apply has --server-side.
func (s *suite) installAsREADME(ctx context.Context, c *cluster, mode applyMode, argo []*unstructured.Unstructured, in installation, sets []*unstructured.Unstructured) {
	s.t.Helper()
	_, err := c.dyn.Resource(gvrNamespace).Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "argocd"}}}, metav1.CreateOptions{})
	require.NoError(s.t, err, "kubectl create namespace argocd")
	require.NoError(s.t, c.applyAs(ctx, mode, "argocd", argo...), "kubectl apply -n argocd -f install.yaml")
	s.waitArgoKinds(ctx, c)
	require.NoError(s.t, c.applyAs(ctx, mode, "", in.objects...), "kubectl apply -k manifests/")
	if !mode.serverSide {
		// Applied again, as on every upgrade: kubectl's three-way merge this time.
		require.NoError(s.t, c.applyAs(ctx, mode, "", in.objects...), "kubectl apply -k manifests/, again")
	}
	require.NoError(s.t, c.patch(ctx, types.MergePatchType, "argocd", in.patch("ConfigMap", "argocd-cmd-params-cm")),
		"kubectl -n argocd patch configmap argocd-cmd-params-cm --type merge --patch-file manifests/argocd/argocd-cmd-params-cm-patch.yaml")
	require.NoError(s.t, c.patch(ctx, types.StrategicMergePatchType, "argocd", in.patch("Deployment", "argocd-repo-server")),
		"kubectl -n argocd patch deployment argocd-repo-server --type strategic --patch-file manifests/argocd/argocd-repo-server-patch.yaml")
	require.NoError(s.t, c.applyAs(ctx, mode, "", sets...), "kubectl apply -f examples/applicationset.yaml -f examples/routing-applicationset.yaml")
}

// waitArgoKinds waits until c serves Argo CD's ApplicationSets and AppProjects and lists
// them in its discovery, which follows a new CRD a moment after its endpoint does (kubectl
// maps kinds through discovery, and so does the suite).
func (s *suite) waitArgoKinds(ctx context.Context, c *cluster) {
	s.t.Helper()
	s.eventually(30*time.Second, "Argo CD's CRDs to be served and discovered", func() (bool, string) {
		for _, gvr := range []schema.GroupVersionResource{gvrApplicationSet, gvrAppProject} {
			if _, err := c.list(ctx, gvr, "argocd", ""); err != nil {
				return false, err.Error()
			}
		}
		for _, gvk := range []schema.GroupVersionKind{gvkApplicationSet, gvkAppProject} {
			if _, err := c.resource(gvk, "argocd"); err != nil {
				return false, err.Error()
			}
		}
		return true, ""
	})
}

// buildOverlay is examples/argocd-overlay/ as kubectl apply -k builds it (Kustomize's own
// engine, kubectl's options), its install.yaml URL answered with install (no network).
func (s *suite) buildOverlay(install []byte) []*unstructured.Unstructured {
	t := s.t
	t.Helper()
	mem := filesys.MakeFsInMemory()
	for _, dir := range []string{"manifests", filepath.Join("examples", "argocd-overlay")} {
		require.NoError(t, filepath.WalkDir(filepath.Join("..", dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return mem.WriteFile(filepath.Join("/", strings.TrimPrefix(path, "../")), b)
		}))
	}
	const root = "/examples/argocd-overlay"
	k, err := mem.ReadFile(root + "/kustomization.yaml")
	require.NoError(t, err)
	url := regexp.MustCompile(`https://raw\.githubusercontent\.com/argoproj/argo-cd/v[0-9.]+/manifests/install\.yaml`)
	require.Len(t, url.FindAll(k, -1), 1, "examples/argocd-overlay installs Argo CD's install.yaml by its URL")
	require.NoError(t, mem.WriteFile(root+"/kustomization.yaml", url.ReplaceAll(k, []byte("install.yaml"))))
	require.NoError(t, mem.WriteFile(root+"/install.yaml", install))
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, root)
	require.NoError(t, err, "kustomize build examples/argocd-overlay")
	y, err := res.AsYaml()
	require.NoError(t, err)
	return decode(t, y)
}

// installOverlay does what the README says for Argo CD installed with Kustomize:
// kubectl create namespace argocd; kubectl apply -k examples/argocd-overlay/, which the
// first time applies everything but the AppProject (kubectl cannot map a custom resource
// whose CRD it applies in the same run); kubectl wait for the CRD; the apply again; and
// kubectl apply -f of the example ApplicationSets.
func (s *suite) installOverlay(ctx context.Context, c *cluster, overlay, sets []*unstructured.Unstructured) {
	t := s.t
	t.Helper()
	mode := applyMode{name: "kustomize overlay"}
	_, err := c.dyn.Resource(gvrNamespace).Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "argocd"}}}, metav1.CreateOptions{})
	require.NoError(t, err, "kubectl create namespace argocd")
	var refused []string
	for _, o := range overlay {
		if err := c.applyAs(ctx, mode, "", o); err != nil {
			require.True(t, meta.IsNoMatchError(err), "kubectl apply -k examples/argocd-overlay/: %v", err)
			refused = append(refused, o.GetKind()+"/"+o.GetName())
		}
	}
	assert.Subset(t, []string{"AppProject/shopsets"}, refused, "the first apply refuses only custom resources of CRDs it applies")
	s.waitArgoKinds(ctx, c)
	require.NoError(t, c.applyAs(ctx, mode, "", overlay...), "kubectl apply -k examples/argocd-overlay/, again")
	require.NoError(t, c.applyAs(ctx, mode, "", sets...), "kubectl apply -f examples/applicationset.yaml -f examples/routing-applicationset.yaml")
}

// checkInstalled checks what the API server kept of the install.
func (s *suite) checkInstalled(ctx context.Context, c *cluster, mode applyMode, argo []*unstructured.Unstructured, in installation, sets []*unstructured.Unstructured) {
	t := s.t
	t.Helper()
	find := func(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
		for _, o := range objs {
			if o.GetKind() == kind && o.GetName() == name {
				return o
			}
		}
		require.FailNow(t, "not found", "%s %s", kind, name)
		return nil
	}

	got, err := c.get(ctx, gvrDeployment, "argocd", "argocd-repo-server")
	require.NoError(t, err)
	require.NotNil(t, got, "%s: no Deployment argocd-repo-server", mode.name)
	want := find(argo, "Deployment", "argocd-repo-server")
	sidecar := in.patch("Deployment", "argocd-repo-server")
	pod := func(o *unstructured.Unstructured, field string) []map[string]any {
		items, _, err := unstructured.NestedSlice(o.Object, "spec", "template", "spec", field)
		require.NoError(t, err)
		var out []map[string]any
		for _, i := range items {
			out = append(out, i.(map[string]any))
		}
		return out
	}
	named := func(items []map[string]any) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, i := range items {
			out[i["name"].(string)] = i
		}
		return out
	}
	var order []string
	for _, ct := range pod(got, "containers") {
		order = append(order, ct["name"].(string))
	}
	assert.Equal(t, []string{"argocd-repo-server", "shopset-cmp"}, order, "%s: Argo CD's container first, then the sidecar", mode.name)
	wantSelector, _, _ := unstructured.NestedMap(want.Object, "spec", "selector")
	gotSelector, _, _ := unstructured.NestedMap(got.Object, "spec", "selector")
	assert.Equal(t, wantSelector, gotSelector)

	volumes := named(pod(got, "volumes"))
	for _, v := range append(pod(want, "volumes"), pod(sidecar, "volumes")...) {
		assert.Contains(t, volumes, v["name"], "%s: volume", mode.name)
	}
	assert.Len(t, volumes, len(pod(want, "volumes"))+len(pod(sidecar, "volumes")))
	stored := named(append(pod(got, "initContainers"), pod(got, "containers")...))
	for _, ct := range append(append(pod(want, "initContainers"), pod(want, "containers")...), pod(sidecar, "containers")...) {
		name := ct["name"].(string)
		require.Contains(t, stored, name, "%s: container", mode.name)
		mounts := map[string]string{}
		ms, _, _ := unstructured.NestedSlice(stored[name], "volumeMounts")
		for _, m := range ms {
			m := m.(map[string]any)
			mounts[m["name"].(string)] = m["mountPath"].(string)
			assert.Contains(t, volumes, m["name"], "%s: container %s mounts a volume the pod does not have", mode.name, name)
		}
		ws, _, _ := unstructured.NestedSlice(ct, "volumeMounts")
		for _, m := range ws {
			m := m.(map[string]any)
			assert.Equal(t, m["mountPath"], mounts[m["name"].(string)], "%s: container %s, volumeMount %s", mode.name, name, m["name"])
		}
		if img, ok := ct["image"]; ok {
			assert.Equal(t, img, stored[name]["image"], "%s: container %s", mode.name, name)
		}
	}

	params, err := c.get(ctx, gvrConfigMap, "argocd", "argocd-cmd-params-cm")
	require.NoError(t, err)
	require.NotNil(t, params)
	assert.Equal(t, find(argo, "ConfigMap", "argocd-cmd-params-cm").GetLabels(), params.GetLabels(), "%s: argocd-cmd-params-cm keeps its labels", mode.name)
	exclusions, _, _ := unstructured.NestedString(params.Object, "data", "reposerver.plugin.tar.exclusions")
	assert.Equal(t, ".git", exclusions)

	// shopset's own objects (the generator's Deployment, Service, RBAC, Secret, ...) and
	// the example ApplicationSets, as the API server stored them.
	for _, o := range append(append([]*unstructured.Unstructured{}, in.objects...), sets...) {
		r, err := c.resource(o.GroupVersionKind(), "argocd")
		require.NoError(t, err, "%s %s", o.GetKind(), o.GetName())
		stored, err := r.Get(ctx, o.GetName(), metav1.GetOptions{})
		require.NoError(t, err, "%s: %s %s", mode.name, o.GetKind(), o.GetName())
		assert.Equal(t, o.GetLabels(), stored.GetLabels(), "%s %s", o.GetKind(), o.GetName())
	}
	gen, err := c.get(ctx, gvrDeployment, "argocd", "shopset-generator")
	require.NoError(t, err)
	require.NotNil(t, gen)
	image, _, _ := unstructured.NestedString(named(pod(gen, "containers"))["generator"], "image")
	sidecarImage, _, _ := unstructured.NestedString(named(pod(got, "containers"))["shopset-cmp"], "image")
	assert.Equal(t, sidecarImage, image, "the generator and the sidecar run the same release")
	assert.NotContains(t, image, ":latest")
}

// applyAs applies objs the way kubectl apply does in mode, into namespace for
// namespaced objects that name none (kubectl apply -n).
func (c *cluster) applyAs(ctx context.Context, mode applyMode, namespace string, objs ...*unstructured.Unstructured) error {
	for _, o := range objs {
		o = o.DeepCopy()
		r, err := c.resourceFor(o, namespace)
		if err != nil {
			return err
		}
		if mode.serverSide {
			// kubectl apply --server-side: field manager kubectl, conflicts refused.
			if _, err := r.Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: "kubectl"}); err != nil {
				return fmt.Errorf("applying %s %s server-side: %w", o.GetKind(), o.GetName(), err)
			}
			continue
		}
		if err := applyClientSide(ctx, r, o); err != nil {
			return fmt.Errorf("applying %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	return nil
}

// applyClientSide is kubectl apply without --server-side: the object is created with
// what was applied in the last-applied-configuration annotation; an existing one gets a
// three-way patch between that annotation, the new object and the live object (a
// strategic merge for Kubernetes' own kinds, a JSON merge for custom resources), which
// removes what the last apply set and this one no longer does.
func applyClientSide(ctx context.Context, r dynamic.ResourceInterface, o *unstructured.Unstructured) error {
	annotations := o.GetAnnotations()
	delete(annotations, lastApplied)
	o.SetAnnotations(annotations)
	applied, err := o.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encoding: %w", err)
	}
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[lastApplied] = string(applied)
	o.SetAnnotations(annotations)
	modified, err := o.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encoding: %w", err)
	}
	const manager = "kubectl-client-side-apply"
	live, err := r.Get(ctx, o.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if _, err := r.Create(ctx, o, metav1.CreateOptions{FieldManager: manager}); err != nil {
			return fmt.Errorf("creating: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the live object: %w", err)
	}
	current, err := live.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encoding the live object: %w", err)
	}
	original := []byte(live.GetAnnotations()[lastApplied])
	var (
		patch []byte
		pt    types.PatchType
	)
	typed, err := scheme.Scheme.New(o.GroupVersionKind())
	switch {
	case err == nil:
		lookup, err := strategicpatch.NewPatchMetaFromStruct(typed)
		if err != nil {
			return fmt.Errorf("patch metadata: %w", err)
		}
		pt = types.StrategicMergePatchType
		if patch, err = strategicpatch.CreateThreeWayMergePatch(original, modified, current, lookup, true); err != nil {
			return fmt.Errorf("three-way strategic merge: %w", err)
		}
	case runtime.IsNotRegisteredError(err):
		pt = types.MergePatchType
		if patch, err = jsonmergepatch.CreateThreeWayJSONMergePatch(original, modified, current); err != nil {
			return fmt.Errorf("three-way JSON merge: %w", err)
		}
	default:
		return fmt.Errorf("looking up %s: %w", o.GroupVersionKind(), err)
	}
	if _, err := r.Patch(ctx, o.GetName(), pt, patch, metav1.PatchOptions{FieldManager: manager}); err != nil {
		return fmt.Errorf("patching: %w", err)
	}
	return nil
}
