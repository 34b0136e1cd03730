//! Generates the three benchmark messages for every codec under test, all into OUT_DIR:
//! - kit (Thrift and Protobuf) with `kit_codegen::Builder` -> kit_thrift/kit_gen.rs, kit_proto/kit_gen.rs
//! - prost with `prost-build` (Debian's protoc)           -> prost/bench.rs
//! - Pilota (Thrift) with `pilota-build`                -> pilota/bench.rs
//! - Apache Thrift with `thrift --gen rs` (Debian, 0.17)  -> apache/bench.rs
//!   (its file-level `#![...]` attributes are dropped so it can be `include!`d; src/lib.rs
//!   puts the same allows on the module).

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));

    kit_codegen::Builder::new()
        .file("idl/bench.thrift")
        .out_dir(out.join("kit_thrift"))
        .generate()
        .unwrap_or_else(|e| panic!("kit codegen (thrift) failed:\n{e}"));
    kit_codegen::Builder::new()
        .include("idl")
        .file("idl/bench.proto")
        .out_dir(out.join("kit_proto"))
        .generate()
        .unwrap_or_else(|e| panic!("kit codegen (proto) failed:\n{e}"));

    let prost_out = out.join("prost");
    std::fs::create_dir_all(&prost_out).unwrap();
    prost_build::Config::new()
        .out_dir(&prost_out)
        .bytes(["."]) // `bytes` fields as bytes::Bytes (zero-copy), prost's own option for this
        .compile_protos(&["idl/bench.proto"], &["idl"])
        .expect("prost-build failed");

    let apache_out = out.join("apache");
    std::fs::create_dir_all(&apache_out).unwrap();
    let status = Command::new(std::env::var("THRIFT").unwrap_or_else(|_| "thrift".into()))
        .args(["--gen", "rs", "-out"])
        .arg(&apache_out)
        .arg("idl/bench.thrift")
        .status()
        .expect("running the Apache `thrift` compiler");
    assert!(status.success(), "thrift --gen rs failed");
    let generated = apache_out.join("bench.rs");
    let src = std::fs::read_to_string(&generated).unwrap();
    let src: String = src
        .lines()
        .filter(|l| !l.starts_with("#!["))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&generated, src).unwrap();
    let pilota_out = out.join("pilota");
    std::fs::create_dir_all(&pilota_out).unwrap();
    pilota_build::Builder::thrift()
        .ignore_unused(false)
        .compile_with_config(
            vec![pilota_build::IdlService::from_path(
                "idl/bench.thrift".into(),
            )],
            pilota_build::Output::File(pilota_out.join("bench.rs")),
        );

    println!("cargo:rerun-if-changed=idl/bench.thrift");
    println!("cargo:rerun-if-changed=idl/bench.proto");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=THRIFT");
}
