#!/usr/bin/env bash
# kit check vs protoc on the synthetic 200-file trees from ../shared/bench/gen_corpus.py.
# usage: benchmarks/check.sh [--quick]     (needs hyperfine, protoc and thrift on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=10; [[ ${1:-} == --quick ]] && runs=3
out=${BENCH_OUT:-target/bench-check}
rm -rf "$out"; mkdir -p "$out"
python3 ../shared/bench/gen_corpus.py "$out/tree"
cargo build -q --release -p kit-cli
kit=$PWD/target/release/kit
protos=$(cd "$out/tree/proto" && ls f*.proto | sort -V | tr '\n' ' ')
thrifts=$(cd "$out/tree/thrift" && ls f*.thrift | sort -V | tr '\n' ' ')
echo "== Protobuf: kit check vs protoc --descriptor_set_out (200 files)"
(cd "$out/tree/proto" && hyperfine -N -w 2 -r "$runs" --export-markdown "$PWD/../../proto.md" \
  "$kit check -I . $protos" \
  "protoc -I . --descriptor_set_out=/dev/null $protos")
echo "== Thrift: kit check vs thrift --gen json (200 files, one process per file for thrift)"
(cd "$out/tree/thrift" && hyperfine -w 1 -r "$runs" --export-markdown "$PWD/../../thrift.md" \
  "$kit check $thrifts" \
  "for f in $thrifts; do thrift --gen json -out /tmp \$f || exit 1; done")
echo "== googleapis-full: kit check vs protoc (7,227 files, one invocation each)"
g=../shared/corpus/googleapis-full
wkt=../shared/corpus/proto/protobuf-v21.12
(cd "$g" && find google -name '*.proto' | sort > "$OLDPWD/$out/googleapis.txt")
(cd "$g" && hyperfine -N -w 1 -r "$(( runs < 5 ? runs : 5 ))" --export-markdown "$OLDPWD/$out/googleapis.md" \
  "$kit check -I . -I $OLDPWD/$wkt $(tr '\n' ' ' < "$OLDPWD/$out/googleapis.txt")" \
  "protoc -I . -I $OLDPWD/$wkt --descriptor_set_out=/dev/null --include_imports $(tr '\n' ' ' < "$OLDPWD/$out/googleapis.txt")")
cat "$out"/*.md
