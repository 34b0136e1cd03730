//! What the Thrift front end puts in the IR, on small inputs.

use std::path::PathBuf;

use kit_idl::ir::{ConstValue, DefKind, FileExt, Presence, StructKind, Type};
use kit_idl::{compile, Compilation, MemLoader, Options, Severity};

fn build(files: &[(&str, &str)]) -> Compilation {
    let mut loader = MemLoader::new();
    for (p, t) in files {
        loader = loader.add(format!("/ir/{p}"), *t);
    }
    compile(
        &[PathBuf::from(format!("/ir/{}", files[0].0))],
        &Options::default(),
        &loader,
    )
}

fn def<'a>(c: &'a Compilation, full_name: &str) -> &'a kit_idl::ir::Def {
    c.ir.defs
        .iter()
        .find(|d| d.full_name == full_name)
        .unwrap_or_else(|| panic!("no def {full_name}"))
}

#[test]
fn files_defs_and_names() {
    let c = build(&[
        (
            "main.thrift",
            r#"
/** The program. */
include "lib/shared.thrift"
namespace * star.ns
namespace rs my.crate
namespace cpp.sub x
cpp_include "<vector>"

/** A point. */
struct P { 1: required i32 x; 2: optional shared.Id y, 3: i64 z = shared.BIG }
typedef shared.Id LocalId
service S extends shared.Base { void f(1: LocalId id) throws (1: shared.Oops e) }
"#,
        ),
        (
            "lib/shared.thrift",
            r#"
namespace * shared.ns
typedef i64 Id
const i64 BIG = 1000
exception Oops { 1: string msg }
service Base { oneway void ping() }
"#,
        ),
    ]);
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    // Dependency order: the include first.
    let names: Vec<_> =
        c.ir.files
            .iter()
            .map(|f| f.name.rsplit('/').next().unwrap_or(""))
            .collect();
    assert_eq!(names, ["shared.thrift", "main.thrift"]);
    let main = &c.ir.files[1];
    assert!(main.is_input && !c.ir.files[0].is_input);
    assert_eq!(main.package.as_deref(), Some("my.crate"));
    assert_eq!(c.ir.files[0].package.as_deref(), Some("shared.ns"));
    assert_eq!(main.docs.0.as_deref(), Some("The program."));
    assert_eq!(main.includes.len(), 1);
    assert_eq!(main.includes[0].path, "lib/shared.thrift");
    assert_eq!(main.includes[0].file, c.ir.files[0].id);
    let FileExt::Thrift(ext) = &main.ext else {
        panic!("thrift ext")
    };
    assert_eq!(ext.namespaces[2], ("cpp.sub".to_string(), "x".to_string()));
    assert_eq!(ext.cpp_includes, ["<vector>"]);
    for (i, d) in c.ir.defs.iter().enumerate() {
        assert_eq!(d.id.0 as usize, i, "def id is its index");
    }

    let p = def(&c, "main.P");
    assert_eq!(p.docs.0.as_deref(), Some("A point."));
    let DefKind::Struct(s) = &p.kind else {
        panic!("struct")
    };
    assert_eq!(s.kind, StructKind::Struct);
    let id = def(&c, "shared.Id").id;
    assert_eq!(s.fields[0].presence, Presence::Required);
    assert_eq!(s.fields[1].presence, Presence::Optional);
    assert_eq!(s.fields[1].ty, Type::Ref(id));
    assert_eq!(s.fields[2].presence, Presence::Default);
    assert_eq!(s.fields[2].default, Some(ConstValue::Int(1000)));

    let DefKind::Alias(t) = &def(&c, "main.LocalId").kind else {
        panic!("alias")
    };
    assert_eq!(*t, Type::Ref(id));

    let DefKind::Service(svc) = &def(&c, "main.S").kind else {
        panic!("service")
    };
    assert_eq!(svc.extends, Some(def(&c, "shared.Base").id));
    assert_eq!(svc.methods[0].result, None);
    assert_eq!(
        svc.methods[0].throws[0].ty,
        Type::Ref(def(&c, "shared.Oops").id)
    );
    let DefKind::Service(base) = &def(&c, "shared.Base").kind else {
        panic!("service")
    };
    assert!(base.methods[0].oneway);
}

