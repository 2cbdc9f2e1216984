#!/usr/bin/env bash
# Runs the end-to-end suite against Argo CD v2.14 (default), v3.2, or both:
#
#   e2e/run.sh [v2|v3|all] [go test flags]
#
# It builds what the suite runs into a cache (e2e/build.sh: minutes the first time,
# seconds after) and needs etcd and redis-server on PATH (Debian: etcd-server,
# redis-server). Each process's log is kept in the directory the test output names when
# the suite fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local

which="${1:-v2}"
[ $# -gt 0 ] && shift
case "$which" in
v2 | v3) versions=("$which") ;;
all) versions=(v2 v3) ;;
*) echo "usage: $0 [v2|v3|all] [go test flags]" >&2; exit 2 ;;
esac
for tool in etcd redis-server git; do
	command -v "$tool" >/dev/null || { echo "e2e: $tool is not installed (Debian: etcd-server, redis-server, git)" >&2; exit 1; }
done

bin="$(e2e/build.sh "$which" | tail -n 1)"
# Both versions run side by side (each on its own ports and directory); their output is
# printed one after the other once both are done.
out="$(mktemp -d)"
pids=()
for v in "${versions[@]}"; do
	SHOPSET_E2E_BIN="$bin" SHOPSET_E2E_ARGOCD="$v" \
		go test -tags e2e -count=1 -timeout 25m -v "$@" ./e2e/ >"$out/$v.log" 2>&1 &
	pids+=($!)
done
status=0
for i in "${!versions[@]}"; do
	wait "${pids[$i]}" || status=1
done
for v in "${versions[@]}"; do
	echo "== e2e against Argo CD $v"
	cat "$out/$v.log"
done
rm -rf "$out"
exit "$status"
