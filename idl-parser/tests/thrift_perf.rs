//! Timing of the Thrift front end over the whole corpus. Ignored by default; run with
//! `cargo test --release -p kit-idl --test thrift_perf -- --ignored --nocapture`.

mod thrift_common;

use std::time::Instant;

use thrift_common::*;
use walkdir::WalkDir;

#[test]
#[ignore]
fn corpus_timing() {
    let mut files = Vec::new();
    for e in WalkDir::new(corpus().join("thrift")).sort_by_file_name() {
        let e = e.expect("walk");
        if e.path().extension().and_then(|x| x.to_str()) == Some("thrift") {
            let rel = e
                .path()
                .strip_prefix(corpus())
                .expect("under corpus")
                .to_string_lossy()
                .replace('\\', "/");
            files.push(rel);
        }
    }
    let rounds = 10;
    let start = Instant::now();
    let mut bytes = 0usize;
    for _ in 0..rounds {
        for f in &files {
            let c = compile_corpus(f);
            bytes += c.sources.iter().map(|(_, s)| s.text.len()).sum::<usize>();
        }
    }
    let t = start.elapsed();
    println!(
        "{} compilations ({} files x {rounds}), {:.1} MB of source incl. includes: {:?} total, {:?} per file",
        files.len() * rounds,
        files.len(),
        bytes as f64 / 1e6,
        t,
        t / (files.len() * rounds) as u32
    );
}
