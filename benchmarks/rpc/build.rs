//! Generates the echo service (Thrift and Protobuf) three ways: kit (kit_gen.rs), Volo/Pilota
//! (volo_thrift_gen.rs, volo_grpc_gen.rs) and tonic/prost (bench.echo.rs).

use std::path::{Path, PathBuf};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("idl");
    let thrift = dir.join("echo.thrift");
    let proto = dir.join("echo.proto");
    println!("cargo:rerun-if-changed={}", thrift.display());
    println!("cargo:rerun-if-changed={}", proto.display());

    kit_codegen::Builder::new()
        .include(&dir)
        .file(&thrift)
        .file(&proto)
        .generate()
        .unwrap_or_else(|e| panic!("kit codegen failed:\n{e}"));

    volo_build::Builder::thrift()
        .add_service(&thrift)
        .filename(PathBuf::from("volo_thrift_gen.rs"))
        .write()
        .expect("volo-build (thrift)");
    volo_build::Builder::protobuf()
        .add_service(&proto)
        .include_dirs(vec![dir.clone()])
        .filename(PathBuf::from("volo_grpc_gen.rs"))
        .write()
        .expect("volo-build (protobuf)");

    // `bytes` fields as `Bytes` (refcounted) rather than `Vec<u8>`, as kit and Pilota have them.
    tonic_prost_build::configure()
        .bytes(".")
        .build_client(true)
        .build_server(true)
        .compile_protos(&[proto.as_path()], &[dir.as_path()])
        .expect("tonic-prost-build");
}
