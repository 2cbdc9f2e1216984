// Package installcheck decides whether shopset's install in a cluster can work, as pure
// functions over what was read of the cluster (a [State]): Argo CD's CRDs served at
// argoproj.io/v1alpha1, its repo-server with the shopset sidecar as the install's patch
// adds it, argocd-cmd-params-cm, the generator's Deployment, Service, ConfigMap and
// Secret, and the AppProject. Each check that fails or warns says what to do. What is
// expected is read from the install's own files (package manifests), so a change to the
// install changes the check with it. Package installcheck/cluster reads a State from the
// Kubernetes API; `shopctl check` prints the [Report].
//
//	want, err := installcheck.Load(manifests.FS)
//	report := installcheck.Check(state, want, false)
//	err = report.WriteText(os.Stdout)
package installcheck
