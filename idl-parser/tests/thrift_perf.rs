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

/// One large generated file: parse + lowering throughput.
#[test]
#[ignore]
fn large_file_timing() {
    let mut text = String::from("namespace rs big\n");
    for i in 0..5000 {
        text.push_str(&format!(
            "/** Struct {i}. */\nstruct S{i} {{\n  1: required i32 a = {i},\n  2: optional string b = \"x{i}\",\n  3: list<map<string, i64>> c,\n  4: S{j} next,\n  5: E e = E.B,\n}}\n",
            j = (i + 1) % 5000
        ));
    }
    text.push_str("enum E { A, B, C }\nservice Svc {\n");
    for i in 0..2000 {
        text.push_str(&format!(
            "  S{i} call{i}(1: S{i} req, 2: i32 n) throws (1: X x),\n"
        ));
    }
    text.push_str("}\nexception X { 1: string msg }\n");
    let loader = kit_idl::MemLoader::new().add("/big/big.thrift", text.clone());
    // Best of 5: the machine may be busy.
    let mut best = None;
    let mut c = None;
    for _ in 0..5 {
        let start = Instant::now();
        let r = kit_idl::compile(
            &["/big/big.thrift".into()],
            &kit_idl::Options::default(),
            &loader,
        );
        let t = start.elapsed();
        best = Some(best.map_or(t, |b: std::time::Duration| b.min(t)));
        c = Some(r);
    }
    let (Some(t), Some(c)) = (best, c) else {
        return;
    };
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    println!(
        "{:.2} MB, {} defs: {:?} ({:.1} MB/s)",
        text.len() as f64 / 1e6,
        c.ir.defs.len(),
        t,
        text.len() as f64 / 1e6 / t.as_secs_f64()
    );
}
