//! `compile` never panics and never overflows the stack, whatever the Thrift input.

mod thrift_common;

use std::path::PathBuf;

use kit_idl::{compile, MemLoader, Options};
use thrift_common::corpus;
use walkdir::WalkDir;

/// xorshift64*: a small deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const SNIPPETS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "<",
    ">",
    "[",
    "]",
    ",",
    ";",
    ":",
    "=",
    "&",
    ".",
    "\"",
    "'",
    "/*",
    "*/",
    "/**",
    "//",
    "#",
    "\n",
    " ",
    "struct ",
    "union ",
    "exception ",
    "enum ",
    "const ",
    "typedef ",
    "service ",
    "extends ",
    "throws ",
    "oneway ",
    "void ",
    "required ",
    "optional ",
    "list<",
    "map<",
    "set<",
    "i8 ",
    "byte ",
    "i64 ",
    "uuid ",
    "binary ",
    "include \"x.thrift\"",
    "0x",
    "-",
    "99999999999999999999999",
    "1e999",
    "-0",
    "A.B.C",
    "\\",
    "\u{00e9}",
    "senum ",
];

fn mutate(rng: &mut Rng, src: &[u8]) -> String {
    let mut b = src.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = b.len();
        match rng.below(6) {
            0 if len > 0 => {
                let i = rng.below(len);
                b[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1);
                b.truncate(i);
            }
            2 => {
                let i = rng.below(len + 1);
                let s = SNIPPETS[rng.below(SNIPPETS.len())];
                b.splice(i..i, s.bytes());
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let j = (i + 1 + rng.below(40)).min(len);
                b.drain(i..j);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let j = (i + 1 + rng.below(200)).min(len);
                let chunk = b[i..j].to_vec();
                let at = rng.below(b.len() + 1);
                b.splice(at..at, chunk);
            }
            _ if len > 0 => {
                let i = rng.below(len);
                b[i] = rng.next() as u8 & 0x7f;
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn compile_text(name: &str, text: String, extra: &[(&str, &str)]) -> kit_idl::Compilation {
    let mut loader = MemLoader::new().add(format!("/fuzz/{name}"), text);
    for (p, t) in extra {
        loader = loader.add(format!("/fuzz/{p}"), *t);
    }
    compile(
        &[PathBuf::from(format!("/fuzz/{name}"))],
        &Options::default(),
        &loader,
    )
}

#[test]
fn mutated_corpus_files_never_panic() {
    let mut sources = Vec::new();
    for e in WalkDir::new(corpus().join("thrift")).sort_by_file_name() {
        let e = e.expect("walk");
        if e.path().extension().and_then(|x| x.to_str()) == Some("thrift") {
            // Small and medium files keep the test fast in debug builds.
            if let Ok(b) = std::fs::read(e.path()) {
                if b.len() < 12_000 {
                    sources.push(b);
                }
            }
        }
    }
    assert!(sources.len() > 100);
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut failures = Vec::new();
    // More with `KIT_FUZZ_ITERS=200000 cargo test --release ...`.
    let iterations: usize = std::env::var("KIT_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    for it in 0..iterations {
        let src = &sources[rng.below(sources.len())];
        let text = mutate(&mut rng, src);
        let result = std::panic::catch_unwind(|| {
            let c = compile_text("m.thrift", text.clone(), &[("x.thrift", "struct X {}")]);
            // Rendering must not panic either.
            let _ = c.render_diagnostics(false);
        });
        if result.is_err() {
            failures.push((it, text));
            if failures.len() >= 3 {
                break;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "compile panicked on {} inputs; first one (iteration {}):\n{}",
        failures.len(),
        failures[0].0,
        failures[0].1
    );
}

#[test]
fn deeply_nested_list_is_an_error_not_a_stack_overflow() {
    let text = format!(
        "typedef {}i32{} Deep",
        "list<".repeat(5000),
        ">".repeat(5000)
    );
    let c = compile_text("deep.thrift", text, &[]);
    assert!(c.has_errors());
    let r = c.render_diagnostics(false);
    assert!(r.contains("nesting deeper than"), "{r}");

    let text = format!(
        "const list<i32> C = {}1{}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let c = compile_text("deep2.thrift", text, &[]);
    assert!(c.has_errors());
}

#[test]
fn nesting_at_the_limit_compiles() {
    let text = format!(
        "typedef {}i32{} Deep\nconst {}i32{} C = {}1{}",
        "list<".repeat(99),
        ">".repeat(99),
        "list<".repeat(49),
        ">".repeat(49),
        "[".repeat(49),
        "]".repeat(49),
    );
    // Run on a thread with a modest stack, as a real caller might.
    let c = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let c = compile_text("limit.thrift", text, &[]);
            (c.has_errors(), c.render_diagnostics(false))
        })
        .expect("spawn")
        .join()
        .expect("no panic");
    assert!(!c.0, "{}", c.1);
}

#[test]
fn long_reference_chains_do_not_recurse() {
    // 5,000 typedefs in a chain, and constants that nest through references.
    let mut text = String::from("typedef i32 T0\n");
    for i in 1..5000 {
        text.push_str(&format!("typedef T{} T{i}\n", i - 1));
    }
    text.push_str("const T4999 X = 1\n");
    // A cycle of typedefs is an error, not a hang.
    text.push_str("typedef C1 C0\ntypedef C0 C1\n");
    let c = compile_text("chain.thrift", text, &[]);
    let r = c.render_diagnostics(false);
    assert!(r.contains("typedef `C0` refers to itself"), "{r}");

    let mut text = String::from("typedef list<i32> L0\nconst L0 V0 = [1]\n");
    for i in 1..400 {
        text.push_str(&format!(
            "typedef list<L{}> L{i}\nconst L{i} V{i} = [V{}]\n",
            i - 1,
            i - 1
        ));
    }
    let c = compile_text("values.thrift", text, &[]);
    let r = c.render_diagnostics(false);
    assert!(r.contains("nests too deeply"), "{r}");
}
