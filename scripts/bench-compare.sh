#!/usr/bin/env bash
# Compares the benchmarks of a base revision with the working tree's, on a
# machine whose speed drifts (a shared VM can be 1.5x faster one minute than
# the next): both builds' test binaries run alternately, round after round,
# so that each round meets the same conditions, and benchstat compares them.
#
#   scripts/bench-compare.sh BASE_REV [ROUNDS] [BENCH_REGEX] [PACKAGE ...]
#
# Defaults: 8 rounds; the usage pipeline on the generated corpus
# (decode + aggregate in ./collector). Example:
#
#   scripts/bench-compare.sh HEAD~3 8 'UsageDecode$/corpus=generated/.*/work=decode' ./eaclient
#
# BENCHTIME (default 4x) is passed to -test.benchtime.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: scripts/bench-compare.sh BASE_REV [ROUNDS] [BENCH_REGEX] [PACKAGE ...]}
rounds=${2:-8}
bench=${3:-'UsageDecodeAggregate/corpus=generated/decoder=scanner'}
shift $(( $# < 3 ? $# : 3 ))
pkgs=("${@:-./collector}")
dir=$(mktemp -d)
trap 'git worktree remove --force "$dir/base" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
git worktree add --detach "$dir/base" "$base" >/dev/null 2>&1
for pkg in "${pkgs[@]}"; do
  name=$(basename "$pkg")
  (cd "$dir/base" && go test -c -o "$dir/$name.base" "$pkg")
  go test -c -o "$dir/$name.new" "$pkg"
  for _ in $(seq "$rounds"); do
    for v in base new; do
      (cd "$pkg" && "$dir/$name.$v" -test.run '^$' -test.bench "$bench" -test.benchmem \
        -test.benchtime "${BENCHTIME:-4x}" | grep '^Benchmark' >> "$dir/$v.txt") || true
    done
  done
done
go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da base="$dir/base.txt" new="$dir/new.txt"
