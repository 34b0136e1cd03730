//! Generates ThriftTest (the v0.16 IDL the Python peer is generated from) with kit's Builder.

fn main() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    kit_codegen::Builder::new()
        .file(corpus.join("thrift/apache-thrift/test/v0.16/ThriftTest.thrift"))
        .generate()
        .unwrap_or_else(|e| panic!("kit codegen failed:\n{e}"));
}
