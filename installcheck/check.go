package installcheck

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	sigsyaml "sigs.k8s.io/yaml"
)

// Argo CD's API group and the version of it that shopset reads and writes.
const (
	Group   = "argoproj.io"
	Version = "v1alpha1"
)

// DefaultNamespace is Argo CD's namespace when none is named: install.yaml's, and the
// default of the generator's --argocd-namespace and of shopctl check -n.
const DefaultNamespace = "argocd"

// Supported says which Argo CD releases shopset runs with.
const Supported = "Argo CD v2.14 and v3.x"

// ArgoCDInstall is Argo CD's own install manifest, as Argo CD's documentation installs it.
const ArgoCDInstall = "https://raw.githubusercontent.com/argoproj/argo-cd/stable/manifests/install.yaml"

// Argo CD's kinds that an install needs, by resource.
var argoKinds = []struct{ kind, resource string }{
	{"Application", "applications"},
	{"ApplicationSet", "applicationsets"},
	{"AppProject", "appprojects"},
}

// Resources are the argoproj.io resources whose served versions State.Served holds.
func Resources() []string {
	out := make([]string, 0, len(argoKinds))
	for _, k := range argoKinds {
		out = append(out, k.resource)
	}
	return out
}

// State is what a cluster holds of an install, in one namespace: read by package
// installcheck/cluster, or built by a test. A nil object was not found.
type State struct {
	Namespace string
	// Served lists, for each of Argo CD's resources (Resources), the argoproj.io
	// versions that serve it; none when its CRD is not installed.
	Served map[string][]string
	// RepoServer is Argo CD's repo-server Deployment; RepoServerElsewhere, when it is
	// not in Namespace, the namespaces that have one (when they could be listed).
	RepoServer          *appsv1.Deployment
	RepoServerElsewhere []string
	CmdParams           *corev1.ConfigMap
	// shopset's own objects.
	CMPPlugin        *corev1.ConfigMap
	Generator        *appsv1.Deployment
	GeneratorService *corev1.Service
	GeneratorPlugin  *corev1.ConfigMap
	GeneratorSecret  *corev1.Secret
	AppProject       bool
	// Unreadable says why an object could not be read (RBAC forbids it), by
	// "Kind/name".
	Unreadable map[string]string
}

// Status is a check's outcome.
type Status string

// A failed check means the install cannot work; a warning, that it works worse than it
// could or that something cannot be told.
const (
	OK   Status = "ok"
	Warn Status = "warning"
	Fail Status = "failed"
)

