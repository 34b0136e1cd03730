//! Extra attributes per type and per field (`Options::type_attributes`/`field_attributes`):
//! each rule reaches exactly the types and fields its path matches, in the order given.

use std::collections::BTreeMap;

use kit_idl::{compile, Compilation, MemLoader, Options};
use quote::ToTokens;

const A_PROTO: &str = r#"syntax = "proto3";
package pkg.a;
message M {
  int32 x = 1;
  message Inner { string s = 1; }
  oneof kind {
    int32 i = 2;
    string t = 3;
  }
}
enum E { E_ZERO = 0; }
"#;

const B_PROTO: &str = r#"syntax = "proto3";
package pkg.b;
message M { int32 y = 1; }
message MM { int32 z = 1; }
"#;

const T_THRIFT: &str = r#"namespace rs ns.t
struct S { 1: i32 f, 2: i32 g }
union U { 1: i32 a, 2: string b }
exception X { 1: string m }
enum Color { RED = 0 }
typedef S Alias
const i32 K = 1
service Svc { void ping(1: i32 a) }
"#;

fn compiled() -> Compilation {
    let loader = MemLoader::new()
        .add("a.proto", A_PROTO)
        .add("b.proto", B_PROTO)
        .add("t.thrift", T_THRIFT);
    let c = compile(
        &["a.proto".into(), "b.proto".into(), "t.thrift".into()],
        &Options::default(),
        &loader,
    );
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    c
}

fn gen(types: &[(&str, &str)], fields: &[(&str, &str)]) -> String {
    let c = compiled();
    let own = |v: &[(&str, &str)]| {
        v.iter()
            .map(|(p, a)| (p.to_string(), a.to_string()))
            .collect()
    };
    let options = kit_codegen::Options {
        type_attributes: own(types),
        field_attributes: own(fields),
        ..Default::default()
    };
    let file = kit_codegen::generate_single(&c.ir, &options)
        .unwrap_or_else(|d| panic!("{}", kit_idl::diag::render(&d, &c.sources, false)));
    let again = kit_codegen::generate_single(&c.ir, &options).unwrap();
    assert_eq!(file, again, "generation is deterministic");
    file.contents
}

/// For every struct, enum, field and variant of the generated file (`mod::Type`,
/// `mod::Type.field`): its attributes that are rule markers (`#[r…]`), in order.
fn markers(code: &str) -> BTreeMap<String, Vec<String>> {
    fn marks(attrs: &[syn::Attribute]) -> Vec<String> {
        attrs
            .iter()
            .map(|a| a.to_token_stream().to_string().replace(' ', ""))
            .filter(|a| a.starts_with("#[r") || a.starts_with("#[doc=\"rule"))
            .collect()
    }
    fn put(out: &mut BTreeMap<String, Vec<String>>, k: String, v: Vec<String>) {
        if !v.is_empty() {
            out.insert(k, v);
        }
    }
    fn walk(items: &[syn::Item], prefix: &str, out: &mut BTreeMap<String, Vec<String>>) {
        for item in items {
            match item {
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        walk(items, &format!("{prefix}{}::", m.ident), out);
                    }
                }
                syn::Item::Struct(s) => {
                    let name = format!("{prefix}{}", s.ident);
                    for f in &s.fields {
                        if let Some(i) = &f.ident {
                            let fname = i.to_string();
                            put(
                                out,
                                format!("{name}.{}", fname.trim_start_matches("r#")),
                                marks(&f.attrs),
                            );
                        }
                    }
                    put(out, name, marks(&s.attrs));
                }
                syn::Item::Enum(e) => {
                    let name = format!("{prefix}{}", e.ident);
                    for v in &e.variants {
                        put(out, format!("{name}.{}", v.ident), marks(&v.attrs));
                    }
                    put(out, name, marks(&e.attrs));
                }
                _ => {}
            }
        }
    }
    let file = syn::parse_file(code).expect("generated code parses");
    let mut out = BTreeMap::new();
    walk(&file.items, "", &mut out);
    out
}

fn expect(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
        .collect()
}

#[test]
fn type_rules_hit_exactly_what_they_match() {
    let code = gen(
        &[
            (".pkg.a", "#[r1]"),        // a package: its types, nested types and oneofs
            ("M", "#[r2]"),             // a short name, in any package; not `MM`, not `M.Inner`
            (".ns.t.S", "#[r3]"),       // a Thrift type by namespace
            (".t.U", "#[r4] #[r5]"),    // a Thrift type by file stem; two attributes
            (".pkg.a.M.kind", "#[r6]"), // a oneof
            (".t.Color", "#[r7]"),      // a Thrift enum
            (".t.X", "#[r8]"),          // an exception
            (".t.Alias", "#[r9]"),      // typedefs take no attributes
            (".pkg.a.M", "#[r10]"),     // a message: itself, nested types, oneofs
        ],
        &[],
    );
    assert_eq!(
        markers(&code),
        expect(&[
            ("pkg::a::E", &["#[r1]"]),
            ("pkg::a::M", &["#[r1]", "#[r2]", "#[r10]"]),
            ("pkg::a::m::Inner", &["#[r1]", "#[r10]"]),
            ("pkg::a::m::Kind", &["#[r1]", "#[r6]", "#[r10]"]),
            ("pkg::b::M", &["#[r2]"]),
            ("ns::t::S", &["#[r3]"]),
            ("ns::t::U", &["#[r4]", "#[r5]"]),
            ("ns::t::Color", &["#[r7]"]),
            ("ns::t::X", &["#[r8]"]),
        ]),
        "{code}"
    );
    // Type rules come after kit's own derive.
    let s = code.find("pub struct S ").unwrap();
    let derive = code[..s].rfind("#[derive(").unwrap();
    let r3 = code[..s].rfind("#[r3]").unwrap();
    assert!(derive < r3, "{code}");
}

