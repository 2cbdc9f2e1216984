// Package manifests_test checks the install manifests against the code they install.
package manifests_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"

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

// kubectl apply -k manifests/ builds, with kubectl's default Kustomize options.
func TestKustomizeBuild(t *testing.T) {
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), ".")
	require.NoError(t, err)
	require.Equal(t, 1, m.Size())
	cm := m.Resources()[0]
	assert.Equal(t, "ConfigMap", cm.GetKind())
	assert.Equal(t, "shopset-cmp-plugin", cm.GetName())
	assert.Equal(t, "argocd", cm.GetNamespace())
	data := cm.GetDataMap()
	assert.Equal(t, string(plugin.Config), data["plugin.yaml"])
}
