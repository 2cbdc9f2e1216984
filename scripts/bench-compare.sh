#!/usr/bin/env bash
# Runs the Go benchmarks and compares them with the committed baseline by ratio, not by
# absolute time: each benchmark is divided by its reference benchmark from the same run
# (Render by KustomizeOnly), so a slower or busier machine does not read as a regression.
#
#   scripts/bench-compare.sh            # compare; exit 1 if a ratio grew by more than 20%
#   UPDATE=1 scripts/bench-compare.sh   # record a new baseline
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local

baseline=bench/baseline.txt
count=${COUNT:-6}
tolerance=${TOLERANCE:-1.20}
# benchmark -> the reference it is divided by
pairs="BenchmarkRender:BenchmarkKustomizeOnly"

new=$(mktemp)
trap 'rm -f "$new"' EXIT
go test -run '^$' -bench . -benchmem -count "$count" ./render/ | tee "$new"

if [ "${UPDATE:-}" = 1 ]; then
	mkdir -p "$(dirname "$baseline")"
	cp "$new" "$baseline"
	echo "baseline written to $baseline"
	exit 0
fi

# median ns/op of a benchmark in a go test -bench output file
median() {
	awk -v b="$2" '$1 ~ "^"b"(-[0-9]+)?$" {print $3}' "$1" | sort -n |
		awk '{v[NR]=$1} END {if (NR==0) exit 1; print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'
}

status=0
printf '\n%-24s %-24s %12s %12s %8s\n' benchmark reference baseline now change
for pair in $pairs; do
	b=${pair%%:*} ref=${pair##*:}
	old=$(awk -v x="$(median "$baseline" "$b")" -v y="$(median "$baseline" "$ref")" 'BEGIN {printf "%.3f", x/y}')
	cur=$(awk -v x="$(median "$new" "$b")" -v y="$(median "$new" "$ref")" 'BEGIN {printf "%.3f", x/y}')
	change=$(awk -v a="$old" -v c="$cur" 'BEGIN {printf "%+.0f%%", (c/a-1)*100}')
	printf '%-24s %-24s %12s %12s %8s\n' "$b" "$ref" "${old}x" "${cur}x" "$change"
	if awk -v a="$old" -v c="$cur" -v t="$tolerance" 'BEGIN {exit !(c > a*t)}'; then
		echo "regression: $b is ${cur}x $ref, baseline ${old}x" >&2
		status=1
	fi
done
exit $status
