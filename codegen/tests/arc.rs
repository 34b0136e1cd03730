//! `Arc` fields: where an annotation cannot apply is an error with its place; rules that match
//! such fields leave them alone; a malformed rule path is an options error.

mod common;
use common::generate as gen;

#[test]
fn an_annotation_on_a_scalar_or_a_union_member_is_an_error() {
    let e = gen(
        "struct S {\n  1: i32 n (kit.arc = \"true\"),\n}\nunion U {\n  1: S s (pilota.rust_wrapper_arc = \"true\"),\n}\n",
        &Default::default(),
    )
    .unwrap_err();
    assert!(e.contains("field `n` cannot be an `Arc`"), "{e}");
    assert!(e.contains("t.thrift:2:"), "{e}");
    assert!(e.contains("not a struct, message or container"), "{e}");
    assert!(e.contains("field `s` cannot be an `Arc`"), "{e}");
    assert!(e.contains("on a union or oneof member"), "{e}");
}

#[test]
fn a_rule_takes_the_fields_it_can_and_leaves_the_rest() {
    let options = kit_codegen::Options {
        arc_fields: vec![".t.S".into()],
        ..Default::default()
    };
    let out = gen(
        "struct I { 1: i32 x }\nstruct S {\n  1: i32 n,\n  2: I i,\n  3: list<I> l,\n  4: string s,\n}\n",
        &options,
    )
    .unwrap();
    assert!(out.contains("pub n: i32,"), "{out}");
    assert!(out.contains("pub i: ::std::sync::Arc<I>,"), "{out}");
    assert!(
        out.contains("pub l: ::std::sync::Arc<::std::vec::Vec<I>>,"),
        "{out}"
    );
    assert!(out.contains("pub s: ::kit_runtime::ByteStr,"), "{out}");
    // An annotation set to false asks for nothing.
    let out = gen(
        "struct I { 1: i32 x }\nstruct S { 1: I i (kit.arc = \"false\") }\n",
        &Default::default(),
    )
    .unwrap();
    assert!(out.contains("pub i: I,"), "{out}");
}

#[test]
fn a_malformed_rule_is_an_options_error() {
    let options = kit_codegen::Options {
        arc_fields: vec!["a..b".into()],
        ..Default::default()
    };
    let e = options.validate().unwrap_err().to_string();
    assert!(e.starts_with("arc field rule 1 (path `a..b`)"), "{e}");
}
