#!/usr/bin/env bash
# Runs the generator load test of the issue on this machine, loopback only: a repository
# of 10,000 ShopSets, 50 clusters and 40,000 shops, 200 keep-alive clients for 20 s, each
# request one random tier on one random cluster, while a change is committed to main and
# refreshed every second. Prints the machine's load first: the machine is shared, and the
# numbers only mean something next to it.
#
#   scripts/loadtest.sh                          # the issue's parameters
#   scripts/loadtest.sh -mix all -duration 10s   # any flag of shopset-loadtest overrides
#   scripts/loadtest.sh -interval 1s             # paced: 200 requests/s offered
#
# Exits 1 when any request failed. Speed is reported, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local

echo "uptime: $(uptime)"
go run ./cmd/shopset-loadtest -clients 200 -duration 20s -mix tier+cluster -commit-every 1s "$@"
