// Package e2e runs shopset the way a user does, end to end: real Argo CD processes (the
// application, ApplicationSet and repo-server controllers, argocd-cmp-server with
// plugin/plugin.yaml, and argocd-server for the CLI) syncing Applications into three real
// kube-apiservers from a real Git server, with shopset's generator running as
// `shopctl generator serve`, driven by edits to shopsets.yaml.
//
// The suite is behind the e2e build tag. e2e/run.sh builds the programs it needs into a
// cache (e2e/build.sh) and runs it:
//
//	e2e/run.sh                     # Argo CD v2.14
//	e2e/run.sh v3                  # Argo CD v3.2
//	e2e/run.sh all                 # both, as CI runs it
//	e2e/run.sh v2 -run TestInstall # only the install (README, Install) and shopctl check on it
//
// e2e/image.sh builds the runtime image from the Dockerfile's last stage without a
// registry and runs it as manifests/ do; CI runs it before the suite.
//
// Nothing runs in a container: etcd and Redis come from the system, kube-apiserver and
// Argo CD are built from their Go modules (e2e/tools), and every process listens on
// 127.0.0.1. Each cluster runs only kube-apiserver and the garbage-collector and namespace
// controllers; no kubelet, scheduler or workload controller runs, so workloads are created
// but never start: the suite asserts on the objects the API servers hold and on Argo CD's
// sync status, not on workload health.
package e2e
