//! Snapshots of generated code for real IDL. Review changes with `cargo insta review`.

use std::path::{Path, PathBuf};

use kit_idl::{compile, Options, OsLoader};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus")
}

fn generate(files: &[PathBuf], roots: &[PathBuf]) -> String {
    let c = compile(
        files,
        &Options {
            include_dirs: roots.to_vec(),
        },
        &OsLoader,
    );
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    let files = kit_codegen::generate(&c.ir, &Default::default())
        .unwrap_or_else(|d| panic!("{}", kit_idl::diag::render(&d, &c.sources, false)));
    let again = kit_codegen::generate(&c.ir, &Default::default()).unwrap();
    assert_eq!(files, again, "generation is deterministic");
    files
        .iter()
        .map(|f| format!("==> {} <==\n{}", f.path, f.contents))
        .collect()
}

#[test]
fn thrift_test() {
    let t = corpus().join("thrift/apache-thrift/test");
    insta::assert_snapshot!(generate(&[t.join("ThriftTest.thrift")], &[]));
}

#[test]
fn thrift_recursive() {
    let t = corpus().join("thrift/apache-thrift/test");
    insta::assert_snapshot!(generate(&[t.join("Recursive.thrift")], &[]));
}

#[test]
fn thrift_keywords() {
    let idl = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/codegen/idl/keywords.thrift");
    insta::assert_snapshot!(generate(&[idl], &[]));
}

#[test]
fn proto_test_messages_proto3() {
    let root = corpus().join("proto/protobuf-v21.12");
    insta::assert_snapshot!(generate(
        &[root.join("google/protobuf/test_messages_proto3.proto")],
        &[root]
    ));
}

#[test]
fn proto_pubsub() {
    let g = corpus().join("proto/googleapis");
    let wkt = corpus().join("proto/protobuf-v21.12");
    insta::assert_snapshot!(generate(
        &[g.join("google/pubsub/v1/pubsub.proto")],
        &[g, wkt]
    ));
}

#[test]
fn proto_grpc_testing() {
    let root = corpus().join("proto/grpc-proto");
    let wkt = corpus().join("proto/protobuf-v21.12");
    insta::assert_snapshot!(generate(
        &[
            root.join("grpc/testing/test.proto"),
            root.join("grpc/testing/messages.proto"),
            root.join("grpc/testing/empty.proto"),
        ],
        &[root, wkt]
    ));
}
