#!/usr/bin/env bash
# Runs the Go benchmarks and compares them with the committed baseline by ratio, not by
# absolute time: each benchmark is divided by its reference benchmark from the same run
# (render's Render by KustomizeOnly, policy's RenderWithPolicies by its Render, snapshot's
# Pin, a rebuild after a push to a tier branch, by its Build, after a push to main;
# generator's getparams with rollouts by the same without), so a
# slower or busier machine does not read as a regression. The test binaries are built
# once and run COUNT times in turn, so that the machine's ups and downs hit every
# benchmark alike.
#
#   scripts/bench-compare.sh            # compare; exit 1 if a ratio grew by more than 20%
#                                       # or missed its goal
#   UPDATE=1 scripts/bench-compare.sh   # record a new baseline
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local

baseline=bench/baseline.txt
count=${COUNT:-6}
tolerance=${TOLERANCE:-1.20}
# package:benchmark:reference[:goal[:unit]], goal being the largest ratio allowed whatever
# the baseline (policies add under 20% to a render; pinning after a push to a tier branch
# costs under 1/20 of a full rebuild; reading Applications adds under 10% to getparams), unit the measure compared (ns/op unless named:
# snapshot's cpu-ns/op counts git's CPU too)
pairs="render:BenchmarkRender:BenchmarkKustomizeOnly policy:BenchmarkRenderWithPolicies:BenchmarkRender:1.20 snapshot:BenchmarkPin:BenchmarkBuild:0.05:cpu-ns/op generator:BenchmarkGetParams/rollouts:BenchmarkGetParams/all:1.10"
# package:benchmark:reference:most:unit, most being the largest difference allowed, in
# the unit, between the benchmark and its reference of the same run: previews with 500
# branches among 5,000 add under 5 ms of CPU to a pinning.
added="snapshot:BenchmarkPinRefs/previews:BenchmarkPinRefs/none:5000000:cpu-ns/op"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
new=$work/new.txt
for pkg in render policy snapshot generator; do
	go test -c -o "$work/$pkg.test" "./$pkg/"
done
# the benchmarks of each package that the pairs name
declare -A benches=([render]='^Benchmark(Render|KustomizeOnly)$' [policy]='^Benchmark(Render|RenderWithPolicies|Check)$'
	[snapshot]='^Benchmark(Build|Pin|PinRefs)$' [generator]='^BenchmarkGetParams$/^(all|rollouts)$')
for i in $(seq "$count"); do
	for pkg in render policy snapshot generator; do
		(cd "$pkg" && "$work/$pkg.test" -test.run '^$' -test.bench "${benches[$pkg]}" -test.benchmem) | grep -v '^PASS$' | tee -a "$new"
	done
done

if [ "${UPDATE:-}" = 1 ]; then
	mkdir -p "$(dirname "$baseline")"
	cp "$new" "$baseline"
	echo "baseline written to $baseline"
	exit 0
fi

# median of the measure $4 (default ns/op) of benchmark $3 of package $2 in a go test
# -bench output file $1
median() {
	awk -v p="$2" -v b="$3" -v u="${4:-ns/op}" '$1 == "pkg:" {pkg = $2}
		pkg ~ "/"p"$" && $1 ~ "^"b"(-[0-9]+)?$" {for (i = 3; i < NF; i++) if ($(i+1) == u) print $i}' "$1" | sort -n |
		awk '{v[NR]=$1} END {if (NR==0) exit 1; print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'
}

status=0
printf '\n%-8s %-28s %-24s %10s %10s %8s %6s\n' package benchmark reference baseline now change goal
for pair in $pairs; do
	IFS=: read -r pkg b ref goal unit <<<"$pair"
	old=$(awk -v x="$(median "$baseline" "$pkg" "$b" "$unit")" -v y="$(median "$baseline" "$pkg" "$ref" "$unit")" 'BEGIN {printf "%.3f", x/y}')
	cur=$(awk -v x="$(median "$new" "$pkg" "$b" "$unit")" -v y="$(median "$new" "$pkg" "$ref" "$unit")" 'BEGIN {printf "%.3f", x/y}')
	change=$(awk -v a="$old" -v c="$cur" 'BEGIN {printf "%+.0f%%", (c/a-1)*100}')
	printf '%-8s %-28s %-24s %10s %10s %8s %6s\n' "$pkg" "$b" "$ref" "${old}x" "${cur}x" "$change" "${goal:+<${goal}x}"
	if awk -v a="$old" -v c="$cur" -v t="$tolerance" 'BEGIN {exit !(c > a*t)}'; then
		echo "regression: $pkg $b is ${cur}x $ref, baseline ${old}x" >&2
		status=1
	fi
	if [ -n "$goal" ] && awk -v c="$cur" -v g="$goal" 'BEGIN {exit !(c >= g)}'; then
		echo "goal missed: $pkg $b is ${cur}x $ref, the goal is under ${goal}x" >&2
		status=1
	fi
done
for pair in $added; do
	IFS=: read -r pkg b ref most unit <<<"$pair"
	cur=$(awk -v x="$(median "$new" "$pkg" "$b" "$unit")" -v y="$(median "$new" "$pkg" "$ref" "$unit")" 'BEGIN {printf "%.0f", x-y}')
	printf '%-8s %-28s %-24s %10s %10s %8s %6s\n' "$pkg" "$b" "$ref" "" "$(awk -v c="$cur" 'BEGIN {printf "%+d", c}')" "$unit" "<+${most}"
	if awk -v c="$cur" -v m="$most" 'BEGIN {exit !(c >= m)}'; then
		echo "goal missed: $pkg $b adds ${cur} $unit to $ref, the goal is under ${most}" >&2
		status=1
	fi
done
exit $status
