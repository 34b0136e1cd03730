#!/usr/bin/env bash
# The one benchmark harness (issue 7): kit side by side with every peer, on this machine, in one run.
#
#   bash benchmarks/run.sh [--quick]
#
# Builds in release, then measures (kit and the peers alternating, round by round, so drift hits both):
#   1. codegen_thrift_s   kit gen vs pilota-build and `thrift --gen rs`, 200-file Thrift tree
#   2. codegen_proto_s    kit gen vs protoc + prost-build and pilota-build, 200-file Protobuf tree
#   3. gen_compile_*_s    `cargo build --release` of the generated code for the 20-file subtree
#   4. codec_*            criterion ns/op, kit vs prost / Apache thrift crate / Pilota
#   5. allocs_*           heap allocations per decode (counting global allocator)
#   6. rpc                `benchmarks/rpc/run.sh` when it exists (its rows are appended)
# and writes benchmarks/out/summary.tsv (`metric unit kit peer_name peer ratio`, ratio = kit/peer),
# the chart benchmarks/out/qps_vs_concurrency.svg, and regenerates the tables in BENCHMARKS.md
# (benchmarks/report.py, between its marker comments). Copies of the summary and the chart are kept in
# benchmarks/summary.tsv and benchmarks/qps_vs_concurrency.svg.
#
# Needs: cargo, python3, hyperfine, protoc, thrift (0.17, Debian thrift-compiler), taskset (util-linux).
# Environment: CARGO_TARGET_DIR (default benchmarks/target), BENCH_ROUNDS (override the rounds),
# BENCH_CPU (the CPU the single-threaded codec benches are pinned to; default: the last one).
set -euo pipefail
quick=0
[[ ${1:-} == --quick ]] && quick=1
bench=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench")
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$bench/target}
out=$bench/out
work=$out/work
t_start=$(date +%s)

if ((quick)); then
    rounds=${BENCH_ROUNDS:-2}       # timed runs per command (one per round)
    warmup=0                        # no warm-up round for the code generators
    compile_rounds=${BENCH_ROUNDS:-1}
    compile_files=${BENCH_COMPILE_FILES:-5}   # f0..f4: the 20-file subtree alone takes >10 min here
    crit=(--warm-up-time 0.3 --measurement-time 0.7 --sample-size 10)
else
    rounds=${BENCH_ROUNDS:-5}
    warmup=1
    compile_rounds=${BENCH_ROUNDS:-3}
    compile_files=${BENCH_COMPILE_FILES:-20}
    crit=(--warm-up-time 1 --measurement-time 3 --sample-size 20)
fi
ncpu=$(nproc)
cpu=${BENCH_CPU:-$((ncpu - 1))}
pin=()
if command -v taskset >/dev/null && taskset -c "$cpu" true 2>/dev/null; then pin=(taskset -c "$cpu"); fi

for tool in cargo python3 hyperfine protoc thrift; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool not found on PATH" >&2; exit 1; }
done

rm -rf "$work"
mkdir -p "$work"/{cmd,times,gen}
log() { printf '\n== %s  (%ss)\n' "$*" "$(($(date +%s) - t_start))" >&2; }

# The machine, for the report.
{
    printf 'key\tvalue\n'
    printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'mode\t%s\n' "$( ((quick)) && echo --quick || echo full)"
    printf 'nproc\t%s\n' "$ncpu"
    printf 'cpu\t%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    printf 'mem\t%s\n' "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
    printf 'load_start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf 'kernel\t%s\n' "$(uname -r)"
    printf 'rustc\t%s\n' "$(rustc --version)"
    printf 'git\t%s\n' "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD -- codegen runtime cli idl-parser 2>/dev/null || echo ' (modified)')"
    printf 'protoc\t%s\n' "$(protoc --version)"
    printf 'thrift\t%s\n' "$(thrift --version)"
    printf 'hyperfine\t%s\n' "$(hyperfine --version)"
    printf 'pinning\t%s\n' "${pin[*]:-none (taskset unavailable)}"
    printf 'compile_subtree\tf0..f%s (%s files)\n' "$((compile_files - 1))" "$compile_files"
    printf 'rounds\tcodegen %s (warm-up round: %s), compile %s, criterion %s\n' "$rounds" "$warmup" "$compile_rounds" "${crit[*]}"
} >"$work/meta.tsv"

