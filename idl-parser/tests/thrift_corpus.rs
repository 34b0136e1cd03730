//! Acceptance over the external corpus: every Thrift file Apache Thrift 0.25 accepts must
//! compile without errors; the files it rejects for a duplicate definition must be rejected.

mod thrift_common;

use thrift_common::*;
use walkdir::WalkDir;

#[test]
fn apache_thrift_corpus_is_accepted() {
    let root = corpus().join("thrift/apache-thrift");
    let mut failures = Vec::new();
    let mut n = 0;
    for e in WalkDir::new(&root).sort_by_file_name() {
        let e = e.expect("walk corpus");
        if e.path().extension().and_then(|x| x.to_str()) != Some("thrift") {
            continue;
        }
        let rel = e
            .path()
            .strip_prefix(corpus())
            .expect("under corpus")
            .to_string_lossy()
            .replace('\\', "/");
        n += 1;
        let c = compile_corpus(&rel);
        if c.has_errors() {
            failures.push(format!("{rel}:\n{}", c.render_diagnostics(false)));
        }
    }
    assert_eq!(n, 204, "expected the 204 Apache Thrift files");
    assert!(
        failures.is_empty(),
        "{} of {n} files rejected:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// pilota, kitex and volo: follow Apache Thrift 0.25's verdicts from VALIDATION.tsv.
#[test]
fn pilota_kitex_volo_follow_apache_verdicts() {
    let mut failures = Vec::new();
    let (mut accepted, mut rejected, mut dialect) = (0, 0, 0);
    for (rel, ok, msg) in apache_verdicts() {
        if !(rel.starts_with("thrift/pilota/")
            || rel.starts_with("thrift/kitex/")
            || rel.starts_with("thrift/volo/"))
        {
            continue;
        }
        let c = compile_corpus(&rel);
        if ok {
            accepted += 1;
            if c.has_errors() {
                failures.push(format!(
                    "{rel}: should be accepted:\n{}",
                    c.render_diagnostics(false)
                ));
            }
        } else if msg.contains("is already defined") {
            rejected += 1;
            let dup = c
                .diagnostics
                .items
                .iter()
                .any(|d| d.is_error() && d.message.contains("is defined more than once"));
            if !dup {
                failures.push(format!(
                    "{rel}: should be rejected for a duplicate definition, got:\n{}",
                    c.render_diagnostics(false)
                ));
            }
        } else {
            // pilota's own dialect: not Thrift; only make sure nothing panics.
            dialect += 1;
        }
    }
    assert_eq!((accepted, rejected, dialect), (36 + 23 + 14, 2, 10));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `thrift-bad/.../keyword-samples`: identifiers named `return`. Apache's parser accepts them
/// (only its PHP generator objects), so the front end accepts them too; escaping Rust
/// keywords (`r#return`) is the code generator's job.
#[test]
fn keyword_samples_parse() {
    let root = corpus().join("thrift-bad/apache-thrift/compiler/cpp/test/keyword-samples");
    let mut n = 0;
    let mut failures = Vec::new();
    for e in WalkDir::new(&root).sort_by_file_name() {
        let e = e.expect("walk");
        if e.path().extension().and_then(|x| x.to_str()) != Some("thrift") {
            continue;
        }
        n += 1;
        let c = kit_idl::compile(
            &[e.path().to_path_buf()],
            &kit_idl::Options::default(),
            &kit_idl::OsLoader,
        );
        if c.has_errors() {
            failures.push(c.render_diagnostics(false));
        }
    }
    assert_eq!(n, 14);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
