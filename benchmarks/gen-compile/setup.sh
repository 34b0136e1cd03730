#!/usr/bin/env bash
# Builds the crates whose compile time `gen_compile_*_s` measures (called by benchmarks/run.sh):
#
#   setup.sh DIR SUBTREE ROOT KIT PILOTA_GEN PROST_GEN CARGO_LOCK TARGET_DIR
#
# For the 20-file subtree SUBTREE/{thrift,proto}/f0..f19, one crate per generator, each its own
# workspace, each with the one dependency its generated code names (nothing else in it):
#   DIR/compile-kit-thrift     kit gen                    kit-runtime (path)
#   DIR/compile-pilota-thrift  pilota-build (thrift)      pilota
#   DIR/compile-kit-proto      kit gen                    kit-runtime (path)
#   DIR/compile-prost-proto    protoc + prost-build       prost
#   DIR/compile-pilota-proto   pilota-build (protobuf)    pilota
# The benchmark workspace's Cargo.lock is copied into each, so the peers are the pinned versions.
# Each crate's lib.rs is only the module declarations, with the same two attributes on all of them:
# `#![allow(warnings)]`, and `#![recursion_limit = "256"]`, without which both kit's and Pilota's code
# fail to compile: the corpus chains 20 structs (S_k holds an `optional S_k-1` and a `list<S_k-1>`),
# and proving such a type `Send` (async service code) overflows rustc's default limit of 128.
set -euo pipefail
dir=$1 sub=$2 root=$3 kit=$4 pilota_gen=$5 prost_gen=$6 lock=$7 target=$8
pilota_v=$(awk '/^name = "pilota"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' "$lock")
prost_v=$(awk '/^name = "prost"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' "$lock")

attrs='#![recursion_limit = "256"]\n#![allow(warnings)]\n'

crate() { # NAME DEPENDENCY-LINE
    local d=$dir/compile-$1
    rm -rf "$d"
    mkdir -p "$d/src"
    cat >"$d/Cargo.toml" <<TOML
[package]
name = "gen-$1"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$2

[workspace]
TOML
    cp "$lock" "$d/Cargo.lock"
    echo "$d"
}

files() { (cd "$sub/$1" && ls f*."$1" | sort -V); }

for kind in thrift proto; do
    d=$(crate "kit-$kind" "kit-runtime = { path = \"$root/runtime\" }")
    # shellcheck disable=SC2046
    (cd "$sub/$kind" && "$kit" gen -q -I . -o "$d/src/gen" $(files "$kind"))
    printf "$attrs"'pub mod gen;\n' >"$d/src/lib.rs"

    d=$(crate "pilota-$kind" "pilota = \"=$pilota_v\"")
    # shellcheck disable=SC2046
    # (RUSTFMT=true skips pilota-build's rustfmt pass: formatting does not change what rustc compiles)
    (cd "$sub/$kind" && RUSTFMT=true "$pilota_gen" "$kind" -I . -o "$d/src/gen.rs" $(files "$kind"))
    printf "$attrs"'pub mod gen;\n' >"$d/src/lib.rs"
done

d=$(crate prost-proto "prost = \"=$prost_v\"")
# shellcheck disable=SC2046
(cd "$sub/proto" && "$prost_gen" -I . -o "$d/src/gen" $(files proto))
# prost-build writes one file per package (bench.f0.rs ...) and leaves the module tree to the user.
python3 - "$d/src" <<'PY'
import os, sys
src = sys.argv[1]
tree = {}
for f in sorted(os.listdir(os.path.join(src, "gen"))):
    if f.endswith(".rs"):
        node = tree
        for part in f[:-3].split("."):
            node = node.setdefault(part, {})
        node[""] = f
def emit(node, depth):
    out = []
    for name, sub in sorted(node.items()):
        if name == "":
            out.append("    " * depth + f'include!("gen/{sub}");')
        else:
            out.append("    " * depth + f"pub mod {name} {{")
            out += emit(sub, depth + 1)
            out.append("    " * depth + "}")
    return out
with open(os.path.join(src, "lib.rs"), "w") as f:
    f.write('#![recursion_limit = "256"]\n#![allow(warnings)]\n' + "\n".join(emit(tree, 0)) + "\n")
PY

# Build every crate's dependencies into TARGET_DIR (kept between runs), the generated code left out:
# an empty lib.rs for the build, then the real one back, so the timed builds compile only the crate.
for d in "$dir"/compile-*; do
    mv "$d/src/lib.rs" "$d/src/lib.rs.real"
    : >"$d/src/lib.rs"
    (cd "$d" && CARGO_TARGET_DIR=$target cargo build -q --release)
    mv "$d/src/lib.rs.real" "$d/src/lib.rs"
    touch "$d/src/lib.rs"
done
