package installcheck_test

import (
	"testing"

	"github.com/shopset/shopset/installcheck"
)

// FuzzCheck: whatever the cluster holds in the fields people write by hand (baseUrl, the
// token reference, plugin.yaml, images, the generator's flags, the namespace), the check
// never panics, and every check that is not ok says what to do.
func FuzzCheck(f *testing.F) {
	f.Add("http://shopset-generator.argocd.svc.cluster.local:8080", "$shopset-generator:token", "kind: ConfigManagementPlugin\nmetadata: {name: shopset}\n",
		"quay.io/argoproj/argocd:v2.14.21", "ghcr.io/shopset/shopctl:v0.1.0", "--repo=https://git.example/p.git", "argocd")
	f.Add("http://[::1]:x", "$", "[", "a@b:c/d", ":", "--repo", "")
	f.Add("https://shopset-generator", "$:", "kind: ConfigManagementPlugin\nmetadata: []", "registry:5000/argocd", "shopctl", "--argocd-namespace", "gitops")
	want := expected(f)
	base := complete(f)
	f.Fuzz(func(t *testing.T, baseURL, token, pluginYAML, argoImage, image, arg, namespace string) {
		s := base
		s.GeneratorPlugin, s.CMPPlugin = base.GeneratorPlugin.DeepCopy(), base.CMPPlugin.DeepCopy()
		s.RepoServer, s.Generator = base.RepoServer.DeepCopy(), base.Generator.DeepCopy()
		s.Namespace = namespace
		s.GeneratorPlugin.Data["baseUrl"] = baseURL
		s.GeneratorPlugin.Data["token"] = token
		s.CMPPlugin.Data["plugin.yaml"] = pluginYAML
		s.RepoServer.Spec.Template.Spec.Containers[0].Image = argoImage
		s.Generator.Spec.Template.Spec.Containers[0].Image = image
		c := &s.Generator.Spec.Template.Spec.Containers[0]
		c.Args = append(c.Args, arg)
		for _, pre := range []bool{false, true} {
			r := installcheck.Check(s, want, pre)
			for _, c := range r.Checks {
				if c.Status != installcheck.OK && c.Fix == "" {
					t.Fatalf("%s: %s is %s without saying what to do: %s", c.Group, c.Name, c.Status, c.Message)
				}
			}
		}
	})
}
