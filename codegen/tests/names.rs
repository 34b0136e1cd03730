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

/// Generated modules import `::kit_runtime::__rt`; no IDL name may become `__rt`.
#[test]
fn no_idl_name_becomes_the_runtime_alias() {
    use kit_codegen::ident::{const_name, field_name, module_name, type_name, variant_name};
    for n in ["__rt", "_rt", "__RT", "__Rt", "___rt__"] {
        for r in [
            module_name(n),
            field_name(n),
            type_name(n),
            variant_name(n),
            const_name(n),
        ] {
            assert_ne!(r, "__rt", "{n}");
        }
    }
}
