#!/usr/bin/env bash
# Times the whole CMP process, `shopctl plugin generate` from exec to exit, against
# `kustomize build` of the equivalent overlay, side by side in one hyperfine run (the
# machine's noise hits both alike; compare the ratio, not the absolute times).
#
#   scripts/bench-cmp.sh            # RUNS=100 SHOPSET=c-2 by default
#   POLICIES=off scripts/bench-cmp.sh   # without the tier's policies/: the render alone
#
# With the tier's policies (the default) the plugin does more than kustomize build: it
# also checks every object against the Rego rules in policies/.
# The kustomize CLI is built from its Go module (KUSTOMIZE_VERSION, default v5.7.1) and
# cached; hyperfine comes from Debian's packages.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local

runs=${RUNS:-100}
shopset=${SHOPSET:-c-2}
kversion=${KUSTOMIZE_VERSION:-v5.7.1}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/shopset/kustomize-$kversion

if ! command -v hyperfine >/dev/null; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine
fi
if [ ! -x "$cache/kustomize" ]; then
	mkdir -p "$cache"
	(cd "$cache" && GOBIN="$cache" go install "sigs.k8s.io/kustomize/kustomize/v5@$kversion")
fi
kustomize=$cache/kustomize

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -trimpath -o "$work/shopctl" ./cmd/shopctl
"$work/shopctl" demo --keep "$work/demo" --shopset "$shopset" >/dev/null
inventory=$work/demo/repo/shopsets.yaml

# The ShopSet's tier checkout (.git excluded, as the install configures Argo CD), and the
# same checkout with the overlay written to disk.
read -r tier cluster configuration namespace components branch < <(
	"$work/shopctl" list -f "$inventory" -o wide | awk -v s="$shopset" '$3 == s {print $1, $2, $4, $5, $6, $7}')
checkout=$work/checkout
mkdir -p "$checkout"
git -C "$work/demo/repo" archive "$branch" | tar -x -C "$checkout"
cp -r "$checkout" "$work/kust"
if [ "${POLICIES:-on}" = off ]; then
	rm -rf "$checkout/policies"
fi
overlay=$work/kust/.shopset-overlay
mkdir -p "$overlay"
"$work/shopctl" render "$shopset" -f "$inventory" --overlay >"$overlay/kustomization.yaml"

export ARGOCD_ENV_SHOPSET_NAME=$shopset ARGOCD_ENV_SHOPSET_TIER=$tier \
	ARGOCD_ENV_SHOPSET_CONFIGURATION=$configuration ARGOCD_ENV_SHOPSET_CLUSTER=$cluster \
	ARGOCD_ENV_SHOPSET_NAMESPACE=$namespace
[ "$components" = "<none>" ] || export ARGOCD_ENV_SHOPSET_COMPONENTS=$components
# The configuration's maxMemoryLimit, as examples/applicationset.yaml passes it.
maxmem=$("$work/shopctl" list -f "$inventory" -o json |
	awk -F'"' -v s="$shopset" '$2 == "name" && $4 == s {found = 1} found && $2 == "maxMemoryLimit" {print $4; exit}')
[ -z "$maxmem" ] || export ARGOCD_ENV_SHOPSET_MAX_MEMORY_LIMIT=$maxmem

cd "$checkout"
# Same bytes, or the comparison means nothing.
if ! diff <("$work/shopctl" plugin generate) <("$kustomize" build "$overlay") >/dev/null; then
	echo "shopctl plugin generate and kustomize build disagree" >&2
	exit 1
fi

echo "# $shopset ($tier, $configuration${components:+, $components}); $(nproc) cores; $(date -u +%F)"
hyperfine -N --warmup 10 --runs "$runs" --export-markdown "$work/result.md" \
	-n "shopctl plugin generate" "$work/shopctl plugin generate" \
	-n "kustomize build ($kversion)" "$kustomize build $overlay"
cat "$work/result.md"
