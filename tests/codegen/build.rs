//! Generates Rust for real-world IDL with kit's build-script API.

fn main() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    let thrift = corpus.join("thrift/apache-thrift/test");
    kit_codegen::Builder::new()
        .file(thrift.join("ThriftTest.thrift"))
        .file(thrift.join("Recursive.thrift"))
        .file("idl/keywords.thrift")
        .file("idl/unions.thrift")
        .file("idl/arc.thrift")
        .arc_field("Order.ids")
        .arc_field(".arc.Order.parent")
        // Extra attributes (exercised in tests/attributes.rs): one type by namespace path, one by
        // short name, a field by file-stem path.
        .type_attribute(".thrift.test.Bonk", "#[derive(PartialOrd)]")
        .type_attribute("Xtruct", "#[derive(PartialOrd)]")
        // serde derives on every type (tests/serde.rs), through kit-runtime's re-export.
        .serde(true)
        .field_attribute(
            ".ThriftTest.Bonk.message",
            "#[doc = \" Set by a field_attribute rule in build.rs.\"]",
        )
        .generate()
        .unwrap_or_else(|e| panic!("kit codegen failed:\n{e}"));

    let pb = corpus.join("proto/protobuf-v21.12");
    let grpc = corpus.join("proto/grpc-proto");
    let gapis = corpus.join("proto/googleapis");
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("proto");
    kit_codegen::Builder::new()
        .include(&pb)
        .include(&grpc)
        .include(&gapis)
        .file(pb.join("google/protobuf/test_messages_proto3.proto"))
        .file(pb.join("google/protobuf/test_messages_proto2.proto"))
        .file(grpc.join("grpc/testing/test.proto"))
        .file(gapis.join("google/pubsub/v1/pubsub.proto"))
        .include("idl")
        .file("idl/arc.proto")
        .arc_field(".kit.arc.Order")
        // A package-wide rule: every message, enum and oneof of pubsub.
        .type_attribute(".google.pubsub.v1", "#[doc(alias = \"kit_pubsub\")]")
        .serde(true)
        .out_dir(out)
        .generate()
        .unwrap_or_else(|e| panic!("kit codegen failed:\n{e}"));

    // Maps as `BTreeMap`s (tests/proto_roundtrip.rs).
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("btree");
    kit_codegen::Builder::new()
        .include("idl")
        .file("idl/btree.proto")
        .btree_maps(true)
        .out_dir(out)
        .generate()
        .unwrap_or_else(|e| panic!("kit codegen failed:\n{e}"));
}
