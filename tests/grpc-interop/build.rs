//! Generates `grpc.testing` (messages and TestService stubs) with kit.

fn main() {
    let grpc = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/proto/grpc-proto");
    kit_codegen::Builder::new()
        .include(&grpc)
        .file(grpc.join("grpc/testing/test.proto"))
        .generate()
        .unwrap_or_else(|e| panic!("kit codegen failed:\n{e}"));
}
