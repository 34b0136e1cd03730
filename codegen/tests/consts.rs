//! Constants Rust cannot build are IDL errors with a place, not generated code that fails to
//! compile: an empty union constant, and a constant of a union-holding struct that leaves out
//! the union.

mod common;
use common::gen_errors;

const SHAPES: &str = "union Shape { 1: double circle, 2: string named }\n\
                      struct Placed { 1: required Shape shape, 2: i32 layer = 3, 3: optional string label }\n";

#[test]
fn an_empty_union_constant_is_an_error() {
    let e = gen_errors(&format!("{SHAPES}const Shape NONE = {{}}\n"));
    assert!(
        e.contains("a constant of union `Shape` must set one member"),
        "{e}"
    );
    assert!(e.contains("t.thrift:3:13"), "{e}");
}

#[test]
fn an_empty_union_field_default_is_an_error() {
    let e = gen_errors(&format!("{SHAPES}struct D {{ 1: Shape s = {{}} }}\n"));
    assert!(e.contains("must set one member"), "{e}");
    assert!(e.contains("t.thrift:3:"), "{e}");
}

#[test]
fn leaving_out_a_union_held_by_value_is_an_error() {
    // Nested inside a list, where the constant's own type (a list) has a default.
    let e = gen_errors(&format!(
        "{SHAPES}const list<Placed> ALL = [{{\"shape\": {{\"circle\": 1}}}}, {{\"layer\": 1}}]\n"
    ));
    assert!(
        e.contains("a constant of `Placed` must give field `shape`"),
        "{e}"
    );
    assert!(e.contains("its type holds a union"), "{e}");
    // One error: the first element gives the shape.
    assert_eq!(e.matches("must give field").count(), 1, "{e}");
}

#[test]
fn union_constants_that_name_a_member_generate() {
    let e = gen_errors(&format!(
        "{SHAPES}const Shape C = {{\"circle\": 1.5}}\n\
         const Placed P = {{\"shape\": {{\"named\": \"x\"}}}}\n\
         struct D {{ 1: Shape s = {{\"named\": \"d\"}}, 2: Placed p = {{\"shape\": {{\"circle\": 2}}, \"label\": \"l\"}} }}\n"
    ));
    assert_eq!(e, "");
}
