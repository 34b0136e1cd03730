//! Generates the interop IDL twice: kit's code (kit_gen.rs) and Volo's (volo_gen.rs).

use std::path::{Path, PathBuf};

fn main() {
    let idl = Path::new(env!("CARGO_MANIFEST_DIR")).join("idl/interop.thrift");
    println!("cargo:rerun-if-changed={}", idl.display());
    kit_codegen::Builder::new()
        .file(&idl)
        .generate()
        .unwrap_or_else(|e| panic!("kit codegen failed:\n{e}"));
    volo_build::Builder::thrift()
        .add_service(&idl)
        .filename(PathBuf::from("volo_gen.rs"))
        .write()
        .expect("volo-build");
}
