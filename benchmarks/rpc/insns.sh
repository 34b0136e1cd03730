#!/usr/bin/env bash
# Instructions per RPC on one side (server or client), counted by valgrind: noise-free, so two
# builds can be compared on a loaded machine where QPS drifts by tens of percent. Not a time or a
# throughput: the kernel's share (syscalls, TCP) is not counted, and valgrind serialises threads.
#
#   bash benchmarks/rpc/insns.sh SIDE SYSTEM [CONCURRENCY] [SECONDS]
#
# SIDE: server | client (the side run under valgrind; the other runs natively, pinned to CPU 0).
# SYSTEM: a kit-bench-rpc system (kit-grpc, tonic, volo-grpc, kit-thrift, volo-thrift, ...).
# Prints the calls made, the side's total instructions and their ratio (startup included, a few
# million instructions: use runs of thousands of calls). Needs valgrind.
set -euo pipefail
side=${1:?server|client}
sys=${2:?system}
c=${3:-10}
secs=${4:-6}
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build -q --release -p kit-bench-rpc
bin=$CARGO_TARGET_DIR/release/kit-bench-rpc
port=$((40000 + RANDOM % 20000))
out=$(mktemp)
vg=(valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$out")
if [[ $side == server ]]; then
    "${vg[@]}" "$bin" server "$sys" --port "$port" >/dev/null 2>&1 &
    pid=$!
    sleep 3 # valgrind starts slowly
    line=$("$bin" client "$sys" --port "$port" -c "$c" --warmup 0 --secs "$secs" 2>/dev/null | tail -1)
    kill -INT "$pid"
    sleep 2
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
else
    taskset -c 0 "$bin" server "$sys" --port "$port" >/dev/null 2>&1 &
    pid=$!
    sleep 0.5
    line=$("${vg[@]}" "$bin" client "$sys" --port "$port" -c "$c" --warmup 0 --secs "$secs" 2>/dev/null | tail -1)
    kill "$pid"
    wait "$pid" 2>/dev/null || true
fi
ir=$(awk '/^summary:/ {print $2}' "$out")
rm -f "$out"
calls=$(awk '{print $5}' <<<"$line")
echo "$side $sys c=$c calls=$calls instructions=$ir per_call=$((ir / calls))"
