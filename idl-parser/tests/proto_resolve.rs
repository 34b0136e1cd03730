//! Protobuf name resolution and visibility (protoc's rules), on small in-memory files.

use std::path::PathBuf;

use kit_idl::ir::{DefKind, Type};
use kit_idl::{compile, Compilation, MemLoader, Options};

fn build(files: &[(&str, &str)]) -> Compilation {
    let mut l = MemLoader::new();
    for (p, t) in files {
        l = l.add(format!("/mem/{p}"), *t);
    }
    compile(
        &[PathBuf::from(format!("/mem/{}", files[0].0))],
        &Options {
            include_dirs: vec![PathBuf::from("/mem")],
        },
        &l,
    )
}

/// `message.field` -> full name of the referenced type.
fn field_type(c: &Compilation, message: &str, field: &str) -> String {
    let d =
        c.ir.defs
            .iter()
            .find(|d| d.full_name == message)
            .unwrap_or_else(|| panic!("no {message}"));
    let DefKind::Struct(s) = &d.kind else {
        panic!("{message} is not a message")
    };
    let f = s.fields.iter().find(|f| f.name == field).expect("field");
    let mut t = &f.ty;
    if let Type::List(e) = t {
        t = e;
    }
    match t {
        Type::Ref(id) => c.ir.def(*id).full_name.clone(),
        other => format!("{other:?}"),
    }
}

fn errors(c: &Compilation) -> Vec<String> {
    c.diagnostics
        .items
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn innermost_scope_first() {
    let c = build(&[(
        "a.proto",
        r#"syntax = "proto3"; package p.q;
        message X {}
        message Outer {
          message X {}
          X inner = 1;      // Outer.X
          .p.q.X outer = 2; // fully qualified
          q.X via_q = 3;    // `q` resolves to package p.q
        }
        message User { X x = 1; }"#,
    )]);
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    assert_eq!(field_type(&c, "p.q.Outer", "inner"), "p.q.Outer.X");
    assert_eq!(field_type(&c, "p.q.Outer", "outer"), "p.q.X");
    assert_eq!(field_type(&c, "p.q.Outer", "via_q"), "p.q.X");
    assert_eq!(field_type(&c, "p.q.User", "x"), "p.q.X");
}

#[test]
fn dotted_name_resolves_its_first_part_then_looks_inside() {
    // `base.bar` inside package foo.base: `base` is found as foo.base, so foo.base.bar is
    // looked up and does not exist, even though base.bar does (protoc's rule).
    let c = build(&[
        (
            "a.proto",
            r#"syntax = "proto2"; package foo.base; import "b.proto";
            message M { optional base.bar x = 1; optional .base.bar y = 2; }"#,
        ),
        (
            "b.proto",
            r#"syntax = "proto2"; package base; message bar {}"#,
        ),
    ]);
    let e = errors(&c);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].contains("is resolved to \"foo.base.bar\""), "{e:?}");
}

