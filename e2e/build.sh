#!/usr/bin/env bash
# Builds the programs the end-to-end suite runs into a cache directory and reuses them while
# the module files that pinned them are unchanged:
#   kube-apiserver           from e2e/tools/kubernetes              (k8s.io/kubernetes v1.32.5)
#   kube-controller-manager  from the same module                   (k8s.io/kubernetes v1.32.5)
#   kube-scheduler           from the same module                   (k8s.io/kubernetes v1.32.5)
#   kwok                     from the same module                   (sigs.k8s.io/kwok v0.6.1)
#   argocd-v2                from e2e/tools/argocd-v2               (Argo CD v2.14.21)
#   argocd-v3                from e2e/tools/argocd-v3               (Argo CD v3.2.11), if asked for
#   shopctl                  from this checkout, every time (a warm build takes seconds)
#
# Usage: e2e/build.sh [v2|v3|all]   (default v2)
# Prints the bin directory on its last line. SHOPSET_E2E_CACHE moves the cache
# (default ~/.cache/shopset-e2e).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${SHOPSET_E2E_CACHE:-$HOME/.cache/shopset-e2e}"
bin="$cache/bin"
mkdir -p "$bin"
export GOTOOLCHAIN=local

# build NAME DIR PKG: rebuilds $bin/NAME only when DIR's go.mod or go.sum changed.
build() {
	local name=$1 dir=$2 pkg=$3 stamp want
	stamp="$bin/.$name.stamp"
	want="$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -d' ' -f1)"
	if [ -x "$bin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
		echo "e2e build: $name is up to date" >&2
		return
	fi
	echo "e2e build: building $name (minutes on a cold cache)" >&2
	local start=$SECONDS
	(cd "$dir" && go build -trimpath -o "$bin/$name.tmp" "$pkg")
	mv "$bin/$name.tmp" "$bin/$name"
	echo "$want" >"$stamp"
	echo "e2e build: $name took $((SECONDS - start))s" >&2
}

which="${1:-v2}"
build kube-apiserver "$root/e2e/tools/kubernetes" k8s.io/kubernetes/cmd/kube-apiserver
build kube-controller-manager "$root/e2e/tools/kubernetes" k8s.io/kubernetes/cmd/kube-controller-manager
build kube-scheduler "$root/e2e/tools/kubernetes" k8s.io/kubernetes/cmd/kube-scheduler
build kwok "$root/e2e/tools/kubernetes" sigs.k8s.io/kwok/cmd/kwok
case "$which" in
v2 | all) build argocd-v2 "$root/e2e/tools/argocd-v2" github.com/argoproj/argo-cd/v2/cmd ;;&
v3 | all) build argocd-v3 "$root/e2e/tools/argocd-v3" github.com/argoproj/argo-cd/v3/cmd ;;
v2) ;;
*) echo "usage: $0 [v2|v3|all]" >&2; exit 2 ;;
esac
# Stamped as e2e/image.sh and a release stamp it; the generator names the version to Git.
(cd "$root" && go build -ldflags="-X github.com/shopset/shopset/version.Version=$(git -C "$root" describe --tags --always --dirty)" \
	-o "$bin/shopctl" ./cmd/shopctl)
echo "$bin"
