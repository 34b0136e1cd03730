//! Inputs that must be rejected: the corpus' known-bad Thrift files, and snapshots of the
//! rendered diagnostics for the small bad inputs in `tests/fixtures/thrift/bad/`.

mod thrift_common;

use std::path::{Path, PathBuf};

use kit_idl::{compile, Options, OsLoader};
use thrift_common::*;

/// `(message, line)` of every error.
fn errors(c: &kit_idl::Compilation) -> Vec<(String, usize)> {
    c.diagnostics
        .items
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let line = d.location(&c.sources).map(|l| l.1).unwrap_or(0);
            (d.message.clone(), line)
        })
        .collect()
}

#[test]
fn broken_constants_is_rejected() {
    let c = compile_corpus("thrift-bad/apache-thrift/test/BrokenConstants.thrift");
    let errs = errors(&c);
    assert!(
        errs.contains(&(
            "integer 9876543210987654321 does not fit in `i64`".to_string(),
            21
        )),
        "{errs:?}\n{}",
        c.render_diagnostics(false)
    );
    // The enum value 68719476736 does not fit in i32 either; every error is reported.
    assert!(
        errs.iter()
            .any(|(m, l)| m.contains("68719476736") && *l == 24),
        "{errs:?}"
    );
}

#[test]
fn pilota_duplicate_field_id_is_rejected() {
    let root = corpus().join("thrift-bad/pilota");
    let mut n = 0;
    for e in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let e = e.expect("walk");
        if e.file_name() != "duplicate_field_id.thrift" {
            continue;
        }
        n += 1;
        let c = compile(&[e.path().to_path_buf()], &Options::default(), &OsLoader);
        let errs = errors(&c);
        assert_eq!(
            errs,
            vec![("duplicate field id 1 in struct `User`".to_string(), 3)],
            "{}",
            c.render_diagnostics(false)
        );
        let d = c
            .diagnostics
            .items
            .iter()
            .find(|d| d.is_error())
            .expect("error");
        assert_eq!(d.secondary.len(), 1, "secondary label at the first use");
        assert_eq!(d.secondary[0].message, "first defined here");
    }
    assert_eq!(n, 1);
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/thrift/bad")
}

/// Every `.thrift` directly in the fixture folder is rejected, and its rendered diagnostics
/// match the reviewed snapshot `thrift_bad__<name>.snap`.
#[test]
fn bad_fixture_snapshots() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|x| x.to_str()) == Some("thrift"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "expected at least 10 bad fixtures");
    // Paths in the rendered output are relative to the crate directory.
    let rel_root = Path::new("tests/fixtures/thrift/bad");
    for p in paths {
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        let rel = rel_root.join(p.file_name().expect("file name"));
        let c = compile(&[rel], &Options::default(), &OsLoader);
        assert!(c.has_errors(), "{name} must be rejected");
        insta::assert_snapshot!(name, c.render_diagnostics(false));
    }
}