log "build (release): kit, the peers' generators, the codec benches"
(cd "$root" && cargo build -q --release -p kit-cli)
(cd "$bench" && cargo build -q --release --workspace --bins)
codec_bin=$(cd "$bench" && cargo bench -q --no-run -p kit-codec-bench --bench codec --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "codec" and m.get("executable"):
        print(m["executable"])')
kit=$CARGO_TARGET_DIR/release/kit
pilota_gen=$CARGO_TARGET_DIR/release/pilota-gen
prost_gen=$CARGO_TARGET_DIR/release/prost-gen

log "inputs: python3 ../shared/bench/gen_corpus.py (200 files each), subtree f0..f$((compile_files - 1))"
corpus_py=${GEN_CORPUS:-$root/../shared/bench/gen_corpus.py}
python3 "$corpus_py" "$work/tree"
for kind in thrift proto; do
    mkdir -p "$work/sub/$kind"
    # f0..fN is closed under includes: fi includes f((i-1)/2) and f0.
    for i in $(seq 0 $((compile_files - 1))); do cp "$work/tree/$kind/f$i.$kind" "$work/sub/$kind/"; done
    (cd "$work/tree/$kind" && ls "f"*".$kind" | sort -V) >"$work/$kind.list"
    (cd "$work/sub/$kind" && ls "f"*".$kind" | sort -V) >"$work/$kind.sub.list"
done

# cmd NAME DIR LIST COMMAND...: a wrapper script (hyperfine takes a command as one argument of at most
# 128 KiB; the file list goes on the command line of the tool, not of hyperfine). `@FILES` in COMMAND
# is replaced by the file list.
cmd() {
    local name=$1 dir=$2 list=$3
    shift 3
    {
        echo '#!/usr/bin/env bash'
        echo 'set -e'
        echo "cd '$dir'"
        echo "files=\$(cat '$list')"
        echo "$*" | sed 's/@FILES/$files/g'
    } >"$work/cmd/$name.sh"
}

# measure GROUP ROUNDS PREPARE-FMT NAME... : hyperfine, one run of each command per round, commands
# alternating; round 0 is a warm-up and is not kept (WARMUP=0: no warm-up round). PREPARE-FMT gets
# %s = the command's name. The prepare step ends with `sync`: the output the previous command
# left dirty in the page cache is written back before the next one starts, not while it runs
# (kernel writeback threads took CPU from whichever command came next, and from a command using
# both cores the most).
measure() {
    local group=$1 n=$2 prep=$3
    shift 3
    local r name
    for ((r = ${WARMUP:-1} ? 0 : 1; r <= n; r++)); do
        for name in "$@"; do
            [[ -e $work/times/$group.$name.failed ]] && continue
            # shellcheck disable=SC2059
            hyperfine -N -r 1 --style none --export-json "$work/times/$group.$name.$r.json" \
                --prepare "sh -c '$(printf "$prep" "$name") && sync'" -n "$name" "bash $work/cmd/$name.sh" >/dev/null ||
                {
                    echo "run.sh: $name failed; rerun by hand: bash $work/cmd/$name.sh" >&2
                    printf '%s\t%s\n' "$name" "bash $work/cmd/$name.sh" >>"$work/failed.tsv"
                    : >"$work/times/$group.$name.failed"
                }
        done
    done
    rm -f "$work/times/$group".*.0.json
}

failed() { echo "run.sh: $1: a command failed, its rows are NA" >&2; }

log "1. codegen_thrift_s: kit gen vs pilota-build vs thrift --gen rs (200 files)"
g=$work/gen
cmd kit-thrift "$work/tree/thrift" "$work/thrift.list" "exec '$kit' gen -q -o '$g/kit-thrift' @FILES"
# pilota-build ends by running rustfmt on its output, one 158 MB file here, which takes many minutes
# on this machine: RUSTFMT=true makes that step a no-op, so the figure is pilota-build's parse and
# generation only, a lower bound on its real cost (kit's own formatting stays in kit's time). The
# full mode also times one complete run (pilota-full-*), with a time limit.
cmd pilota-thrift "$work/tree/thrift" "$work/thrift.list" "RUSTFMT=true exec '$pilota_gen' thrift -I . -o '$g/pilota-thrift/gen.rs' @FILES"
cmd apache-thrift "$work/tree/thrift" "$work/thrift.list" \
    "mkdir -p '$g/apache-thrift'; for f in @FILES; do thrift --gen rs -out '$g/apache-thrift' \$f; done"
WARMUP=$warmup measure codegen_thrift "$rounds" "rm -rf $g/%s" kit-thrift pilota-thrift apache-thrift || failed codegen_thrift

log "2. codegen_proto_s: kit gen vs protoc + prost-build vs pilota-build (200 files)"
cmd kit-proto "$work/tree/proto" "$work/proto.list" "exec '$kit' gen -q -I . -o '$g/kit-proto' @FILES"
cmd prost-proto "$work/tree/proto" "$work/proto.list" "exec '$prost_gen' -I . -o '$g/prost-proto' @FILES"
cmd pilota-proto "$work/tree/proto" "$work/proto.list" "RUSTFMT=true exec '$pilota_gen' proto -I . -o '$g/pilota-proto/gen.rs' @FILES"
WARMUP=$warmup measure codegen_proto "$rounds" "rm -rf $g/%s" kit-proto prost-proto pilota-proto || failed codegen_proto
if ((!quick)); then
    for kind in thrift proto; do
        cmd "pilota-full-$kind" "$work/tree/$kind" "$work/$kind.list" \
            "exec timeout ${PILOTA_FULL_LIMIT:-1800} '$pilota_gen' $kind -I . -o '$g/pilota-full-$kind/gen.rs' @FILES"
        WARMUP=0 measure "codegen_$kind" 1 "rm -rf $g/%s" "pilota-full-$kind" || true
    done
fi
{
    printf 'generator\tfiles\tlines\n'
    for d in kit-thrift pilota-thrift apache-thrift kit-proto prost-proto pilota-proto; do
        printf '%s\t%s\t%s\n' "$d" "$(find "$g/$d" -name '*.rs' | wc -l)" "$(find "$g/$d" -name '*.rs' -exec cat {} + | wc -l)"
    done
} >"$work/gen_lines.tsv"

log "3. gen_compile: cargo build --release of the generated code for f0..f$((compile_files - 1)) (deps prebuilt)"
ctarget=$CARGO_TARGET_DIR/gen-compile
bash "$bench/gen-compile/setup.sh" "$work/compile" "$work/sub" "$root" "$kit" "$pilota_gen" "$prost_gen" \
    "$bench/Cargo.lock" "$ctarget"
for c in kit-thrift pilota-thrift kit-proto prost-proto pilota-proto; do
    # One shared target dir, kept between runs of the harness; setup.sh built every crate's
    # dependencies in it (with an empty lib.rs). Each timed
    # run touches the crate's lib.rs, so cargo rebuilds exactly that crate: release builds are not
    # incremental, so this is a full compile of the generated code against prebuilt dependencies.
    cmd "compile-$c" "$work/compile/compile-$c" /dev/null "CARGO_TARGET_DIR='$ctarget' exec cargo build -q --release"
done
for c in kit-thrift pilota-thrift kit-proto prost-proto pilota-proto; do
    # One command per call, so that code which fails to compile costs only its own rows (NA).
    WARMUP=0 measure gen_compile "$compile_rounds" "touch $work/compile/%s/src/lib.rs" "compile-$c" ||
        failed "compile-$c"
done

log "4. codec ns/op (criterion, pinned: ${pin[*]:-no})"
export CRITERION_HOME=$work/criterion
(cd "$bench/codec" && "${pin[@]}" "$codec_bin" --bench "${crit[@]}" --noplot >"$work/criterion.log" 2>&1) ||
    { tail -20 "$work/criterion.log" >&2; exit 1; }

log "5. allocations per call"
"${pin[@]}" "$CARGO_TARGET_DIR/release/allocs" >"$work/allocs.md"

printf 'load_end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$work/meta.tsv"
python3 "$bench/report.py" summary "$work" >"$out/summary.tsv"

if [[ -x $bench/rpc/run.sh || -f $bench/rpc/run.sh ]]; then
    log "6. rpc: benchmarks/rpc/run.sh"
    if bash "$bench/rpc/run.sh" $( ((quick)) && echo --quick); then
        [[ -f $out/rpc_summary.tsv ]] && tail -n +2 "$out/rpc_summary.tsv" >>"$out/summary.tsv"
    else
        echo "run.sh: benchmarks/rpc/run.sh failed; its rows are missing from summary.tsv" >&2
    fi
fi

log "chart"
chart_in=$out/rpc_concurrency.tsv
title="QPS vs concurrency (1 KiB echo)"
if [[ ! -s $chart_in ]]; then
    chart_in=$bench/chart/sample.tsv
    title="SAMPLE DATA, not measured: benchmarks/rpc/run.sh has not run"
fi
"$CARGO_TARGET_DIR/release/qps-chart" "$chart_in" "$out/qps_vs_concurrency.svg" "$title"

printf 'elapsed_s\t%s\n' "$(($(date +%s) - t_start))" >>"$work/meta.tsv"
cp "$work/meta.tsv" "$out/meta.tsv"
cp "$work/gen_lines.tsv" "$out/gen_lines.tsv"
cp "$work/allocs.md" "$out/allocs.md"
{ printf 'command\trerun\n'; cat "$work/failed.tsv" 2>/dev/null || true; } >"$out/failed.tsv"
python3 "$bench/report.py" markdown "$out" "$root/BENCHMARKS.md"
cp "$out/summary.tsv" "$bench/summary.tsv"
cp "$out/meta.tsv" "$bench/summary.meta.tsv"
cp "$out/qps_vs_concurrency.svg" "$bench/qps_vs_concurrency.svg"
log "done: $out/summary.tsv, BENCHMARKS.md regenerated"
column -t -s $'\t' "$out/summary.tsv" >&2
