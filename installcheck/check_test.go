package installcheck_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/shopset/shopset/installcheck"
	"github.com/shopset/shopset/internal/golden"
	"github.com/shopset/shopset/manifests"
)

func expected(t testing.TB) installcheck.Expected {
	t.Helper()
	want, err := installcheck.Load(manifests.FS)
	require.NoError(t, err)
	return want
}

// argoRepoServer is Argo CD's repo-server Deployment as install.yaml has it, in what
// matters here: its container, its volumes, the init container that fills var-files.
func argoRepoServer(image string) *appsv1.Deployment {
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "argocd-repo-server", Namespace: "argocd"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": "argocd-repo-server"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app.kubernetes.io/name": "argocd-repo-server"}},
				Spec: corev1.PodSpec{
					InitContainers: []corev1.Container{{Name: "copyutil", Image: image,
						Command:      []string{"/bin/cp", "-n", "/usr/local/bin/argocd", "/var/run/argocd/argocd-cmp-server"},
						VolumeMounts: []corev1.VolumeMount{{Name: "var-files", MountPath: "/var/run/argocd"}}}},
					Containers: []corev1.Container{{Name: "argocd-repo-server", Image: image, Args: []string{"/usr/local/bin/argocd-repo-server"},
						VolumeMounts: []corev1.VolumeMount{{Name: "plugins", MountPath: "/home/argocd/cmp-server/plugins"}, {Name: "tmp", MountPath: "/tmp"}}}},
					Volumes: []corev1.Volume{
						{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
						{Name: "var-files", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
						{Name: "plugins", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					},
				},
			},
		},
	}
}

// patched is d with the install's patch of it applied, as kubectl patch --type strategic
// applies it.
func patched(t testing.TB, d *appsv1.Deployment) *appsv1.Deployment {
	t.Helper()
	y, err := fs.ReadFile(manifests.FS, manifests.RepoServerPatch)
	require.NoError(t, err)
	patch, err := sigsyaml.YAMLToJSON(y)
	require.NoError(t, err)
	orig, err := json.Marshal(d)
	require.NoError(t, err)
	b, err := strategicpatch.StrategicMergePatch(orig, patch, appsv1.Deployment{})
	require.NoError(t, err)
	var out appsv1.Deployment
	require.NoError(t, json.Unmarshal(b, &out))
	return &out
}

// setRepo points the generator's --repo at url, as the README says to.
func setRepo(d *appsv1.Deployment, url string) {
	args := d.Spec.Template.Spec.Containers[0].Args
	for i, a := range args {
		if strings.HasPrefix(a, "--repo=") {
			args[i] = "--repo=" + url
		}
	}
}

// complete is an install as the README makes it, its --repo set, the generator running.
func complete(t testing.TB) installcheck.State {
	t.Helper()
	want := expected(t)
	gen := want.Generator.DeepCopy()
	gen.Status.AvailableReplicas = 2
	setRepo(gen, "https://git.example/platform.git")
	params := want.CmdParams.DeepCopy()
	params.Labels = map[string]string{"app.kubernetes.io/part-of": "argocd"}
	secret := want.GeneratorSecret.DeepCopy()
	secret.StringData = nil
	secret.Data = map[string][]byte{"token": []byte("0123abcd"), "webhook-secret": []byte("4567ef")}
	return installcheck.State{
		Namespace: "argocd",
		Served: map[string][]string{
			"applications": {"v1alpha1"}, "applicationsets": {"v1alpha1"}, "appprojects": {"v1alpha1"},
		},
		RepoServer:       patched(t, argoRepoServer("quay.io/argoproj/argocd:v2.14.21")),
		CmdParams:        params,
		CMPPlugin:        want.CMPPlugin.DeepCopy(),
		Generator:        gen,
		GeneratorService: want.GeneratorService.DeepCopy(),
		GeneratorPlugin:  want.GeneratorPlugin.DeepCopy(),
		GeneratorSecret:  secret,
		AppProject:       true,
		Unreadable:       map[string]string{},
	}
}

