//! `prost-gen [-I DIR]... -o OUT_DIR FILE...`: prost-build as its docs describe it (one
//! `Config`, `compile_protos` on every file at once; it runs `protoc` from PATH or `$PROTOC`,
//! then writes one `<package>.rs` per package into OUT_DIR). `bytes(["."])` makes `bytes` fields
//! `bytes::Bytes`, as in kit and the codec benches.

fn main() {
    let usage = "usage: prost-gen [-I DIR]... -o OUT_DIR FILE...";
    let args = kit_bench_codegen::parse(usage).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    std::fs::create_dir_all(&args.out).expect("creating OUT_DIR");
    let mut includes = args.includes;
    if includes.is_empty() {
        includes.push(".".into());
    }
    if let Err(e) = prost_build::Config::new()
        .out_dir(&args.out)
        .bytes(["."])
        .compile_protos(&args.files, &includes)
    {
        eprintln!("prost-build: {e}");
        std::process::exit(1);
    }
}
