// Package manifests is shopset's install, as people apply it: the YAML files of this
// directory (`kubectl apply -k manifests/`) and of argocd/ (the patches of Argo CD's
// repo-server and argocd-cmd-params-cm). The files are embedded so that `shopctl check`
// compares a cluster with the very objects and patches the install applies, not with a
// copy of them.
//
//	b, err := fs.ReadFile(manifests.FS, "argocd/argocd-repo-server-patch.yaml")
package manifests

import "embed"

// FS holds the install's files, by their path in this directory.
//
//go:embed *.yaml argocd/*.yaml
var FS embed.FS

// Paths of the files shopctl check reads in FS.
const (
	RepoServerPatch = "argocd/argocd-repo-server-patch.yaml"
	CmdParamsPatch  = "argocd/argocd-cmd-params-cm-patch.yaml"
	Generator       = "generator.yaml"
	GeneratorPlugin = "generator-plugin.yaml"
	GeneratorSecret = "generator-secret.yaml"
	CMPPlugin       = "cmp-plugin.yaml"
	AppProject      = "appproject.yaml"
)