func TestCompleteInstallPasses(t *testing.T) {
	want := expected(t)
	r := installcheck.Check(complete(t), want, false)
	for _, c := range r.Checks {
		assert.Equal(t, installcheck.OK, c.Status, "%s: %s: %s", c.Group, c.Name, c.Message)
	}
	assert.Zero(t, r.Failed)
	assert.Zero(t, r.Warnings)
	assert.Greater(t, len(r.Checks), 12)

	pre := installcheck.Check(complete(t), want, true)
	assert.Zero(t, pre.Failed)
	assert.Zero(t, pre.Warnings)
	for _, c := range pre.Checks {
		assert.Equal(t, installcheck.GroupArgoCD, c.Group, "--pre checks only Argo CD: %s", c.Name)
	}
}

// Each piece missing or wrong fails (or warns) its check, with what to do.
func TestEachProblemSaysWhatToDo(t *testing.T) {
	container := func(s *installcheck.State, name string) *corev1.Container {
		for i, c := range s.RepoServer.Spec.Template.Spec.Containers {
			if c.Name == name {
				return &s.RepoServer.Spec.Template.Spec.Containers[i]
			}
		}
		t.Fatalf("no container %s", name)
		return nil
	}
	dropVolume := func(s *installcheck.State, name string) {
		spec := &s.RepoServer.Spec.Template.Spec
		var keep []corev1.Volume
		for _, v := range spec.Volumes {
			if v.Name != name {
				keep = append(keep, v)
			}
		}
		spec.Volumes = keep
	}
	for _, tc := range []struct {
		name   string
		pre    bool
		break_ func(*installcheck.State)
		check  string // the check's name
		status installcheck.Status
		msg    string // in its message
		fix    string // in its fix
	}{
		{name: "no Argo CD CRDs", break_: func(s *installcheck.State) { s.Served = nil },
			check: "Application CRD", status: installcheck.Fail, msg: "not installed",
			fix: "install Argo CD first: kubectl create namespace argocd; kubectl apply -n argocd -f https://raw.githubusercontent.com/argoproj/argo-cd/stable/manifests/install.yaml"},
		{name: "no Argo CD CRDs, before the install", pre: true, break_: func(s *installcheck.State) { s.Served = nil },
			check: "ApplicationSet CRD", status: installcheck.Fail, msg: "not installed", fix: "install Argo CD first"},
		{name: "Applications at another version only", break_: func(s *installcheck.State) { s.Served["applications"] = []string{"v1beta1"} },
			check: "Application CRD", status: installcheck.Fail, msg: "served at argoproj.io/v1beta1 only, not at argoproj.io/v1alpha1",
			fix: "shopset supports Argo CD v2.14 and v3.x"},
		{name: "ApplicationSets at another version only", break_: func(s *installcheck.State) { s.Served["applicationsets"] = []string{"v1beta1", "v2"} },
			check: "ApplicationSet CRD", status: installcheck.Fail, msg: "argoproj.io/v1beta1, argoproj.io/v2 only", fix: "v2.14 and v3.x"},
		{name: "no repo-server", break_: func(s *installcheck.State) { s.RepoServer = nil },
			check: "repo-server", status: installcheck.Fail, msg: "no Deployment argocd-repo-server in namespace argocd",
			fix: "Argo CD is not installed in namespace argocd: name the namespace it is installed in with -n"},
		{name: "no repo-server, before the install", pre: true, break_: func(s *installcheck.State) { s.RepoServer = nil },
			check: "repo-server", status: installcheck.Fail, msg: "no Deployment argocd-repo-server", fix: "-n"},
		{name: "the repo-server in another namespace", break_: func(s *installcheck.State) {
			s.RepoServer, s.RepoServerElsewhere = nil, []string{"gitops"}
		}, check: "repo-server", status: installcheck.Fail, fix: "Argo CD's repo-server is in namespace gitops: run again with -n gitops"},
		{name: "the repo-server not readable", break_: func(s *installcheck.State) {
			s.RepoServer = nil
			s.Unreadable["Deployment/argocd-repo-server"] = "forbidden"
		}, check: "repo-server", status: installcheck.Fail, msg: "cannot read Deployment argocd/argocd-repo-server: forbidden",
			fix: "use a kubeconfig (--kubeconfig, --context) whose user may get deployments in namespace argocd"},
		{name: "the sidecar first", break_: func(s *installcheck.State) {
			cs := s.RepoServer.Spec.Template.Spec.Containers
			cs[0], cs[1] = cs[1], cs[0]
		}, check: "repo-server", status: installcheck.Warn, msg: "shopset-cmp comes first", fix: "--type strategic"},
		{name: "not Argo CD's repo-server", break_: func(s *installcheck.State) {
			c := container(s, "argocd-repo-server")
			c.Name, c.Args = "something", nil
		}, check: "repo-server", status: installcheck.Fail, msg: "no container running argocd-repo-server", fix: "reinstall Argo CD"},
		{name: "Argo CD's Helm chart names its container repo-server", break_: func(s *installcheck.State) {
			container(s, "argocd-repo-server").Name = "repo-server"
		}, check: "repo-server", status: installcheck.OK, msg: "container repo-server first"},
		{name: "an Argo CD shopset does not support", break_: func(s *installcheck.State) {
			container(s, "argocd-repo-server").Image = "quay.io/argoproj/argocd:v2.13.4"
		}, check: "version", status: installcheck.Warn, msg: "Argo CD v2.13.4", fix: "v2.14 and v3.x"},
		{name: "Argo CD v3", break_: func(s *installcheck.State) {
			container(s, "argocd-repo-server").Image = "quay.io/argoproj/argocd:v3.2.11@sha256:0123"
		}, check: "version", status: installcheck.OK, msg: "Argo CD v3.2.11"},
		{name: "an Argo CD image without a version", break_: func(s *installcheck.State) {
			container(s, "argocd-repo-server").Image = "registry.example/argocd:main"
		}, check: "version", status: installcheck.Warn, msg: "cannot tell Argo CD's version", fix: "v2.14 and v3.x"},
		{name: "no var-files volume", break_: func(s *installcheck.State) { dropVolume(s, "var-files") },
			check: "repo-server volumes", status: installcheck.Fail, msg: "no volume var-files", fix: "Argo CD's own repo-server"},
		{name: "no plugins volume, before the install", pre: true, break_: func(s *installcheck.State) { dropVolume(s, "plugins") },
			check: "repo-server volumes", status: installcheck.Fail, msg: "no volume plugins"},
		{name: "no argocd-cmd-params-cm", break_: func(s *installcheck.State) { s.CmdParams = nil },
			check: "argocd-cmd-params-cm", status: installcheck.Fail, msg: "no ConfigMap argocd-cmd-params-cm", fix: "part of Argo CD's install"},
		{name: "argocd-cmd-params-cm not patched", break_: func(s *installcheck.State) { s.CmdParams.Data = nil },
			check: "argocd-cmd-params-cm", status: installcheck.Warn, msg: `reposerver.plugin.tar.exclusions is "", want ".git"`,
			fix: "kubectl -n argocd patch configmap argocd-cmd-params-cm --type merge --patch-file manifests/argocd/argocd-cmd-params-cm-patch.yaml, then kubectl -n argocd rollout restart deployment argocd-repo-server"},
		{name: "argocd-cmd-params-cm excluding more", break_: func(s *installcheck.State) {
			s.CmdParams.Data["reposerver.plugin.tar.exclusions"] = "*.bin;.git"
		}, check: "argocd-cmd-params-cm", status: installcheck.OK},
		{name: "no sidecar", break_: func(s *installcheck.State) {
			s.RepoServer = argoRepoServer("quay.io/argoproj/argocd:v2.14.21")
		}, check: "sidecar", status: installcheck.Fail, msg: "Deployment argocd-repo-server has no container shopset-cmp",
			fix: "kubectl -n argocd patch deployment argocd-repo-server --type strategic --patch-file manifests/argocd/argocd-repo-server-patch.yaml"},
		{name: "the sidecar without a mount", break_: func(s *installcheck.State) {
			c := container(s, "shopset-cmp")
			c.VolumeMounts = c.VolumeMounts[:1]
		}, check: "sidecar", status: installcheck.Fail, msg: "no volumeMount plugins at /home/argocd/cmp-server/plugins", fix: "--patch-file manifests/argocd/argocd-repo-server-patch.yaml"},
		{name: "the sidecar's plugin.yaml mounted whole", break_: func(s *installcheck.State) {
			container(s, "shopset-cmp").VolumeMounts[2].SubPath = ""
		}, check: "sidecar", status: installcheck.Fail, msg: "volumeMount shopset-cmp-plugin at /home/argocd/cmp-server/config/plugin.yaml, want /home/argocd/cmp-server/config/plugin.yaml (subPath plugin.yaml)"},
		{name: "the sidecar as root", break_: func(s *installcheck.State) {
			container(s, "shopset-cmp").SecurityContext = nil
		}, check: "sidecar", status: installcheck.Fail, msg: "must run as user 999"},
		{name: "the sidecar running something else", break_: func(s *installcheck.State) {
			container(s, "shopset-cmp").Command = []string{"shopctl"}
		}, check: "sidecar", status: installcheck.Fail, msg: `its command is ["shopctl"]`},
		{name: "no plugin.yaml volume", break_: func(s *installcheck.State) { dropVolume(s, "shopset-cmp-plugin") },
			check: "sidecar volumes", status: installcheck.Fail, msg: "no volume shopset-cmp-plugin", fix: "--type strategic"},
		{name: "the plugin.yaml volume from another ConfigMap", break_: func(s *installcheck.State) {
			for _, v := range s.RepoServer.Spec.Template.Spec.Volumes {
				if v.ConfigMap != nil {
					v.ConfigMap.Name = "other"
				}
			}
		}, check: "sidecar volumes", status: installcheck.Fail, msg: "volume shopset-cmp-plugin is not ConfigMap shopset-cmp-plugin"},
		{name: "no plugin.yaml ConfigMap", break_: func(s *installcheck.State) { s.CMPPlugin = nil },
			check: "plugin.yaml", status: installcheck.Fail, msg: "no ConfigMap shopset-cmp-plugin in namespace argocd: the sidecar cannot start", fix: "kubectl apply -k manifests/"},
		{name: "another plugin in plugin.yaml", break_: func(s *installcheck.State) {
			s.CMPPlugin.Data["plugin.yaml"] = "kind: ConfigManagementPlugin\nmetadata: {name: other}\n"
		}, check: "plugin.yaml", status: installcheck.Fail, msg: `not the ConfigManagementPlugin "shopset"`},
		{name: "no generator", break_: func(s *installcheck.State) { s.Generator = nil },
			check: "Deployment", status: installcheck.Fail, msg: "no Deployment shopset-generator in namespace argocd", fix: "kubectl apply -k manifests/"},
		{name: "the generator not available", break_: func(s *installcheck.State) { s.Generator.Status.AvailableReplicas = 0 },
			check: "Deployment", status: installcheck.Warn, msg: "0 of 2 replicas available", fix: "kubectl -n argocd describe deployment shopset-generator"},
		{name: "the example repository", break_: func(s *installcheck.State) { setRepo(s.Generator, "https://git.shop.example/platform.git") },
			check: "flags", status: installcheck.Warn, msg: "serves the install's example repository https://git.shop.example/platform.git",
			fix: "set --repo to your platform repository: kubectl -n argocd edit deployment shopset-generator"},
		{name: "no repository", break_: func(s *installcheck.State) {
			c := &s.Generator.Spec.Template.Spec.Containers[0]
			c.Args = c.Args[:2]
		}, check: "flags", status: installcheck.Fail, msg: "serves no repository", fix: "set --repo"},
		{name: "Argo CD in another namespace, the generator reading argocd", break_: func(s *installcheck.State) { s.Namespace = "gitops" },
			check: "flags", status: installcheck.Fail, msg: "reads Argo CD's Applications in namespace argocd (--argocd-namespace), but Argo CD is in gitops",
			fix: "give it --argocd-namespace=gitops: kubectl -n gitops edit deployment shopset-generator"},
		{name: "Argo CD in another namespace, named", break_: func(s *installcheck.State) {
			s.Namespace = "gitops"
			c := &s.Generator.Spec.Template.Spec.Containers[0]
			c.Args = append(c.Args, "--argocd-namespace", "gitops")
			s.GeneratorPlugin.Data["baseUrl"] = "http://shopset-generator.gitops.svc.cluster.local:8080"
		}, check: "flags", status: installcheck.OK, msg: "serves https://git.example/platform.git"},
		{name: "the generator reading another namespace", break_: func(s *installcheck.State) {
			c := &s.Generator.Spec.Template.Spec.Containers[0]
			c.Args = append(c.Args, "--argocd-namespace=gitops")
		}, check: "flags", status: installcheck.Fail, msg: "in namespace gitops (--argocd-namespace), but Argo CD is in argocd"},
		{name: "two releases", break_: func(s *installcheck.State) {
			s.Generator.Spec.Template.Spec.Containers[0].Image = "ghcr.io/shopset/shopctl:v0.2.0"
		}, check: "release", status: installcheck.Warn, msg: "the generator runs ghcr.io/shopset/shopctl:v0.2.0, the sidecar ghcr.io/shopset/shopctl:v0.1.0",
			fix: "kustomize edit set image ghcr.io/shopset/shopctl=REGISTRY/shopctl:TAG"},
		{name: "no release", break_: func(s *installcheck.State) {
			s.Generator.Spec.Template.Spec.Containers[0].Image = "ghcr.io/shopset/shopctl:latest"
			container(s, "shopset-cmp").Image = "ghcr.io/shopset/shopctl:latest"
		}, check: "release", status: installcheck.Warn, msg: "names no release", fix: "pin a release"},
		{name: "no Service", break_: func(s *installcheck.State) { s.GeneratorService = nil },
			check: "Service", status: installcheck.Fail, msg: "no Service shopset-generator", fix: "kubectl apply -k manifests/"},
		{name: "a Service selecting other pods", break_: func(s *installcheck.State) {
			s.GeneratorService.Spec.Selector = map[string]string{"app": "other"}
		}, check: "Service", status: installcheck.Fail, msg: "selects app=other, which Deployment shopset-generator's pods do not carry"},
		{name: "no plugin generator ConfigMap", break_: func(s *installcheck.State) { s.GeneratorPlugin = nil },
			check: "plugin ConfigMap", status: installcheck.Fail, msg: "no ConfigMap shopset-generator", fix: "kubectl apply -k manifests/"},
		{name: "baseUrl in the install's namespace, shopset in another", break_: func(s *installcheck.State) {
			s.Namespace = "gitops"
		}, check: "plugin ConfigMap", status: installcheck.Fail, msg: "names namespace argocd, but the Service is in gitops",
			fix: "set baseUrl to http://shopset-generator.gitops.svc.cluster.local:8080: kubectl -n gitops edit configmap shopset-generator"},
		{name: "baseUrl on another port", break_: func(s *installcheck.State) {
			s.GeneratorPlugin.Data["baseUrl"] = "http://shopset-generator.argocd.svc"
		}, check: "plugin ConfigMap", status: installcheck.Fail, msg: "asks port 80, which Service shopset-generator does not serve"},
		{name: "baseUrl elsewhere", break_: func(s *installcheck.State) {
			s.GeneratorPlugin.Data["baseUrl"] = "https://shopset.example"
		}, check: "plugin ConfigMap", status: installcheck.Warn, msg: "does not name Service shopset-generator", fix: "unless that reaches the generator another way"},
		{name: "baseUrl not a URL", break_: func(s *installcheck.State) { s.GeneratorPlugin.Data["baseUrl"] = "" },
			check: "plugin ConfigMap", status: installcheck.Fail, msg: `baseUrl "" is not a URL`},
		{name: "baseUrl by the Service's short name", break_: func(s *installcheck.State) {
			s.GeneratorPlugin.Data["baseUrl"] = "http://shopset-generator:8080"
		}, check: "plugin ConfigMap", status: installcheck.OK},
		{name: "no Secret", break_: func(s *installcheck.State) { s.GeneratorSecret = nil },
			check: "Secret", status: installcheck.Fail, msg: "no Secret shopset-generator", fix: "kubectl -n argocd create secret generic shopset-generator"},
		{name: "the Secret not readable", break_: func(s *installcheck.State) {
			s.GeneratorSecret = nil
			s.Unreadable["Secret/shopset-generator"] = "forbidden"
		}, check: "Secret", status: installcheck.Fail, msg: "cannot read Secret argocd/shopset-generator", fix: "may get secrets in namespace argocd"},
		{name: "the Secret without the webhook secret", break_: func(s *installcheck.State) { delete(s.GeneratorSecret.Data, "webhook-secret") },
			check: "Secret", status: installcheck.Fail, msg: "no key webhook-secret"},
		{name: "the Secret without the token the ConfigMap names", break_: func(s *installcheck.State) {
			s.GeneratorPlugin.Data["token"] = "$shopset-generator:bearer"
		}, check: "Secret", status: installcheck.Fail, msg: "no key bearer"},
		{name: "the Secret without Argo CD's label", break_: func(s *installcheck.State) { s.GeneratorSecret.Labels = nil },
			check: "Secret", status: installcheck.Fail, msg: "no label app.kubernetes.io/part-of=argocd"},
		{name: "the example token", break_: func(s *installcheck.State) {
			s.GeneratorSecret.Data["token"] = []byte("example-token-replace-me")
		}, check: "Secret", status: installcheck.Warn, msg: "still holds the example token of manifests/generator-secret.yaml", fix: "replace them"},
		{name: "no AppProject", break_: func(s *installcheck.State) { s.AppProject = false },
			check: "shopsets", status: installcheck.Fail, msg: "the ShopSets' Applications belong to it", fix: "kubectl apply -k manifests/"},
		{name: "no AppProject CRD", break_: func(s *installcheck.State) { s.AppProject, s.Served["appprojects"] = false, nil },
			check: "shopsets", status: installcheck.Fail, msg: "AppProject CRD is not served", fix: "install Argo CD first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := complete(t)
			tc.break_(&s)
			r := installcheck.Check(s, expected(t), tc.pre)
			var found *installcheck.Result
			for i, c := range r.Checks {
				if c.Name == tc.check {
					found = &r.Checks[i]
					break
				}
			}
			require.NotNil(t, found, "no check %q in %+v", tc.check, r.Checks)
			assert.Equal(t, tc.status, found.Status, "%+v", *found)
			assert.Contains(t, found.Message, tc.msg)
			assert.Contains(t, found.Fix, tc.fix)
			if tc.status == installcheck.OK {
				assert.Empty(t, found.Fix)
			} else {
				assert.NotEmpty(t, found.Fix, "a check that is not ok says what to do")
			}
			assert.Equal(t, tc.status == installcheck.Fail, r.Failed > 0, "the report's failures")
		})
	}
}

