#!/usr/bin/env bash
# kit check vs protoc on the synthetic 200-file trees from ../shared/bench/gen_corpus.py.
# usage: benchmarks/check.sh [--quick]     (needs hyperfine, protoc and thrift on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=10; [[ ${1:-} == --quick ]] && runs=3
out=${BENCH_OUT:-target/bench-check}
rm -rf "$out"; mkdir -p "$out"; out=$(cd "$out" && pwd)
python3 ../shared/bench/gen_corpus.py "$out/tree"
cargo build -q --release -p kit-cli
kit=$PWD/target/release/kit
protos=$(cd "$out/tree/proto" && ls f*.proto | sort -V | tr '\n' ' ')
thrifts=$(cd "$out/tree/thrift" && ls f*.thrift | sort -V | tr '\n' ' ')
echo "== Protobuf: kit check vs protoc --descriptor_set_out (200 files)"
(cd "$out/tree/proto" && hyperfine -N -w 2 -r "$runs" --export-markdown "$PWD/../../proto.md" \
  -n "kit check (200 .proto)" "$kit check -I . $protos" \
  -n "protoc --descriptor_set_out (200 .proto)" "protoc -I . --descriptor_set_out=/dev/null $protos")
echo "== Thrift: kit check vs thrift --gen json (200 files, one process per file for thrift)"
(cd "$out/tree/thrift" && hyperfine -w 1 -r "$runs" --export-markdown "$PWD/../../thrift.md" \
  -n "kit check (200 .thrift)" "$kit check $thrifts" \
  -n "thrift --gen json, per file (200 .thrift)" "for f in $thrifts; do thrift --gen json -out /tmp \$f || exit 1; done")
echo "== googleapis-full: kit check vs protoc (7,227 files, one invocation each)"
# One argument may not exceed 128 KiB, so each side runs from a small script.
g=$(cd ../shared/corpus/googleapis-full && pwd)
wkt=$(cd ../shared/corpus/proto/protobuf-v21.12 && pwd)
(cd "$g" && find google -name '*.proto' | sort) > "$out/googleapis.txt"
cat > "$out/kit-googleapis.sh" <<SH
cd "$g" && exec "$kit" check -q -I . -I "$wkt" \$(cat "$out/googleapis.txt")
SH
cat > "$out/protoc-googleapis.sh" <<SH
cd "$g" && exec protoc -I . -I "$wkt" --descriptor_set_out=/dev/null --include_imports \$(cat "$out/googleapis.txt")
SH
hyperfine -w 1 -r "$(( runs < 5 ? runs : 5 ))" --export-markdown "$out/googleapis.md" \
  -n "kit check (googleapis-full, 7,227 files)" "bash $out/kit-googleapis.sh" \
  -n "protoc --descriptor_set_out (googleapis-full)" "bash $out/protoc-googleapis.sh"
cat "$out"/*.md