// Result is one check: what it looked at, what it found and, unless OK, what to do.
type Result struct {
	Group   string `json:"group"`
	Name    string `json:"name"`
	Status  Status `json:"status"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// Report is every check of one run, in order.
type Report struct {
	Namespace string   `json:"namespace"`
	Pre       bool     `json:"pre"`
	Checks    []Result `json:"checks"`
	Failed    int      `json:"failed"`
	Warnings  int      `json:"warnings"`
}

// Groups of checks, in the order they run.
const (
	GroupArgoCD    = "Argo CD"
	GroupSidecar   = "shopset plugin (CMP sidecar)"
	GroupGenerator = "shopset generator"
	GroupProject   = "AppProject"
)

// Check checks s against what the install applies. With pre, only what shopset's
// install needs of Argo CD is checked: what to know before installing it.
func Check(s State, want Expected, pre bool) Report {
	c := &checker{s: s, want: want, r: Report{Namespace: s.Namespace, Pre: pre, Checks: []Result{}}}
	c.crds()
	c.repoServer(pre)
	c.cmdParams(pre)
	if !pre {
		c.sidecar()
		c.generator()
		c.project()
	}
	for _, r := range c.r.Checks {
		switch r.Status {
		case Fail:
			c.r.Failed++
		case Warn:
			c.r.Warnings++
		}
	}
	return c.r
}

type checker struct {
	s    State
	want Expected
	r    Report
}

func (c *checker) add(group, name string, status Status, msg, fix string) {
	c.r.Checks = append(c.r.Checks, Result{Group: group, Name: name, Status: status, Message: msg, Fix: fix})
}

// kubectl is a kubectl command line in the checked namespace.
func (c *checker) kubectl(args string) string {
	return "kubectl -n " + c.s.Namespace + " " + args
}

// absent says why an object is nil: not found, or not readable.
func (c *checker) absent(kind, resource, name string) (msg, fix string, unreadable bool) {
	if why, ok := c.s.Unreadable[kind+"/"+name]; ok {
		return fmt.Sprintf("cannot read %s %s/%s: %s", kind, c.s.Namespace, name, why),
			fmt.Sprintf("use a kubeconfig (--kubeconfig, --context) whose user may get %s in namespace %s", resource, c.s.Namespace), true
	}
	return fmt.Sprintf("no %s %s in namespace %s", kind, name, c.s.Namespace), "", false
}

// missing adds the failed check of an object that is not there, with what to do: fix if
// it is absent, how to read it if it could not be read.
func (c *checker) missing(group, check, kind, resource, name, fix string) {
	msg, unreadableFix, unreadable := c.absent(kind, resource, name)
	if unreadable {
		fix = unreadableFix
	}
	c.add(group, check, Fail, msg, fix)
}

func (c *checker) crds() {
	for _, k := range argoKinds {
		if err := NotServed(k.kind, c.s.Served[k.resource]); err != nil {
			c.add(GroupArgoCD, k.kind+" CRD", Fail, err.Message, err.Fix)
			continue
		}
		c.add(GroupArgoCD, k.kind+" CRD", OK, "served at "+Group+"/"+Version, "")
	}
}

// ServedError says that one of Argo CD's kinds is not served at the version shopset
// uses, and what to do.
type ServedError struct {
	Message, Fix string
}

func (e *ServedError) Error() string { return e.Message + ": " + e.Fix }

// NotServed is nil when kind is served at argoproj.io/v1alpha1 (versions are those that
// serve it), else says what to do: install Argo CD, or one that shopset supports.
func NotServed(kind string, versions []string) *ServedError {
	if slices.Contains(versions, Version) {
		return nil
	}
	if len(versions) == 0 {
		return &ServedError{
			Message: fmt.Sprintf("Argo CD's %s CRD is not installed: the cluster does not serve %ss at %s/%s", kind, kind, Group, Version),
			Fix:     "install Argo CD first: kubectl create namespace argocd; kubectl apply -n argocd -f " + ArgoCDInstall + " (shopset supports " + strings.TrimPrefix(Supported, "Argo CD ") + ")",
		}
	}
	return &ServedError{
		Message: fmt.Sprintf("%ss are served at %s only, not at %s/%s, which shopset uses", kind, Group+"/"+strings.Join(versions, ", "+Group+"/"), Group, Version),
		Fix:     "shopset supports " + Supported + ", which serve " + Group + "/" + Version + ": install one of those",
	}
}

// argoContainer is the index of Argo CD's repo-server container in d, -1 if none: the
// one named as in install.yaml (or Argo CD's Helm chart), or running argocd-repo-server.
func argoContainer(d *appsv1.Deployment, name string) int {
	for i, ct := range d.Spec.Template.Spec.Containers {
		if ct.Name == name || ct.Name == "repo-server" {
			return i
		}
		for _, w := range append(slices.Clone(ct.Command), ct.Args...) {
			if path.Base(w) == "argocd-repo-server" {
				return i
			}
		}
	}
	return -1
}

var semver = regexp.MustCompile(`^v?(\d+)\.(\d+)`)

// imageTag is an image reference's tag, "" when it has none.
func imageTag(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[i+1:]
	}
	return ""
}

// supported says whether a version tag is one shopset supports; known is false when the
// tag is not a version.
func supported(tag string) (ok, known bool) {
	m := semver.FindStringSubmatch(tag)
	if m == nil {
		return false, false
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	return major == 3 || major == 2 && minor == 14, true
}

func (c *checker) repoServer(pre bool) {
	const name = "repo-server"
	d := c.s.RepoServer
	if d == nil {
		msg, fix, unreadable := c.absent("Deployment", "deployments", c.want.RepoServer)
		if !unreadable {
			switch len(c.s.RepoServerElsewhere) {
			case 0:
				fix = fmt.Sprintf("Argo CD is not installed in namespace %s: name the namespace it is installed in with -n, or install it: kubectl apply -n %s -f %s",
					c.s.Namespace, c.s.Namespace, ArgoCDInstall)
			default:
				fix = fmt.Sprintf("Argo CD's repo-server is in namespace %s: run again with -n %s",
					strings.Join(c.s.RepoServerElsewhere, ", "), c.s.RepoServerElsewhere[0])
			}
		}
		c.add(GroupArgoCD, name, Fail, msg, fix)
		return
	}
	containers := d.Spec.Template.Spec.Containers
	i := argoContainer(d, c.want.ArgoContainer)
	switch {
	case i < 0:
		c.add(GroupArgoCD, name, Fail, fmt.Sprintf("Deployment %s has no container running argocd-repo-server", d.Name),
			"this is not Argo CD's repo-server: reinstall Argo CD in namespace "+c.s.Namespace+" ("+ArgoCDInstall+")")
		return
	case i > 0:
		c.add(GroupArgoCD, name, Warn,
			fmt.Sprintf("Deployment %s runs Argo CD's container %s, but %s comes first: kubectl logs and exec without -c reach %s", d.Name, containers[i].Name, containers[0].Name, containers[0].Name),
			fmt.Sprintf("add the sidecar with the strategic-merge patch (%s), which keeps Argo CD's container first, not by applying a partial Deployment",
				c.kubectl("patch deployment "+d.Name+" --type strategic --patch-file manifests/argocd/argocd-repo-server-patch.yaml")))
	default:
		c.add(GroupArgoCD, name, OK, fmt.Sprintf("Deployment %s, Argo CD's container %s first", d.Name, containers[i].Name), "")
	}

	image := containers[i].Image
	tag := imageTag(image)
	switch ok, known := supported(tag); {
	case !known:
		c.add(GroupArgoCD, "version", Warn, fmt.Sprintf("cannot tell Argo CD's version from its image %s", image),
			"make sure it is "+Supported+": shopset supports those")
	case !ok:
		c.add(GroupArgoCD, "version", Warn, fmt.Sprintf("Argo CD %s (%s) is not one shopset supports", tag, image),
			"upgrade Argo CD: shopset supports "+Supported)
	default:
		c.add(GroupArgoCD, "version", OK, "Argo CD "+tag, "")
	}

	// The volumes of Argo CD's that the sidecar mounts: the plugins' socket directory
	// and argocd-cmp-server's.
	var missing []string
	for _, m := range c.want.Sidecar.VolumeMounts {
		if slices.ContainsFunc(c.want.SidecarVolumes, func(v corev1.Volume) bool { return v.Name == m.Name }) {
			continue
		}
		if !slices.ContainsFunc(d.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name }) {
			missing = append(missing, m.Name)
		}
	}
	if len(missing) > 0 {
		c.add(GroupArgoCD, "repo-server volumes", Fail,
			fmt.Sprintf("Deployment %s has no volume %s, which the sidecar mounts (Argo CD's plugin sockets and argocd-cmp-server)", d.Name, strings.Join(missing, " or ")),
			"install Argo CD's own repo-server ("+Supported+"), which has them")
		return
	}
	if pre {
		c.add(GroupArgoCD, "repo-server volumes", OK, "the volumes the sidecar mounts are there", "")
	}
}

func (c *checker) cmdParams(pre bool) {
	const name = "argocd-cmd-params-cm"
	want := c.want.CmdParams
	cm := c.s.CmdParams
	if cm == nil {
		c.missing(GroupArgoCD, name, "ConfigMap", "configmaps", want.Name, "it is part of Argo CD's install (kubectl apply -n "+c.s.Namespace+" -f "+ArgoCDInstall+"); shopset's install patches it")
		return
	}
	if pre {
		c.add(GroupArgoCD, name, OK, "ConfigMap "+cm.Name, "")
		return
	}
	keys := slices.Sorted(maps.Keys(want.Data))
	var unset []string
	for _, k := range keys {
		// Argo CD's lists here are separated by semicolons.
		if !slices.Contains(strings.Split(cm.Data[k], ";"), want.Data[k]) {
			unset = append(unset, fmt.Sprintf("%s is %q, want %q", k, cm.Data[k], want.Data[k]))
		}
	}
	if len(unset) > 0 {
		c.add(GroupArgoCD, name, Warn,
			strings.Join(unset, "; ")+": the repo-server sends each render's .git to the plugin, which never reads it",
			c.kubectl("patch configmap "+cm.Name+" --type merge --patch-file manifests/argocd/argocd-cmd-params-cm-patch.yaml")+
				", then "+c.kubectl("rollout restart deployment "+c.want.RepoServer))
		return
	}
	c.add(GroupArgoCD, name, OK, fmt.Sprintf("%s is set", strings.Join(keys, ", ")), "")
}

func (c *checker) sidecar() {
	want := c.want.Sidecar
	patch := "patch it in: " + c.kubectl("patch deployment "+c.want.RepoServer+" --type strategic --patch-file manifests/argocd/argocd-repo-server-patch.yaml") +
		" (with Argo CD's Helm chart: manifests/helm/values.yaml)"
	d := c.s.RepoServer
	if d == nil {
		c.add(GroupSidecar, "sidecar", Fail, "no repo-server to run it", "install Argo CD first (see above)")
		return
	}
	pod := d.Spec.Template.Spec
	i := slices.IndexFunc(pod.Containers, func(ct corev1.Container) bool { return ct.Name == want.Name })
	if i < 0 {
		c.add(GroupSidecar, "sidecar", Fail, fmt.Sprintf("Deployment %s has no container %s", d.Name, want.Name), patch)
	} else {
		ct := pod.Containers[i]
		var wrong []string
		if !slices.Equal(ct.Command, want.Command) {
			wrong = append(wrong, fmt.Sprintf("its command is %q, want %q", ct.Command, want.Command))
		}
		if w := runAsUser(want.SecurityContext, nil); w != nil {
			if got := runAsUser(ct.SecurityContext, pod.SecurityContext); got == nil || *got != *w {
				wrong = append(wrong, fmt.Sprintf("it must run as user %d, as Argo CD's plugins do", *w))
			}
		}
		for _, m := range want.VolumeMounts {
			j := slices.IndexFunc(ct.VolumeMounts, func(g corev1.VolumeMount) bool { return g.Name == m.Name })
			switch {
			case j < 0:
				wrong = append(wrong, fmt.Sprintf("no volumeMount %s at %s", m.Name, m.MountPath))
			case ct.VolumeMounts[j].MountPath != m.MountPath || ct.VolumeMounts[j].SubPath != m.SubPath:
				wrong = append(wrong, fmt.Sprintf("volumeMount %s at %s, want %s", m.Name, mountAt(ct.VolumeMounts[j]), mountAt(m)))
			}
		}
		if len(wrong) > 0 {
			c.add(GroupSidecar, "sidecar", Fail, fmt.Sprintf("container %s: %s", ct.Name, strings.Join(wrong, "; ")), patch)
		} else {
			c.add(GroupSidecar, "sidecar", OK, fmt.Sprintf("container %s, image %s", ct.Name, ct.Image), "")
		}
	}

	var wrong []string
	for _, v := range c.want.SidecarVolumes {
		j := slices.IndexFunc(pod.Volumes, func(g corev1.Volume) bool { return g.Name == v.Name })
		switch {
		case j < 0:
			wrong = append(wrong, "no volume "+v.Name)
		case v.ConfigMap != nil && (pod.Volumes[j].ConfigMap == nil || pod.Volumes[j].ConfigMap.Name != v.ConfigMap.Name):
			wrong = append(wrong, fmt.Sprintf("volume %s is not ConfigMap %s", v.Name, v.ConfigMap.Name))
		case v.EmptyDir != nil && pod.Volumes[j].EmptyDir == nil:
			wrong = append(wrong, fmt.Sprintf("volume %s is not an emptyDir", v.Name))
		}
	}
	if len(wrong) > 0 {
		c.add(GroupSidecar, "sidecar volumes", Fail, fmt.Sprintf("Deployment %s: %s", d.Name, strings.Join(wrong, "; ")), patch)
	} else {
		var names []string
		for _, v := range c.want.SidecarVolumes {
			names = append(names, v.Name)
		}
		c.add(GroupSidecar, "sidecar volumes", OK, strings.Join(names, ", "), "")
	}

	c.pluginConfig()
}

func mountAt(m corev1.VolumeMount) string {
	if m.SubPath != "" {
		return m.MountPath + " (subPath " + m.SubPath + ")"
	}
	return m.MountPath
}

func runAsUser(ct *corev1.SecurityContext, pod *corev1.PodSecurityContext) *int64 {
	if ct != nil && ct.RunAsUser != nil {
		return ct.RunAsUser
	}
	if pod != nil {
		return pod.RunAsUser
	}
	return nil
}

// pluginConfig checks the ConfigMap the sidecar reads plugin.yaml from.
func (c *checker) pluginConfig() {
	want := c.want.CMPPlugin
	cm := c.s.CMPPlugin
	apply := "kubectl apply -k manifests/"
	if cm == nil {
		msg, fix, unreadable := c.absent("ConfigMap", "configmaps", want.Name)
		if !unreadable {
			msg += ": the sidecar cannot start without its plugin.yaml"
			fix = apply
		}
		c.add(GroupSidecar, "plugin.yaml", Fail, msg, fix)
		return
	}
	b, ok := cm.Data[pluginKey]
	if !ok {
		c.add(GroupSidecar, "plugin.yaml", Fail, fmt.Sprintf("ConfigMap %s has no key %s", cm.Name, pluginKey), apply)
		return
	}
	if got := pluginName(b); got != c.want.Plugin {
		c.add(GroupSidecar, "plugin.yaml", Fail,
			fmt.Sprintf("ConfigMap %s's %s is not the ConfigManagementPlugin %q that the Applications name", cm.Name, pluginKey, c.want.Plugin), apply)
		return
	}
	c.add(GroupSidecar, "plugin.yaml", OK, fmt.Sprintf("ConfigMap %s: plugin %q", cm.Name, c.want.Plugin), "")
}

// pluginKey is the key of the plugin's ConfigMap that the sidecar mounts as plugin.yaml.
const pluginKey = "plugin.yaml"

// pluginName is the name of the ConfigManagementPlugin in a plugin.yaml, "" if it is not
// one.
func pluginName(b string) string {
	var p struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := sigsyaml.Unmarshal([]byte(b), &p); err != nil || p.Kind != "ConfigManagementPlugin" {
		return ""
	}
	return p.Metadata.Name
}

func (c *checker) generator() {
	want := c.want
	apply := "kubectl apply -k manifests/"
	d := c.s.Generator
	if d == nil {
		c.missing(GroupGenerator, "Deployment", "Deployment", "deployments", want.Generator.Name, apply)
	} else {
		replicas := int32(1)
		if d.Spec.Replicas != nil {
			replicas = *d.Spec.Replicas
		}
		images := containerImages(d)
		if d.Status.AvailableReplicas == 0 {
			c.add(GroupGenerator, "Deployment", Warn,
				fmt.Sprintf("Deployment %s (%s): 0 of %d replicas available", d.Name, images, replicas),
				"see why: "+c.kubectl("describe deployment "+d.Name)+"; "+c.kubectl("logs deployment/"+d.Name))
		} else {
			c.add(GroupGenerator, "Deployment", OK,
				fmt.Sprintf("Deployment %s (%s): %d of %d replicas available", d.Name, images, d.Status.AvailableReplicas, replicas), "")
		}
	}
	if d != nil {
		c.generatorArgs(d)
	}
	c.images()

	svc := c.s.GeneratorService
	if svc == nil {
		c.missing(GroupGenerator, "Service", "Service", "services", want.GeneratorService.Name, apply)
	} else if d != nil && (len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels))) {
		c.add(GroupGenerator, "Service", Fail,
			fmt.Sprintf("Service %s selects %s, which Deployment %s's pods do not carry", svc.Name, labels.SelectorFromSet(svc.Spec.Selector), d.Name),
			apply)
	} else {
		c.add(GroupGenerator, "Service", OK, "Service "+svc.Name, "")
	}

	c.pluginGenerator()
	c.secret()
}

// generatorArgs checks the generator's flags that the install leaves to people: the
// namespace it reads Applications in, and the repository it serves.
func (c *checker) generatorArgs(d *appsv1.Deployment) {
	name := c.want.Generator.Spec.Template.Spec.Containers[0].Name
	i := slices.IndexFunc(d.Spec.Template.Spec.Containers, func(ct corev1.Container) bool { return ct.Name == name })
	if i < 0 {
		c.add(GroupGenerator, "flags", Fail, fmt.Sprintf("Deployment %s has no container %s", d.Name, name), "kubectl apply -k manifests/")
		return
	}
	args := d.Spec.Template.Spec.Containers[i].Args
	edit := c.kubectl("edit deployment " + d.Name)
	if ns := flagValues(args, "argocd-namespace"); len(ns) == 0 && c.s.Namespace != DefaultNamespace || len(ns) > 0 && ns[len(ns)-1] != c.s.Namespace {
		reads := DefaultNamespace
		if len(ns) > 0 {
			reads = ns[len(ns)-1]
		}
		c.add(GroupGenerator, "flags", Fail,
			fmt.Sprintf("the generator reads Argo CD's Applications in namespace %s (--argocd-namespace), but Argo CD is in %s", reads, c.s.Namespace),
			fmt.Sprintf("give it --argocd-namespace=%s: %s", c.s.Namespace, edit))
		return
	}
	repos := flagValues(args, "repo")
	example := flagValues(c.want.Generator.Spec.Template.Spec.Containers[0].Args, "repo")
	if len(repos) == 0 {
		c.add(GroupGenerator, "flags", Fail, "the generator serves no repository (--repo)", "set --repo to your platform repository: "+edit)
		return
	}
	if len(example) > 0 && slices.Contains(repos, example[0]) {
		c.add(GroupGenerator, "flags", Warn, fmt.Sprintf("the generator serves the install's example repository %s", example[0]),
			"set --repo to your platform repository: "+edit)
		return
	}
	c.add(GroupGenerator, "flags", OK, "serves "+strings.Join(repos, ", "), "")
}

// flagValues are the values of a flag in args, as --name=value or --name value, in order.
func flagValues(args []string, name string) []string {
	var out []string
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			out = append(out, v)
		} else if a == "--"+name && i+1 < len(args) {
			out = append(out, args[i+1])
		}
	}
	return out
}

func containerImages(d *appsv1.Deployment) string {
	var out []string
	for _, ct := range d.Spec.Template.Spec.Containers {
		out = append(out, ct.Image)
	}
	return strings.Join(out, ", ")
}

// images checks that the sidecar and the generator run one release, pinned.
func (c *checker) images() {
	if c.s.RepoServer == nil || c.s.Generator == nil {
		return
	}
	image := func(d *appsv1.Deployment, name string) string {
		for _, ct := range d.Spec.Template.Spec.Containers {
			if ct.Name == name {
				return ct.Image
			}
		}
		return ""
	}
	sidecar := image(c.s.RepoServer, c.want.Sidecar.Name)
	gen := image(c.s.Generator, c.want.Generator.Spec.Template.Spec.Containers[0].Name)
	if sidecar == "" || gen == "" {
		return
	}
	set := "set both with one image: kustomize edit set image " + imageName(c.want.Sidecar.Image) + "=REGISTRY/shopctl:TAG in your overlay, or in manifests/ and manifests/argocd/argocd-repo-server-patch.yaml"
	switch tag := imageTag(gen); {
	case sidecar != gen:
		c.add(GroupGenerator, "release", Warn, fmt.Sprintf("the generator runs %s, the sidecar %s", gen, sidecar), set)
	case tag == "" || tag == "latest":
		c.add(GroupGenerator, "release", Warn, fmt.Sprintf("the generator and the sidecar run %s, which names no release", gen),
			"pin a release: "+set)
	default:
		c.add(GroupGenerator, "release", OK, fmt.Sprintf("the generator and the sidecar run %s", tag), "")
	}
}

func imageName(image string) string {
	if tag := imageTag(image); tag != "" {
		return strings.TrimSuffix(image, ":"+tag)
	}
	return image
}

// pluginGenerator checks the ConfigMap Argo CD's plugin generator reads: baseUrl must
// reach the generator's Service.
func (c *checker) pluginGenerator() {
	want := c.want.GeneratorPlugin
	cm := c.s.GeneratorPlugin
	const name = "plugin ConfigMap"
	if cm == nil {
		c.missing(GroupGenerator, name, "ConfigMap", "configmaps", want.Name, "kubectl apply -k manifests/")
		return
	}
	base := cm.Data["baseUrl"]
	svc := c.s.GeneratorService
	svcName := c.want.GeneratorService.Name
	port := "8080"
	if svc != nil && len(svc.Spec.Ports) > 0 {
		port = strconv.Itoa(int(svc.Spec.Ports[0].Port))
	}
	good := fmt.Sprintf("http://%s.%s.svc.cluster.local:%s", svcName, c.s.Namespace, port)
	edit := fmt.Sprintf("set baseUrl to %s: %s", good, c.kubectl("edit configmap "+cm.Name))
	u, err := url.Parse(base)
	if base == "" || err != nil || u.Host == "" {
		c.add(GroupGenerator, name, Fail, fmt.Sprintf("ConfigMap %s: baseUrl %q is not a URL", cm.Name, base), edit)
		return
	}
	host := u.Hostname()
	parts := strings.Split(host, ".")
	if net.ParseIP(host) != nil || parts[0] != svcName {
		c.add(GroupGenerator, name, Warn, fmt.Sprintf("ConfigMap %s: baseUrl %s does not name Service %s", cm.Name, base, svcName),
			"unless that reaches the generator another way, "+edit)
		return
	}
	if len(parts) > 1 && parts[1] != c.s.Namespace {
		c.add(GroupGenerator, name, Fail,
			fmt.Sprintf("ConfigMap %s: baseUrl %s names namespace %s, but the Service is in %s", cm.Name, base, parts[1], c.s.Namespace), edit)
		return
	}
	p := u.Port()
	if p == "" {
		p = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if svc != nil && !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return strconv.Itoa(int(sp.Port)) == p }) {
		c.add(GroupGenerator, name, Fail,
			fmt.Sprintf("ConfigMap %s: baseUrl %s asks port %s, which Service %s does not serve", cm.Name, base, p, svc.Name), edit)
		return
	}
	c.add(GroupGenerator, name, OK, fmt.Sprintf("ConfigMap %s: baseUrl %s", cm.Name, base), "")
}

// secret checks the generator's Secret: the keys its Deployment mounts and the plugin
// ConfigMap's token names, the label Argo CD needs to resolve the token, and that the
// example values were replaced.
func (c *checker) secret() {
	want := c.want.GeneratorSecret
	sec := c.s.GeneratorSecret
	const name = "Secret"
	create := fmt.Sprintf("create it with values of your own, labelled app.kubernetes.io/part-of=argocd: %s --from-literal=token=\"$(openssl rand -hex 32)\" ... (manifests/generator-secret.yaml has the whole command)",
		c.kubectl("create secret generic "+want.Name))
	if sec == nil {
		c.missing(GroupGenerator, name, "Secret", "secrets", want.Name, create)
		return
	}
	var keys []string
	if d := c.s.Generator; d != nil {
		for _, v := range d.Spec.Template.Spec.Volumes {
			if v.Secret != nil && v.Secret.SecretName == sec.Name && (v.Secret.Optional == nil || !*v.Secret.Optional) {
				for _, it := range v.Secret.Items {
					keys = append(keys, it.Key)
				}
			}
		}
	}
	if cm := c.s.GeneratorPlugin; cm != nil {
		if ref, ok := strings.CutPrefix(cm.Data["token"], "$"); ok {
			if s, k, ok := strings.Cut(ref, ":"); ok && s == sec.Name {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	var problems []string
	for _, k := range keys {
		if _, ok := sec.Data[k]; !ok {
			problems = append(problems, "no key "+k)
		}
	}
	const partOf = "app.kubernetes.io/part-of"
	if sec.Labels[partOf] != "argocd" {
		problems = append(problems, fmt.Sprintf("no label %s=argocd, without which Argo CD does not resolve the plugin ConfigMap's token", partOf))
	}
	if len(problems) > 0 {
		c.add(GroupGenerator, name, Fail, fmt.Sprintf("Secret %s: %s", sec.Name, strings.Join(problems, "; ")), create)
		return
	}
	var example []string
	for _, k := range slices.Sorted(maps.Keys(want.StringData)) {
		if string(sec.Data[k]) == want.StringData[k] {
			example = append(example, k)
		}
	}
	if len(example) > 0 {
		c.add(GroupGenerator, name, Warn,
			fmt.Sprintf("Secret %s still holds the example %s of manifests/generator-secret.yaml", sec.Name, strings.Join(example, " and ")),
			"replace them with values of your own: manifests/generator-secret.yaml has the command")
		return
	}
	c.add(GroupGenerator, name, OK, fmt.Sprintf("Secret %s: %s", sec.Name, strings.Join(keys, ", ")), "")
}

func (c *checker) project() {
	name := c.want.AppProject
	switch {
	case c.s.AppProject:
		c.add(GroupProject, name, OK, "AppProject "+name, "")
	case NotServed("AppProject", c.s.Served["appprojects"]) != nil:
		c.add(GroupProject, name, Fail, "AppProject "+name+": Argo CD's AppProject CRD is not served", "install Argo CD first (see above), then kubectl apply -k manifests/")
	default:
		msg, fix, unreadable := c.absent("AppProject", "appprojects."+Group, name)
		if !unreadable {
			msg += ": the ShopSets' Applications belong to it"
			fix = "kubectl apply -k manifests/ (again, if it was applied before Argo CD's CRDs were established)"
		}
		c.add(GroupProject, name, Fail, msg, fix)
	}
}
