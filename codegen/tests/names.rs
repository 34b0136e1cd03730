//! Names that collide after conversion to Rust are errors with both places, never merged.

mod common;
use common::gen_errors;

#[test]
fn enum_values_colliding_in_rust() {
    let e = gen_errors("enum E {\n  self = 1,\n  Self = 2,\n}\n");
    assert!(
        e.contains("enum values `Self` and `self` of `t.E` both become `SELF`"),
        "{e}"
    );
    assert!(e.contains("t.thrift:3:3"), "{e}");
}

#[test]
fn fields_colliding_in_rust() {
    let e = gen_errors("struct S {\n  1: i32 userId,\n  2: i32 user_id,\n}\n");
    assert!(
        e.contains("fields `user_id` and `userId` of `t.S` both become `user_id`"),
        "{e}"
    );
}

#[test]
fn types_colliding_in_rust() {
    let e = gen_errors("struct foo_bar {}\nstruct FooBar {}\n");
    assert!(e.contains("both become `FooBar`"), "{e}");
}

#[test]
fn keywords_do_not_collide() {
    assert_eq!(
        gen_errors("struct S {\n  1: i32 type,\n  2: i32 self,\n  3: i32 crate\n}\n").len(),
        0
    );
}

#[test]
fn trailing_underscore_collides_with_escaped_keyword() {
    // `type_` is snake-cased to `type`, escaped to `r#type`: the same as `type`.
    let e = gen_errors("struct S {\n  1: i32 type,\n  2: i32 type_,\n}\n");
    assert!(e.contains("both become `r#type`"), "{e}");
}

/// Generated modules import `::kit_runtime::__rt` (and its `pb` as `__pb`); no IDL name may
/// become `__rt` or `__pb`.
#[test]
fn no_idl_name_becomes_the_runtime_alias() {
    use kit_codegen::ident::{const_name, field_name, module_name, type_name, variant_name};
    for n in [
        "__rt", "_rt", "__RT", "__Rt", "___rt__", "__pb", "_pb", "__PB", "__Pb", "___pb__",
    ] {
        for r in [
            module_name(n),
            field_name(n),
            type_name(n),
            variant_name(n),
            const_name(n),
        ] {
            assert!(r != "__rt" && r != "__pb", "{n} -> {r}");
        }
    }
}

/// Codegen errors for a Protobuf file `t.proto` ("" when it generates).
fn proto_gen_errors(src: &str) -> String {
    let loader = kit_idl::MemLoader::new().add("t.proto", src);
    let c = kit_idl::compile(&["t.proto".into()], &Default::default(), &loader);
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    match kit_codegen::generate(&c.ir, &Default::default()) {
        Ok(_) => String::new(),
        Err(d) => kit_idl::diag::render(&d, &c.sources, false),
    }
}

#[test]
fn enum_aliases_are_one_constant_and_other_values_collide() {
    let alias =
        "syntax = \"proto2\";\nenum E {\n  option allow_alias = true;\n  MOO = 1;\n  moo = 1;\n}\n";
    assert_eq!(proto_gen_errors(alias), "");
    let clash = "syntax = \"proto2\";\nenum E {\n  MOO = 1;\n  moo = 2;\n}\n";
    let e = proto_gen_errors(clash);
    assert!(
        e.contains("enum values `moo` and `MOO` of `E` both become `MOO`"),
        "{e}"
    );
}

#[test]
fn oneof_members_colliding_in_rust() {
    let e = proto_gen_errors(
        "syntax = \"proto2\";\nmessage M {\n  oneof c {\n    int32 a_b = 1;\n    int32 aB = 2;\n  }\n}\n",
    );
    assert!(
        e.contains("members of oneof `c` `aB` and `a_b` of `M` both become `AB`"),
        "{e}"
    );
    assert!(e.contains("t.proto:5:"), "{e}");
}

#[test]
fn methods_colliding_in_rust() {
    let e = gen_errors("service S {\n  void fooBar(),\n  void foo_bar(),\n}\n");
    assert!(
        e.contains("methods `foo_bar` and `fooBar` of `t.S` both become `foo_bar`"),
        "{e}"
    );
}

#[test]
fn members_that_are_their_own_rust_names_do_not_collide() {
    assert_eq!(
        proto_gen_errors(
            "syntax = \"proto3\";\nenum K {\n  K_A = 0;\n  K_B = 1;\n}\nmessage M {\n  int32 a_b = 1;\n  int32 a_c = 2;\n  oneof o {\n    int32 x = 3;\n    int32 y = 4;\n  }\n}\n"
        ),
        ""
    );
}
