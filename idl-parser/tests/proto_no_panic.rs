//! Robustness: mutated corpus files (fixed seed) never make `compile` panic, and pathological
//! nesting is an error, not a stack overflow.

use std::path::{Path, PathBuf};

use kit_idl::{compile, MemLoader, Options};

/// xorshift64*: deterministic, no dependency.
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

const TOKENS: &[&str] = &[
    "{",
    "}",
    "<",
    ">",
    ";",
    "=",
    "\"",
    "'",
    "map<",
    "message ",
    "enum ",
    "oneof ",
    "group ",
    "optional ",
    "required ",
    "repeated ",
    "/*",
    "*/",
    "//",
    "\n",
    "-",
    "0x",
    "max",
    " to ",
    "[",
    "]",
    "(",
    ")",
    ".",
    ",",
    "\\",
    "extend ",
    "extensions ",
    "reserved ",
    "option ",
    "[default = ",
    "99999999999999999999",
    "-2147483649",
    "inf",
    "nan",
    "1e999",
    "stream ",
    "rpc ",
    "returns ",
    "service ",
    "import ",
    "public ",
    "weak ",
    "package ",
    "syntax ",
    "\"proto3\"",
    "\"proto2\"",
    "é",
    "\u{0}",
    "int32 ",
    "string ",
    ".google.protobuf.",
    "json_name",
    "packed",
    "allow_alias",
    "= 0;",
    "= 19000;",
    "{ a: 1 b: [1, 2] }",
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus")
}

