//! `kit check` as a user runs it: exit codes, output streams, help text.

use std::path::PathBuf;

mod common;
use common::{kit, text, workspace};

fn scratch(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = common::scratch(name);
    for (path, body) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    dir
}

#[test]
fn good_files_exit_0() {
    let out = kit(
        &[
            "check",
            "tests/examples/echo.thrift",
            "tests/examples/echo.proto",
        ],
        &workspace(),
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert!(out.stdout.is_empty());
}

#[test]
fn errors_exit_1_with_location_and_snippet() {
    let dir = scratch(
        "errors_exit_1",
        &[(
            "bad.thrift",
            "struct A {\n  1: i32 x\n  1: string y\n}\nstruct B { 1: Missing m }\n",
        )],
    );
    let out = kit(&["check", "bad.thrift"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    // Both errors of the file are reported, each with file:line:col and the source line.
    assert!(err.contains("bad.thrift:3:"), "{err}");
    assert!(err.contains("1: string y"), "{err}");
    assert!(err.contains("bad.thrift:5:"), "{err}");
    assert!(err.contains("Missing"), "{err}");
    assert!(err.contains("2 errors"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "no colour when NO_COLOR is set: {err}"
    );
}

#[test]
fn warnings_do_not_fail() {
    let dir = scratch("warnings", &[("w.thrift", "struct A { 1: byte b }\n")]);
    let out = kit(&["check", "w.thrift"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
    let quiet = kit(&["check", "-q", "w.thrift"], &dir);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(quiet.stderr.is_empty(), "{}", text(&quiet.stderr));
}

#[test]
fn usage_errors_exit_2() {
    let ws = workspace();
    assert_eq!(kit(&["check"], &ws).status.code(), Some(2));
    assert_eq!(kit(&["frobnicate"], &ws).status.code(), Some(2));
    assert_eq!(
        kit(&["check", "--no-such-flag", "a.thrift"], &ws)
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn missing_file_and_unknown_extension_exit_1() {
    let ws = workspace();
    let out = kit(&["check", "nope.thrift"], &ws);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("file not found: `nope.thrift`"));
    let out = kit(&["check", "README.md"], &ws);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot tell the IDL language"));
}

#[test]
fn include_roots_name_files_like_protoc() {
    let dir = scratch(
        "roots",
        &[
            ("protos/a/b.proto", "syntax = \"proto3\";\npackage a;\nimport \"c/d.proto\";\nmessage B { c.D d = 1; }\n"),
            ("protos/c/d.proto", "syntax = \"proto3\";\npackage c;\nmessage D { Nope n = 1; }\n"),
        ],
    );
    let out = kit(&["check", "-I", "protos", "protos/a/b.proto"], &dir);
    assert_eq!(out.status.code(), Some(1));
    // The error in the imported file is named relative to the root.
    let err = text(&out.stderr);
    assert!(err.contains("c/d.proto:3:"), "{err}");
}

#[test]
fn dump_ir_is_json_with_resolved_references() {
    let out = kit(
        &["check", "--dump-ir", "tests/examples/echo.thrift"],
        &workspace(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ir: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let defs = ir["defs"].as_array().unwrap();
    let names: Vec<&str> = defs.iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["EchoResponse", "EchoError", "Echo"]);
    // The method result refers to EchoResponse by id.
    let echo = &defs[2]["kind"]["Service"]["methods"][0];
    assert_eq!(echo["result"]["Ref"], 0);
    // Deterministic: the same input gives the same bytes.
    let again = kit(
        &["check", "--dump-ir", "tests/examples/echo.thrift"],
        &workspace(),
    );
    assert_eq!(out.stdout, again.stdout);
}

#[test]
fn help_text() {
    let ws = workspace();
    let top = kit(&["--help"], &ws);
    assert_eq!(top.status.code(), Some(0));
    insta::assert_snapshot!("help", text(&top.stdout));
    let check = kit(&["check", "--help"], &ws);
    assert_eq!(check.status.code(), Some(0));
    insta::assert_snapshot!("help_check", text(&check.stdout));
}

#[test]
fn missing_import_lists_each_searched_directory_once() {
    let dir = scratch(
        "searched_once",
        &[(
            "p/a.proto",
            "syntax = \"proto3\";\nimport \"nope.proto\";\n",
        )],
    );
    let out = kit(&["check", "-I", "p", "p/a.proto"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let searched = err.lines().find(|l| l.contains("searched:")).expect(&err);
    assert_eq!(searched.matches("p").count(), 1, "{searched}");
}
