//! Generates Rust for real-world IDL with kit's build-script API.

fn main() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    let thrift = corpus.join("thrift/apache-thrift/test");
    kit_codegen::Builder::new()
        .file(thrift.join("ThriftTest.thrift"))
        .file(thrift.join("Recursive.thrift"))
        .file("idl/keywords.thrift")
        .generate()
        .unwrap_or_else(|e| panic!("kit codegen failed:\n{e}"));
}
