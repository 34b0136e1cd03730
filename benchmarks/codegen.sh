#!/usr/bin/env bash
# kit gen on the synthetic 200-file trees, side by side with the reference compilers, and the
# compile time of the generated code. usage: benchmarks/codegen.sh [--quick]
# Needs hyperfine, thrift (Debian thrift-compiler) and protoc on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=10; [[ ${1:-} == --quick ]] && runs=3
out=${BENCH_OUT:-target/bench-codegen}
rm -rf "$out"; mkdir -p "$out"
out=$(cd "$out" && pwd)
python3 ../shared/bench/gen_corpus.py "$out/tree"
cargo build -q --release -p kit-cli
kit=$PWD/target/release/kit
runtime=$PWD/runtime

cd "$out/tree/thrift"
thrifts=$(ls f*.thrift | sort -V | tr '\n' ' ')
mkdir -p "$out/apache-rs"
echo "== Thrift: kit gen vs thrift --gen rs (200 files)"
hyperfine -w 1 -r "$runs" --export-markdown "$out/thrift.md" \
  --prepare "rm -rf $out/kit-thrift $out/apache-rs; mkdir -p $out/apache-rs" \
  "$kit gen -q -o $out/kit-thrift $thrifts" \
  "for f in $thrifts; do thrift --gen rs -out $out/apache-rs \$f || exit 1; done"

cd "$out/tree/proto"
protos=$(ls f*.proto | sort -V | tr '\n' ' ')
echo "== Protobuf: kit gen vs protoc --descriptor_set_out (parse only, 200 files)"
hyperfine -N -w 1 -r "$runs" --export-markdown "$out/proto.md" \
  --prepare "rm -rf $out/kit-proto" \
  "$kit gen -q -I . -o $out/kit-proto $protos" \
  "protoc -I . --descriptor_set_out=$out/fds.bin $protos"

echo "== compile time of kit's generated code (cargo build --release, deps prebuilt)"
for kind in thrift proto; do
  crate=$out/crate-$kind
  mkdir -p "$crate/src"
  cat > "$crate/Cargo.toml" <<TOML
[package]
name = "gen-$kind"
version = "0.0.0"
edition = "2021"
[dependencies]
kit-runtime = { path = "$runtime" }
[workspace]
TOML
  rm -rf "$crate/src/gen"; cp -r "$out/kit-$kind" "$crate/src/gen"
  echo 'pub mod gen;' > "$crate/src/lib.rs"
  (cd "$crate" && cargo build -q --release 2>/dev/null || true; touch src/lib.rs)
  (cd "$crate" && hyperfine -w 0 -r "$(( runs < 3 ? runs : 3 ))" --export-markdown "$out/compile-$kind.md" \
    --prepare "touch src/lib.rs" "cargo build -q --release")
  echo "generated lines ($kind): $(find "$crate/src/gen" -name "*.rs" -exec cat {} + | wc -l)"
done
cat "$out"/*.md