// The report as shopctl check prints it: a complete install, nothing at all, and
// Argo CD alone before shopset's install.
func TestReportText(t *testing.T) {
	want := expected(t)
	nothing := installcheck.State{Namespace: "argocd"}
	argoOnly := complete(t)
	argoOnly.RepoServer = argoRepoServer("quay.io/argoproj/argocd:v3.2.11")
	argoOnly.CMPPlugin, argoOnly.Generator, argoOnly.GeneratorService, argoOnly.GeneratorPlugin, argoOnly.GeneratorSecret, argoOnly.AppProject = nil, nil, nil, nil, nil, false
	for _, tc := range []struct {
		file  string
		state installcheck.State
		pre   bool
	}{
		{"testdata/complete.txt", complete(t), false},
		{"testdata/nothing.txt", nothing, false},
		{"testdata/nothing-pre.txt", nothing, true},
		{"testdata/argocd-only.txt", argoOnly, false},
		{"testdata/argocd-only-pre.txt", argoOnly, true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, installcheck.Check(tc.state, want, tc.pre).WriteText(&b))
			golden.Assert(t, tc.file, b.Bytes())
		})
	}
}

func TestReportJSON(t *testing.T) {
	r := installcheck.Check(installcheck.State{Namespace: "argocd", Served: map[string][]string{"applications": {"v1beta1"}}}, expected(t), true)
	b, err := json.Marshal(r.Checks[0])
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"group": "Argo CD", "name": "Application CRD", "status": "failed",
		"message": "Applications are served at argoproj.io/v1beta1 only, not at argoproj.io/v1alpha1, which shopset uses",
		"fix": "shopset supports Argo CD v2.14 and v3.x, which serve argoproj.io/v1alpha1: install one of those"
	}`, string(b))
	assert.Equal(t, 5, r.Failed, "three CRDs, the repo-server and argocd-cmd-params-cm: %+v", r.Checks)
}

func TestLoad(t *testing.T) {
	want := expected(t)
	assert.Equal(t, "argocd-repo-server", want.RepoServer)
	assert.Equal(t, "argocd-repo-server", want.ArgoContainer)
	assert.Equal(t, "shopset-cmp", want.Sidecar.Name)
	assert.Equal(t, "shopset-generator", want.Generator.Name)
	assert.Equal(t, "shopsets", want.AppProject)
	assert.Equal(t, "shopset", want.Plugin)
	assert.Equal(t, map[string]string{"reposerver.plugin.tar.exclusions": ".git"}, want.CmdParams.Data)
}
