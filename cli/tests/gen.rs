//! `kit gen` and `kit gen --check` as a user runs them.

use std::path::{Path, PathBuf};

mod common;
use common::{kit, text};

/// A fresh directory `<target>/tmp/NAME` with an empty `idl/`.
fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch(name);
    std::fs::create_dir_all(dir.join("idl")).unwrap();
    dir
}

const V1: &str = "namespace rs shop\nstruct Item {\n  1: string name,\n  2: i64 price,\n}\n";
const V2: &str = "namespace rs shop\nstruct Item {\n  1: string name,\n  2: i64 price,\n  3: optional string sku,\n}\n";

#[test]
fn gen_then_check_then_change_then_regen() {
    let dir = scratch("gen_check");
    std::fs::write(dir.join("idl/shop.thrift"), V1).unwrap();
    let gen = ["gen", "-o", "gen", "idl/shop.thrift"];
    let check = ["gen", "--check", "-o", "gen", "idl/shop.thrift"];

    // Before generating, --check reports missing files and writes nothing.
    let out = kit(&check, &dir);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!dir.join("gen").exists(), "--check never writes");

    let out = kit(&gen, &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(dir.join("gen/mod.rs").is_file());
    assert!(dir.join("gen/shop.rs").is_file());
    assert_eq!(kit(&check, &dir).status.code(), Some(0));

    // A user's file beside the generated ones is never touched.
    std::fs::write(dir.join("gen/notes.rs"), "// mine\n").unwrap();

    // The IDL changes: --check fails, names the file and shows the new field in a diff.
    std::fs::write(dir.join("idl/shop.thrift"), V2).unwrap();
    let out = kit(&check, &dir);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("changed: gen/shop.rs"), "{err}");
    let diff = text(&out.stdout);
    assert!(diff.contains("--- a/gen/shop.rs"), "{diff}");
    assert!(
        diff.lines()
            .any(|l| l.starts_with('+') && l.contains("pub sku")),
        "{diff}"
    );

    let out = kit(&gen, &dir);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("1 changed"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(kit(&check, &dir).status.code(), Some(0));

    // Unchanged content is not rewritten (mtime stays).
    let before = std::fs::metadata(dir.join("gen/shop.rs"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(kit(&gen, &dir).status.code(), Some(0));
    let after = std::fs::metadata(dir.join("gen/shop.rs"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);

    // A namespace change moves the module: the old file is removed as stale.
    std::fs::write(
        dir.join("idl/shop.thrift"),
        V2.replace("rs shop", "rs store"),
    )
    .unwrap();
    assert_eq!(kit(&gen, &dir).status.code(), Some(0));
    assert!(!dir.join("gen/shop.rs").exists());
    assert!(dir.join("gen/store.rs").is_file());
    assert_eq!(
        std::fs::read_to_string(dir.join("gen/notes.rs")).unwrap(),
        "// mine\n"
    );
}

#[test]
fn gen_refuses_idl_with_errors_and_writes_nothing() {
    let dir = scratch("gen_errors");
    std::fs::write(dir.join("idl/bad.thrift"), "struct A { 1: Nope x }\n").unwrap();
    let out = kit(&["gen", "-o", "gen", "idl/bad.thrift"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("bad.thrift:1:"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.join("gen").exists());
}

#[test]
fn gen_output_is_deterministic() {
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let a = scratch("det_a");
    let b = scratch("det_b");
    for d in [&a, &b] {
        let out = kit(
            &[
                "gen",
                "-o",
                d.join("gen").to_str().unwrap(),
                "tests/examples/echo.thrift",
                "tests/examples/echo.proto",
            ],
            &ws,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    for f in ["mod.rs", "echo.rs", "echo/v1.rs"] {
        let x = std::fs::read(a.join("gen").join(f)).unwrap();
        let y = std::fs::read(b.join("gen").join(f)).unwrap();
        assert_eq!(x, y, "{f}");
        let s = String::from_utf8(x).unwrap();
        assert!(
            !s.contains("/work/") && !s.contains(env!("CARGO_TARGET_TMPDIR")),
            "no absolute paths in {f}"
        );
    }
}

#[test]
fn kit_toml_supplies_what_flags_leave_out() {
    let dir = scratch("kit_toml");
    std::fs::write(dir.join("idl/shop.thrift"), V1).unwrap();
    std::fs::write(
        dir.join("kit.toml"),
        "[gen]\nidl = [\"idl/shop.thrift\"]\ninclude = [\"idl\"]\nout = \"src/gen\"\n",
    )
    .unwrap();
    // Found from a subdirectory; paths are relative to kit.toml, not to the current directory.
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let out = kit(&["gen"], &dir.join("src"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(dir.join("src/gen/shop.rs").is_file());
    assert_eq!(kit(&["gen", "--check"], &dir).status.code(), Some(0));

    // A flag overrides its setting: another output directory.
    let out = kit(&["gen", "-o", "elsewhere"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(dir.join("elsewhere/shop.rs").is_file());

    // IDL changes are seen through kit.toml too.
    std::fs::write(dir.join("idl/shop.thrift"), V2).unwrap();
    let out = kit(&["gen", "--check"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("pub sku"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn bad_or_missing_kit_toml() {
    let dir = scratch("kit_toml_bad");
    // Nothing to go on: a usage error.
    let out = kit(&["gen"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no IDL files"),
        "{}",
        text(&out.stderr)
    );
    // An unknown key is an error naming the file and the key, not silently ignored.
    std::fs::write(
        dir.join("kit.toml"),
        "[gen]\nidl = [\"a.thrift\"]\noutput = \"x\"\n",
    )
    .unwrap();
    let out = kit(&["gen"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("kit.toml") && err.contains("output"), "{err}");
    // No output directory anywhere: a usage error.
    std::fs::write(dir.join("kit.toml"), "[gen]\nidl = [\"a.thrift\"]\n").unwrap();
    let out = kit(&["gen"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no output directory"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn kit_toml_attribute_rules_reach_the_output() {
    let dir = scratch("kit_toml_attrs");
    std::fs::write(
        dir.join("idl/shop.thrift"),
        format!("{V1}struct Other {{\n  1: i64 price,\n}}\n"),
    )
    .unwrap();
    let toml = "[gen]\nidl = [\"idl/shop.thrift\"]\nout = \"src/gen\"\n\n\
        [[gen.type_attributes]]\npath = \".shop.Item\"\nattr = \"#[derive(PartialOrd)]\"\n\n\
        [[gen.type_attributes]]\npath = \".nothing\"\nattr = \"#[repr(C)]\"\n\n\
        [[gen.field_attributes]]\npath = \"Item.price\"\nattr = \"#[doc = \\\" In cents.\\\"]\"\n";
    std::fs::write(dir.join("kit.toml"), toml).unwrap();
    let out = kit(&["gen"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let code = std::fs::read_to_string(dir.join("src/gen/shop.rs")).unwrap();
    let item = code.find("pub struct Item {").unwrap();
    let other = code.find("pub struct Other {").unwrap();
    let before = |at: usize| {
        let start = code[..at].rfind("}\n").map_or(0, |i| i + 2);
        &code[start..at]
    };
    assert!(before(item).contains("#[derive(PartialOrd)]"), "{code}");
    assert!(!before(other).contains("PartialOrd"), "{code}");
    assert!(!code.contains("repr(C)"), "{code}");
    assert_eq!(code.matches("/// In cents.").count(), 1, "{code}");
    let doc = code.find("/// In cents.").unwrap();
    assert!(doc > item && doc < other, "{code}");
    assert!(
        code[doc..].lines().nth(1).unwrap().trim() == "pub price: i64,",
        "{code}"
    );
    assert_eq!(kit(&["gen", "--check"], &dir).status.code(), Some(0));

    // Without the rules, --check sees the difference.
    std::fs::write(
        dir.join("kit.toml"),
        "[gen]\nidl = [\"idl/shop.thrift\"]\nout = \"src/gen\"\n",
    )
    .unwrap();
    let out = kit(&["gen", "--check"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout)
            .lines()
            .any(|l| l.starts_with('-') && l.contains("PartialOrd")),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn kit_toml_arc_rules_reach_the_output() {
    let dir = scratch("kit_toml_arc");
    std::fs::write(
        dir.join("idl/shop.thrift"),
        format!(
            "{V1}struct Cart {{\n  1: list<Item> items,\n  2: Item first,\n  3: i64 total,\n}}\n"
        ),
    )
    .unwrap();
    let toml = "[gen]\nidl = [\"idl/shop.thrift\"]\nout = \"src/gen\"\narc = [\".shop.Cart\"]\n";
    std::fs::write(dir.join("kit.toml"), toml).unwrap();
    let out = kit(&["gen"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let code = std::fs::read_to_string(dir.join("src/gen/shop.rs")).unwrap();
    assert!(
        code.contains("pub items: ::std::sync::Arc<::std::vec::Vec<Item>>,"),
        "{code}"
    );
    assert!(
        code.contains("pub first: ::std::sync::Arc<Item>,"),
        "{code}"
    );
    assert!(code.contains("pub total: i64,"), "{code}");

    let bad = "[gen]\nidl = [\"idl/shop.thrift\"]\nout = \"src/gen\"\narc = [\"Cart..items\"]\n";
    std::fs::write(dir.join("kit.toml"), bad).unwrap();
    let out = kit(&["gen"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("arc field rule 1 (path `Cart..items`)"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_attribute_rules_in_kit_toml() {
    let dir = scratch("kit_toml_attrs_bad");
    std::fs::write(dir.join("idl/shop.thrift"), V1).unwrap();
    let base = "[gen]\nidl = [\"idl/shop.thrift\"]\nout = \"src/gen\"\n";
    for (rules, want) in [
        (
            "[[gen.type_attributes]]\npath = \".\"\nattr = \"derive(Hash)\"\n",
            "type attribute rule 1 (path `.`): `derive(Hash)` is not a Rust attribute",
        ),
        (
            "[[gen.field_attributes]]\npath = \"Item..price\"\nattr = \"#[doc = \\\"x\\\"]\"\n",
            "field attribute rule 1 (path `Item..price`): a path is",
        ),
        // A misspelt key is an error, not a silently ignored rule.
        (
            "[[gen.type_attributes]]\npath = \".\"\nattrs = \"#[derive(Hash)]\"\n",
            "attrs",
        ),
    ] {
        std::fs::write(dir.join("kit.toml"), format!("{base}\n{rules}")).unwrap();
        let out = kit(&["gen"], &dir);
        assert_eq!(out.status.code(), Some(1), "{rules}");
        let err = text(&out.stderr);
        assert!(err.contains("kit.toml") && err.contains(want), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!dir.join("src/gen").exists(), "nothing written");
    }
}

#[test]
fn help_gen() {
    let out = kit(&["gen", "--help"], Path::new(env!("CARGO_TARGET_TMPDIR")));
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    // kit.toml's attribute rules are documented where users look.
    assert!(help.contains("[[gen.type_attributes]]"), "{help}");
    assert!(help.contains("[[gen.field_attributes]]"), "{help}");
    insta::assert_snapshot!("help_gen", help);
}