#[test]
fn every_type_rule_skips_service_structs() {
    let code = gen(&[(".", "#[rall]")], &[]);
    let m = markers(&code);
    let names: Vec<&str> = m.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "ns::t::Color",
            "ns::t::S",
            "ns::t::U",
            "ns::t::X",
            "pkg::a::E",
            "pkg::a::M",
            "pkg::a::m::Inner",
            "pkg::a::m::Kind",
            "pkg::b::M",
            "pkg::b::Mm",
        ],
        "{code}"
    );
    // The service's argument struct exists but has no rule attribute.
    assert!(code.contains("Args"), "{code}");
}

#[test]
fn field_rules_hit_exactly_what_they_match() {
    let code = gen(
        &[],
        &[
            ("S.f", "#[rf1]"),                   // one Thrift field, by short type name
            (".ns.t.U.b", "#[rf2]"),             // a union member
            (".pkg.a.M.kind.t", "#[rf3]"),       // a oneof member
            (".pkg.a.M", "#[rf4]"),              // every field of M and of what it nests
            ("y", "#[rf5]"),                     // every field named `y`
            (".pkg.b.M.nope", "#[rf6]"),         // no such field
            ("M.kind", "#[doc = \"rule doc\"]"), // the oneof field in the message
        ],
    );
    assert_eq!(
        markers(&code),
        expect(&[
            ("ns::t::S.f", &["#[rf1]"]),
            ("ns::t::U.B", &["#[rf2]"]),
            ("pkg::a::M.x", &["#[rf4]"]),
            ("pkg::a::M.kind", &["#[rf4]", "#[doc=\"ruledoc\"]"]),
            ("pkg::a::m::Inner.s", &["#[rf4]"]),
            ("pkg::a::m::Kind.I", &["#[rf4]"]),
            ("pkg::a::m::Kind.T", &["#[rf3]", "#[rf4]"]),
            ("pkg::b::M.y", &["#[rf5]"]),
        ]),
        "{code}"
    );
}

#[test]
fn rules_matching_nothing_change_nothing() {
    let plain = gen(&[], &[]);
    let unmatched = gen(
        &[
            (".nope", "#[derive(Hash)]"),
            (".pkg.ab", "#[derive(Hash)]"), // not a prefix of `.pkg.a` segment-wise
            ("Inner.M", "#[derive(Hash)]"),
            (".t.Alias", "#[derive(Hash)]"),
            (".t.K", "#[derive(Hash)]"),
            (".t.Svc", "#[derive(Hash)]"),
        ],
        &[("S.h", "#[serde(skip)]"), (".pkg.b.MM.y", "#[serde(skip)]")],
    );
    assert_eq!(plain, unmatched);
    assert!(markers(&plain).is_empty());
}

#[test]
fn snapshot_of_a_rule_set() {
    let code = gen(
        &[
            (".ns.t.S", "#[derive(PartialOrd)]"),
            (".pkg.b", "#[repr(C)]"),
        ],
        &[("S.g", "#[doc = \"The g.\"]")],
    );
    // From kit's derive to the closing brace, whole lines.
    let block = |item: &str| {
        let at = code.find(item).unwrap();
        let derive = code[..at].rfind("#[derive(Debug").unwrap();
        let start = code[..derive].rfind('\n').unwrap() + 1;
        let end = at + code[at..].find("}\n").unwrap() + 2;
        code[start..end].to_string()
    };
    insta::assert_snapshot!(format!(
        "{}\n{}",
        block("pub struct S "),
        block("pub struct Mm ")
    ));
}

#[test]
fn invalid_rules_are_errors_not_panics() {
    let c = compiled();
    for (types, fields, want) in [
        (
            vec![(".", "derive(Hash)")],
            vec![],
            "invalid codegen options: type attribute rule 1 (path `.`): `derive(Hash)` is not a Rust attribute",
        ),
        (
            vec![(".", "#[derive(Hash)]"), ("a..b", "#[derive(Hash)]")],
            vec![],
            "type attribute rule 2 (path `a..b`): a path is",
        ),
        (
            vec![],
            vec![("S.f", "#[serde(rename = \"x\")")],
            "field attribute rule 1 (path `S.f`): `#[serde(rename = \"x\")` is not a Rust attribute",
        ),
        (vec![], vec![("S.f", "")], "field attribute rule 1 (path `S.f`): the attribute is empty"),
    ] {
        let own = |v: &Vec<(&str, &str)>| {
            v.iter()
                .map(|(p, a)| (p.to_string(), a.to_string()))
                .collect::<Vec<_>>()
        };
        let options = kit_codegen::Options {
            type_attributes: own(&types),
            field_attributes: own(&fields),
            ..Default::default()
        };
        let e = options.validate().expect_err(want).to_string();
        assert!(
            format!("invalid codegen options: {e}").contains(want),
            "{e}"
        );
        let d = kit_codegen::generate(&c.ir, &options).expect_err(want);
        let text = kit_idl::diag::render(&d, &c.sources, false);
        assert!(text.contains(want), "{text}");
        assert!(kit_codegen::generate_single(&c.ir, &options).is_err());
    }
}

#[test]
fn builder_rejects_invalid_rules_before_reading_idl() {
    let dir = tempfile::tempdir().unwrap();
    let e = kit_codegen::Builder::new()
        .file(dir.path().join("missing.thrift"))
        .out_dir(dir.path())
        .emit_rerun_if_changed(false)
        .type_attribute(".", "#[derive(Hash)]")
        .field_attribute("S.f", "not an attribute")
        .generate()
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("invalid options: field attribute rule 1 (path `S.f`): `not an attribute` is not a Rust attribute"),
        "{e}"
    );
}
