#!/usr/bin/env bash
# Codec benchmarks: kit vs prost (Protobuf), the Apache `thrift` crate and Pilota (Thrift binary/compact).
# Runs the criterion bench (benches/codec.rs), prints a table of median times, then the allocation
# counts (src/bin/allocs.rs).
#
#   bash benchmarks/codec/run.sh [--quick]
#
# Default: 1 s warm-up, 3 s measurement, 20 samples per benchmark (~4 min for the 47 benchmarks).
# --quick: 0.5 s warm-up, 1 s measurement, 10 samples (~1 min). Needs protoc and thrift (0.17) on PATH.
# KIT_BENCH_CLOCK=thread-cpu: time samples by the bench thread's CPU time instead of wall time (for a
# machine other work is loading; see `Clock` in benches/codec.rs).
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-bench}"

args=(--warm-up-time 1 --measurement-time 3 --sample-size 20)
if [[ "${1:-}" == "--quick" ]]; then
    args=(--warm-up-time 0.5 --measurement-time 1 --sample-size 10)
fi

cargo bench --bench codec -- "${args[@]}" --noplot >&2

python3 - "$CARGO_TARGET_DIR/criterion" <<'PY'
import json, os, sys
root = sys.argv[1]
def median_ns(group, fn):
    path = os.path.join(root, group, fn, "new", "estimates.json")
    if fn == "pilota" and not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]
rows = []
for msg in ["small", "text", "order"]:
    for codec, peer in [("protobuf", "prost"), ("thrift-binary", "Apache"), ("thrift-compact", "Apache")]:
        for op in (["encode", "encode_reuse", "decode"] if codec == "protobuf" else ["encode", "decode"]):
            g = f"{codec}-{op}-{msg}"
            k, p = median_ns(g, "kit"), median_ns(g, "peer")
            pl = median_ns(g, "pilota") if codec.startswith("thrift") else None
            if codec == "thrift-compact" and op == "decode":
                pl = None  # not measured: Pilota 0.13.1 panics decoding these (bool fields)
            label = {"encode_reuse": "encode (reused buffer)"}.get(op, op)
            if codec.startswith("thrift") and op == "encode":
                label = "encode (reused buffer)"
            rows.append((msg, f"{codec} {label}", peer, k, p, pl))
print("| message | op | kit ns | peer | peer ns | peer/kit | Pilota ns | Pilota/kit |")
print("|---|---|---:|---|---:|---:|---:|---:|")
for msg, op, peer, k, p, pl in rows:
    pls = f"{pl:,.0f} | {pl / k:.2f}" if pl is not None else "— | —"
    print(f"| {msg} | {op} | {k:,.0f} | {peer} | {p:,.0f} | {p / k:.2f} | {pls} |")
PY
echo
cargo run -q --release --bin allocs