#[test]
fn enums_and_constants() {
    let c = build(&[(
        "c.thrift",
        r#"
enum E { A, B = 5, C, D = -0x10, F }
struct S { 1: i32 n, 2: E e, 3: list<string> names }
const i32 N = 7
const i32 M = N
const E EV = E.C
const i32 EI = E.B
const double D = 3
const bool T = true
const S SV = { "n": M, "e": E.A, "names": ["x", 'y\'s'] }
const map<E, list<S>> NESTED = { E.F: [SV, { "n": 1 }] }
const binary BIN = "ab"
const uuid U = '{00112233-4455-6677-8899-aaBBccDDeeFF}'
"#,
    )]);
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    let e = def(&c, "c.E");
    let DefKind::Enum(en) = &e.kind else {
        panic!("enum")
    };
    let vals: Vec<_> = en
        .values
        .iter()
        .map(|v| (v.name.as_str(), v.value))
        .collect();
    assert_eq!(vals, [("A", 0), ("B", 5), ("C", 6), ("D", -16), ("F", -15)]);
    let value = |n: &str| match &def(&c, n).kind {
        DefKind::Const(k) => k.value.clone(),
        _ => panic!("const"),
    };
    assert_eq!(value("c.M"), ConstValue::Int(7));
    assert_eq!(
        value("c.EV"),
        ConstValue::Enum {
            def: e.id,
            value: 6
        }
    );
    assert_eq!(value("c.EI"), ConstValue::Int(5));
    assert_eq!(value("c.D"), ConstValue::Double(3.0));
    assert_eq!(value("c.T"), ConstValue::Bool(true));
    let s = def(&c, "c.S").id;
    let sv = ConstValue::Struct {
        def: s,
        fields: vec![
            (1, ConstValue::Int(7)),
            (
                2,
                ConstValue::Enum {
                    def: e.id,
                    value: 0,
                },
            ),
            (
                3,
                ConstValue::List(vec![
                    ConstValue::Str("x".into()),
                    ConstValue::Str("y's".into()),
                ]),
            ),
        ],
    };
    assert_eq!(value("c.SV"), sv);
    assert_eq!(
        value("c.NESTED"),
        ConstValue::Map(vec![(
            ConstValue::Enum {
                def: e.id,
                value: -15
            },
            ConstValue::List(vec![
                sv,
                ConstValue::Struct {
                    def: s,
                    fields: vec![(1, ConstValue::Int(1))]
                }
            ])
        )])
    );
    assert_eq!(value("c.BIN"), ConstValue::Bytes(b"ab".to_vec()));
    assert_eq!(
        value("c.U"),
        ConstValue::Str("00112233-4455-6677-8899-aaBBccDDeeFF".into())
    );
}

#[test]
fn auto_ids_unions_and_warnings_do_not_fail() {
    let c = build(&[(
        "w.thrift",
        r#"
union U { 1: i32 a, required string b }
struct S { i32 x; i32 y; 0: byte z }
service X { void f(optional i32 p) }
"#,
    )]);
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    assert!(c
        .diagnostics
        .items
        .iter()
        .all(|d| d.severity == Severity::Warning));
    let DefKind::Struct(u) = &def(&c, "w.U").kind else {
        panic!()
    };
    assert_eq!(u.kind, StructKind::Union);
    assert!(u.fields.iter().all(|f| f.presence == Presence::Optional));
    assert_eq!(u.fields[1].id, -1);
    let DefKind::Struct(s) = &def(&c, "w.S").kind else {
        panic!()
    };
    let ids: Vec<_> = s.fields.iter().map(|f| f.id).collect();
    assert_eq!(ids, [-1, -2, -3]);
    assert_eq!(s.fields[2].ty, Type::I8);
    let msgs: Vec<_> = c
        .diagnostics
        .items
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        msgs.iter().any(|m| m.contains("`byte` is deprecated")),
        "{msgs:?}"
    );
    assert!(msgs.iter().any(|m| m.contains("has no id")), "{msgs:?}");
    assert!(
        msgs.iter()
            .any(|m| m.contains("union fields are always optional")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("`optional` is ignored on arguments")),
        "{msgs:?}"
    );
}

#[test]
fn every_error_in_a_file_is_reported() {
    let c = build(&[(
        "e.thrift",
        r#"
struct A { 1: Nope a, 1: i32 b, 2: void c }
const i8 X = 300
const string Y = 1
struct A {}
"#,
    )]);
    assert_eq!(
        c.diagnostics.error_count(),
        6,
        "{}",
        c.render_diagnostics(false)
    );
}

#[test]
fn keywords_of_other_languages_and_thrift_type_names_are_identifiers() {
    let c = build(&[(
        "k.thrift",
        r#"
struct return { 1: i8 i8, 2: string string, 3: list<i32> list, 4: bool required, 5: i32 optional }
struct fn { 1: return self }
service async { void oneway_fn(1: i32 throws) }
"#,
    )]);
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
}

#[test]
fn byte_order_mark_comments_and_separators() {
    let c = build(&[(
        "b.thrift",
        "\u{FEFF}# hash comment\n// line comment\n/* block */ namespace rs x; /**/\nstruct S { 1: i32 a; 2: i32 b, } ;\nconst list<i32> L = [1; 2, 3];\nconst map<string,i32> M = {'a': 1; \"b\": 2,}\n",
    )]);
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    assert_eq!(c.ir.files[0].package.as_deref(), Some("x"));
}

#[test]
fn senum_is_a_deprecated_string_alias() {
    let c = build(&[(
        "s.thrift",
        "senum Colour { \"red\", \"green\" }\nstruct S { 1: Colour c }\n",
    )]);
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    assert!(matches!(
        def(&c, "s.Colour").kind,
        DefKind::Alias(Type::String)
    ));
    assert_eq!(c.diagnostics.warning_count(), 1);
}

#[test]
fn unused_include_is_a_warning() {
    let c = build(&[
        (
            "u.thrift",
            "include \"a.thrift\"\ninclude \"b.thrift\"\nstruct S { 1: a.A x }\n",
        ),
        ("a.thrift", "struct A {}\n"),
        ("b.thrift", "struct B {}\n"),
    ]);
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    let w: Vec<_> = c
        .diagnostics
        .items
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(w, ["`b` is included but never used"]);
}