fn mutate(rng: &mut Rng, src: &str) -> String {
    let mut b = src.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(5) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            1 if !b.is_empty() => {
                let i = rng.below(b.len());
                b.truncate(i);
            }
            2 if !b.is_empty() => {
                let i = rng.below(b.len());
                let n = 1 + rng.below(8);
                b.drain(i..(i + n).min(b.len()));
            }
            _ => {
                let i = rng.below(b.len() + 1);
                let t = TOKENS[rng.below(TOKENS.len())];
                b.splice(i..i, t.bytes());
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

#[test]
fn mutated_corpus_never_panics() {
    let c = corpus();
    let wkt = c.join("proto/protobuf-v21.12");
    // Small files that import only well-known types, so mutations reach the lowering too.
    let seeds: Vec<(String, String)> = [
        "proto/protobuf-v21.12/google/protobuf/any.proto",
        "proto/protobuf-v21.12/google/protobuf/struct.proto",
        "proto/protobuf-v21.12/google/protobuf/type.proto",
        "proto/protobuf-v21.12/google/protobuf/unittest_proto3_optional.proto",
        "proto/protobuf-v21.12/google/protobuf/map_unittest.proto",
        "proto/protobuf-v21.12/google/protobuf/unittest_custom_options.proto",
        "proto/protobuf-v21.12/google/protobuf/unittest_import.proto",
        "proto/grpc-proto/grpc/health/v1/health.proto",
        "proto/grpc-proto/grpc/testing/messages.proto",
        "proto-parses-to/protobuf-parser-unittest/Maps.proto",
        "proto-parses-to/protobuf-parser-unittest/Group.proto",
        "proto-parses-to/protobuf-parser-unittest/FieldOptions.proto",
        "proto-bad/protobuf-parser-unittest/DefaultValueTooLarge.proto",
    ]
    .iter()
    .map(|p| {
        (
            p.to_string(),
            std::fs::read_to_string(c.join(p)).expect("corpus file"),
        )
    })
    .collect();
    let deps: Vec<(String, String)> = [
        "google/protobuf/descriptor.proto",
        "google/protobuf/any.proto",
        "google/protobuf/unittest_import_public.proto",
        "google/protobuf/unittest_import.proto",
    ]
    .iter()
    .map(|p| (p.to_string(), std::fs::read_to_string(wkt.join(p)).unwrap()))
    .collect();
    let iterations: usize = std::env::var("KIT_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    // Fixed seed by default; KIT_FUZZ_SEED explores other mutations.
    let seed = std::env::var("KIT_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_CAFE_F00D_D00D_u64);
    let mut rng = Rng(seed | 1);
    let opts = Options {
        include_dirs: vec![PathBuf::from("/mem")],
    };
    let mut rejected = 0;
    let t = std::time::Instant::now();
    for i in 0..iterations {
        let (name, src) = &seeds[rng.below(seeds.len())];
        let text = mutate(&mut rng, src);
        let mut loader = MemLoader::new();
        for (p, t) in &deps {
            loader = loader.add(format!("/mem/{p}"), t.clone());
        }
        loader = loader.add("/mem/fuzz/m.proto", text.clone());
        let r = std::panic::catch_unwind(|| {
            let c = compile(&[PathBuf::from("/mem/fuzz/m.proto")], &opts, &loader);
            let _ = c.render_diagnostics(false);
            c.has_errors()
        });
        match r {
            Ok(err) => rejected += err as usize,
            Err(_) => panic!("iteration {i}: compile panicked on a mutation of {name}:\n{text}"),
        }
    }
    println!(
        "{iterations} mutations, {rejected} rejected, no panic, {:.2?}",
        t.elapsed()
    );
}

fn assert_error_not_overflow(text: String) {
    let loader = MemLoader::new().add("/mem/deep.proto", text);
    let c = compile(
        &[PathBuf::from("/mem/deep.proto")],
        &Options::default(),
        &loader,
    );
    assert!(c.has_errors());
}

#[test]
fn deep_map_nesting_is_an_error() {
    let mut t = String::from("syntax = \"proto3\";\nmessage M {\n  ");
    for _ in 0..5000 {
        t.push_str("map<string, ");
    }
    t.push_str("int32");
    for _ in 0..5000 {
        t.push('>');
    }
    t.push_str(" m = 1;\n}\n");
    assert_error_not_overflow(t);
}

#[test]
fn deep_message_nesting_is_an_error() {
    let mut t = String::from("syntax = \"proto3\";\n");
    for i in 0..5000 {
        t.push_str(&format!("message M{i} {{\n"));
    }
    for _ in 0..5000 {
        t.push_str("}\n");
    }
    assert_error_not_overflow(t);
}

#[test]
fn deep_aggregate_option_is_an_error() {
    let mut t = String::from("syntax = \"proto3\";\noption (x) = ");
    for _ in 0..5000 {
        t.push_str("{ a ");
    }
    for _ in 0..5000 {
        t.push('}');
    }
    t.push_str(";\n");
    assert_error_not_overflow(t);
}

#[test]
fn nesting_just_under_the_limit_compiles() {
    // 90 nested messages: below the driver's limit, must compile (no stack trouble).
    let mut t = String::from("syntax = \"proto3\";\n");
    for i in 0..90 {
        t.push_str(&format!("message M{i} {{ int32 f{i} = 1;\n"));
    }
    for _ in 0..90 {
        t.push_str("}\n");
    }
    let loader = MemLoader::new().add("/mem/ok.proto", t);
    let c = compile(
        &[PathBuf::from("/mem/ok.proto")],
        &Options::default(),
        &loader,
    );
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
}

/// Big inputs stay linear-ish: a message with 20,000 proto3 `optional` fields and 5,000
/// reserved ranges, an enum with 20,000 values, and a file importing 500 files.
#[test]
fn large_inputs_are_not_quadratic() {
    let mut t = String::from("syntax = \"proto3\";\npackage big;\n");
    for i in 0..500 {
        t.push_str(&format!("import \"dep{i}.proto\";\n"));
    }
    t.push_str("message Big {\n");
    for i in 0..5000 {
        t.push_str(&format!("  reserved {};\n", 100_000 + i * 2));
    }
    for i in 1..=20_000 {
        let n = if i < 19_000 { i } else { i + 1000 }; // skip 19000-19999
        t.push_str(&format!("  optional D{} f{i} = {n};\n", i % 500));
    }
    t.push_str("}\nenum E {\n");
    for i in 0..20_000 {
        t.push_str(&format!("  E_{i} = {i};\n"));
    }
    t.push_str("}\n");
    let mut loader = MemLoader::new().add("/mem/big.proto", t);
    for i in 0..500 {
        loader = loader.add(
            format!("/mem/dep{i}.proto"),
            format!("syntax = \"proto3\";\npackage big;\nmessage D{i} {{}}\n"),
        );
    }
    let start = std::time::Instant::now();
    let c = compile(
        &[PathBuf::from("/mem/big.proto")],
        &Options {
            include_dirs: vec![PathBuf::from("/mem")],
        },
        &loader,
    );
    let took = start.elapsed();
    println!("large input compiled in {took:.2?}");
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    assert!(took.as_secs() < 60, "took {took:.2?}");
}
