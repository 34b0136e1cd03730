//! Scale test: all 7,227 googleapis files in one `compile` call (protoc 3.21 takes about 6.7 s
//! wall for the same). Run with
//! `cargo test --release -p kit-idl --test proto_bench -- --ignored --nocapture`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kit_idl::{compile, Options, OsLoader};

#[test]
#[ignore]
fn googleapis_full_in_one_call() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    let root = corpus.join("googleapis-full");
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "proto"))
        .map(|e| e.path().to_path_buf())
        .collect();
    files.sort();
    if let Some(n) = std::env::var("KIT_BENCH_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        files.truncate(n);
    }
    let opts = Options {
        include_dirs: vec![root, corpus.join("proto/protobuf-v21.12")],
    };
    // Best of a few runs (the machine may be shared); KIT_BENCH_RUNS, default 1.
    let runs: usize = std::env::var("KIT_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut el = std::time::Duration::MAX;
    let mut c = compile(&[], &opts, &OsLoader);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        c = compile(&files, &opts, &OsLoader);
        el = el.min(t.elapsed());
    }
    println!(
        "{} input files, {} loaded, {} defs, {} errors, {} warnings in {:.2?}",
        files.len(),
        c.sources.len(),
        c.ir.defs.len(),
        c.diagnostics.error_count(),
        c.diagnostics.warning_count(),
        el
    );
    if c.has_errors() {
        let text = c.render_diagnostics(false);
        println!("{}", text.lines().take(60).collect::<Vec<_>>().join("\n"));
    }
    assert!(!c.has_errors());
}

#[test]
#[ignore]
fn googleapis_full_parse_only() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    let root = corpus.join("googleapis-full");
    let files: Vec<String> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "proto"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .take(
            std::env::var("KIT_BENCH_LIMIT")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(usize::MAX),
        )
        .collect();
    let t = Instant::now();
    let mut ok = 0;
    for f in &files {
        ok += kit_idl::__proto_parse_to_descriptor(f).is_ok() as usize;
    }
    println!("parsed {ok} of {} in {:.2?}", files.len(), t.elapsed());
}
