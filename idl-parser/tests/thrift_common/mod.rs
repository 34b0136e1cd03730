//! Helpers shared by the Thrift integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kit_idl::{compile, Compilation, Options, OsLoader};

pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus")
}

/// Include roots for a corpus file (path relative to the corpus root), per the corpus README.
pub fn include_dirs(rel: &str) -> Vec<PathBuf> {
    let c = corpus();
    let mut dirs = Vec::new();
    if rel.starts_with("thrift/apache-thrift/lib/go/test/") {
        dirs.push(c.join("thrift/apache-thrift/test"));
    }
    if rel.starts_with("thrift/apache-thrift/lib/rs/test_recursive/src/") {
        let base = c.join("thrift/apache-thrift/lib/rs/test_recursive");
        for d in [
            "src",
            "src/transit",
            "src/transit/light",
            "src/transit/services",
            "src/maintenance",
        ] {
            dirs.push(base.join(d));
        }
    }
    if rel.starts_with("thrift/pilota/") {
        dirs.push(c.join("thrift/pilota/pilota-build/test_data"));
    }
    dirs
}

pub fn compile_corpus(rel: &str) -> Compilation {
    let path = corpus().join(rel);
    compile(
        &[path],
        &Options {
            include_dirs: include_dirs(rel),
        },
        &OsLoader,
    )
}

/// `(file, ok)` for every Thrift file of `VALIDATION.tsv` checked by Apache Thrift 0.25.
pub fn apache_verdicts() -> Vec<(String, bool, String)> {
    let text = std::fs::read_to_string(corpus().join("VALIDATION.tsv")).expect("VALIDATION.tsv");
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols.len() >= 3 && cols[1] == "thrift-head" && cols[0].ends_with(".thrift")).then(
                || {
                    (
                        cols[0].to_string(),
                        cols[2] == "OK",
                        cols.get(3).unwrap_or(&"").to_string(),
                    )
                },
            )
        })
        .collect()
}
