#!/usr/bin/env bash
# Instructions per codec operation (kit vs the peers), counted by valgrind: noise-free, so two builds
# of kit can be compared on a loaded machine. Not a time (see src/bin/insns.rs); times come from
# criterion (run.sh).
#
#   bash benchmarks/codec/insns.sh [REGEX]      # default: every operation
#
# Prints `op<TAB>instructions/op` for each operation whose id matches REGEX (grep -E), e.g.
# 'protobuf-encode-small' or '^thrift-compact-decode'. Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-bench}"
n=${INSNS_N:-2000}
cargo build --release --bin insns -q
bin=$CARGO_TARGET_DIR/release/insns
count() { # OP N -> total instructions
    local f
    f=$(mktemp)
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$f" "$bin" "$1" "$2" >/dev/null 2>&1
    awk '/^summary:/ {print $2}' "$f"
    rm -f "$f"
}
"$bin" list | grep -E -- "${1:-.}" | while read -r op; do
    base=$(count "$op" 0)
    full=$(count "$op" "$n")
    printf '%s\t%s\n' "$op" "$(((full - base) / n))"
done
