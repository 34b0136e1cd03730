#!/usr/bin/env bash
# The RPC benchmarks: kit vs volo-thrift (framed binary and TTHeader), vs tonic and volo-grpc
# (gRPC unary and server streaming), QPS/p50/p99 at concurrency 1, 10, 100, 400 and each
# server's peak RSS. Servers run pinned to CPU 0 and clients to CPU 1 (taskset), each run a
# fresh pair of processes, kit and peers alternating.
#
#   benchmarks/rpc/run.sh [--quick]
#
# Writes benchmarks/out/rpc_summary.tsv, rpc_concurrency.tsv and rpc_runs.tsv.
# --quick: one round of 1 s warmup + 3 s per run (about 3 minutes once built);
# default: three rounds of 2 s + 10 s (about 20 minutes), medians over the rounds.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench="$(dirname "$here")"
quick=()
for a in "$@"; do
  case "$a" in
    --quick) quick=(--quick) ;;
    *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
  esac
done
cd "$bench"
cargo build --release -p kit-bench-rpc
target="${CARGO_TARGET_DIR:-$bench/target}"
mkdir -p "$bench/out"
"$target/release/kit-bench-rpc" suite "${quick[@]}" --out "$bench/out"
