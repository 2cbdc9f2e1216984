package installcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/shopset/shopset/manifests"
)

// Expected is what the install applies, read from its files (package manifests): the
// names of the objects, the sidecar the repo-server patch adds and the volumes it mounts,
// the argocd-cmd-params-cm settings, the generator's objects.
type Expected struct {
	// RepoServer is the patch of Argo CD's repo-server Deployment: ArgoContainer the
	// name of Argo CD's own container there, Sidecar the container it adds and
	// SidecarVolumes the volumes it adds (the sidecar's other mounts are Argo CD's).
	RepoServer     string
	ArgoContainer  string
	Sidecar        corev1.Container
	SidecarVolumes []corev1.Volume
	// CmdParams is the patch of argocd-cmd-params-cm.
	CmdParams corev1.ConfigMap
	// shopset's own objects.
	Generator        appsv1.Deployment
	GeneratorService corev1.Service
	GeneratorPlugin  corev1.ConfigMap
	GeneratorSecret  corev1.Secret
	CMPPlugin        corev1.ConfigMap
	AppProject       string
	// Plugin is the name of the ConfigManagementPlugin in CMPPlugin's plugin.yaml.
	Plugin string
}

// Load reads Expected from the install's files: fsys holds manifests/ (manifests.FS).
func Load(fsys fs.FS) (Expected, error) {
	var e Expected
	objs := map[string][]byte{} // "file:Kind" -> the object
	for _, file := range []string{manifests.RepoServerPatch, manifests.CmdParamsPatch, manifests.Generator,
		manifests.GeneratorPlugin, manifests.GeneratorSecret, manifests.CMPPlugin, manifests.AppProject} {
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			return e, fmt.Errorf("reading the install: %w", err)
		}
		if err := split(file, b, objs, &e); err != nil {
			return e, fmt.Errorf("reading the install's %s: %w", file, err)
		}
	}
	var patch appsv1.Deployment
	for _, o := range []struct {
		key string
		dst any
	}{
		{manifests.RepoServerPatch + ":Deployment", &patch},
		{manifests.CmdParamsPatch + ":ConfigMap", &e.CmdParams},
		{manifests.Generator + ":Deployment", &e.Generator},
		{manifests.Generator + ":Service", &e.GeneratorService},
		{manifests.GeneratorPlugin + ":ConfigMap", &e.GeneratorPlugin},
		{manifests.GeneratorSecret + ":Secret", &e.GeneratorSecret},
		{manifests.CMPPlugin + ":ConfigMap", &e.CMPPlugin},
	} {
		b, ok := objs[o.key]
		if !ok {
			return e, fmt.Errorf("reading the install: no %s in it", o.key)
		}
		if err := sigsyaml.UnmarshalStrict(b, o.dst); err != nil {
			return e, fmt.Errorf("reading the install's %s: %w", o.key, err)
		}
	}
	e.RepoServer = patch.Name
	containers := patch.Spec.Template.Spec.Containers
	if len(containers) != 2 {
		return e, fmt.Errorf("reading the install: the repo-server patch has %d containers, want Argo CD's and the sidecar", len(containers))
	}
	e.ArgoContainer, e.Sidecar = containers[0].Name, containers[1]
	e.SidecarVolumes = patch.Spec.Template.Spec.Volumes
	if e.Plugin = pluginName(e.CMPPlugin.Data[pluginKey]); e.Plugin == "" {
		return e, fmt.Errorf("reading the install: ConfigMap %s has no ConfigManagementPlugin in %s", e.CMPPlugin.Name, pluginKey)
	}
	if e.AppProject == "" {
		return e, errors.New("reading the install: no AppProject in it")
	}
	return e, nil
}

// split adds each object of file's YAML stream to objs as "file:Kind"; the AppProject, a
// kind client-go has no type for, is only named in e.
func split(file string, b []byte, objs map[string][]byte, e *Expected) error {
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	for {
		var m map[string]any
		if err := d.Decode(&m); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if len(m) == 0 {
			continue
		}
		kind, _ := m["kind"].(string)
		if kind == "AppProject" {
			meta, _ := m["metadata"].(map[string]any)
			e.AppProject, _ = meta["name"].(string)
			continue
		}
		j, err := sigsyaml.Marshal(m)
		if err != nil {
			return err
		}
		objs[file+":"+kind] = j
	}
}
