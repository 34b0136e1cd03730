//! `pilota-gen thrift|proto [-I DIR]... -o OUT_FILE FILE...`: pilota-build as volo's own build
//! script drives it (`Builder::thrift()` / `Builder::pb()`, every file one `IdlService`,
//! `compile_with_config` into one `Output::File`), with the builder's defaults otherwise
//! (`ignore_unused(true)`: like `kit gen`, it generates what the given files reach).

use pilota_build::{Builder, IdlService, Output};

fn main() {
    let usage = "usage: pilota-gen thrift|proto [-I DIR]... -o OUT_FILE FILE...";
    let kind = std::env::args().nth(1).unwrap_or_default();
    // The kind is the first argument; the rest is the common `[-I DIR]... -o OUT FILE...`.
    let args = match kind.as_str() {
        "thrift" | "proto" => kit_bench_codegen::parse_from(2, usage),
        _ => Err(usage.to_string()),
    }
    .unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir).expect("creating the output directory");
    }
    let services: Vec<IdlService> = args
        .files
        .iter()
        .cloned()
        .map(IdlService::from_path)
        .collect();
    let out = Output::File(args.out.clone());
    if kind == "thrift" {
        Builder::thrift()
            .include_dirs(args.includes)
            .compile_with_config(services, out);
    } else {
        Builder::pb()
            .include_dirs(args.includes)
            .compile_with_config(services, out);
    }
}