#[test]
fn import_public_is_transitive_plain_import_is_not() {
    let files = [
        (
            "a.proto",
            r#"syntax = "proto3"; import "b.proto"; import "d.proto";
            message A { C c = 1; E e = 2; }"#,
        ),
        ("b.proto", r#"syntax = "proto3"; import public "c.proto";"#),
        ("c.proto", r#"syntax = "proto3"; message C {}"#),
        (
            "d.proto",
            r#"syntax = "proto3"; import "e.proto"; message D { E e = 1; }"#,
        ),
        ("e.proto", r#"syntax = "proto3"; message E {}"#),
    ];
    let c = build(&files);
    let e = errors(&c);
    assert_eq!(e, vec!["\"E\" is not defined".to_owned()], "{e:?}");
    let text = c.render_diagnostics(false);
    assert!(
        text.contains("defined in \"e.proto\", which is not imported"),
        "{text}"
    );
}

#[test]
fn enum_values_are_siblings_of_their_enum() {
    let c = build(&[(
        "a.proto",
        r#"syntax = "proto3"; package p;
        enum A { UNKNOWN = 0; }
        enum B { UNKNOWN = 0; }
        message M { enum C { X = 0; } enum D { X = 0; } }"#,
    )]);
    let e = errors(&c);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].starts_with("\"UNKNOWN\" is already defined in \"p\""));
    assert!(e[1].starts_with("\"X\" is already defined in \"p.M\""));
}

#[test]
fn package_components_are_searched_outwards() {
    let c = build(&[
        (
            "a.proto",
            r#"syntax = "proto3"; package a.b.c; import "x.proto";
            message M { X x = 1; Y y = 2; }"#,
        ),
        (
            "x.proto",
            r#"syntax = "proto3"; package a; message X {} message Y {}"#,
        ),
    ]);
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    assert_eq!(field_type(&c, "a.b.c.M", "x"), "a.X");
}

#[test]
fn a_field_name_does_not_hide_a_type() {
    // Type lookups skip non-type symbols (a field named like a message).
    let c = build(&[(
        "a.proto",
        r#"syntax = "proto2"; message T {} message M { optional int32 T = 1; optional T t = 2; }"#,
    )]);
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    assert_eq!(field_type(&c, "M", "t"), "T");
}

#[test]
fn groups_maps_oneofs_and_proto3_optional_in_the_ir() {
    let c = build(&[(
        "a.proto",
        r#"syntax = "proto2"; package g;
        message M {
          optional group Result = 1 { optional int32 n = 2; }
          map<string, M> children = 3;
          oneof pick { int32 a = 4; string b = 5; }
          repeated int32 packed_ints = 6 [packed = true];
          optional bytes raw = 7 [default = "a\x00\101"];
          optional double d = 8 [default = -inf];
        }"#,
    )]);
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    let m = c.ir.defs.iter().find(|d| d.full_name == "g.M").unwrap();
    let DefKind::Struct(s) = &m.kind else {
        panic!()
    };
    let names: Vec<&str> = s.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["result", "children", "a", "b", "packed_ints", "raw", "d"]
    );
    assert_eq!(field_type(&c, "g.M", "result"), "g.M.Result");
    assert!(c.ir.def(s.nested[0]).name == "Result");
    assert!(matches!(s.fields[1].ty, Type::Map(..)));
    assert_eq!(s.fields[2].oneof, Some(0));
    assert_eq!(s.oneofs[0].name, "pick");
    assert!(matches!(s.fields[4].ty, Type::List(_)));
    assert_eq!(
        s.fields[5].default,
        Some(kit_idl::ir::ConstValue::Bytes(vec![b'a', 0, b'A']))
    );
    assert_eq!(
        s.fields[6].default,
        Some(kit_idl::ir::ConstValue::Double(f64::NEG_INFINITY))
    );

    let c = build(&[(
        "b.proto",
        r#"syntax = "proto3"; message P { optional int32 x = 1; int32 y = 2; }"#,
    )]);
    let p = &c.ir.defs[0];
    let DefKind::Struct(s) = &p.kind else {
        panic!()
    };
    assert_eq!(s.oneofs.len(), 1);
    assert!(s.oneofs[0].synthetic);
    assert_eq!(s.oneofs[0].name, "_x");
    assert_eq!(s.fields[0].oneof, Some(0));
    assert!(s.fields[0].proto.as_ref().unwrap().proto3_optional);
    assert_eq!(s.fields[1].presence, kit_idl::ir::Presence::Default);
}

#[test]
fn byte_order_mark_and_crlf_are_accepted() {
    let c = build(&[(
        "bom.proto",
        "\u{FEFF}syntax = \"proto3\";\r\n// Docs.\r\nmessage M {\r\n  int32 x = 1;\r\n}\r\n",
    )]);
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    assert_eq!(c.ir.defs[0].docs.0.as_deref(), Some("Docs."));
}
