//! Every Protobuf file of the accepted corpus compiles (protobuf v21.12, googleapis,
//! grpc-proto), with the include roots from the corpus README.

use std::path::{Path, PathBuf};

use kit_idl::{compile, Options, OsLoader};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus")
}

fn protos(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "proto"))
        .map(|e| e.path().to_path_buf())
        .collect();
    v.sort();
    v
}

fn roots(folder: &str) -> Vec<PathBuf> {
    let c = corpus().join("proto");
    match folder {
        "protobuf-v21.12" => vec![c.join("protobuf-v21.12")],
        "googleapis" => vec![c.join("googleapis"), c.join("protobuf-v21.12")],
        _ => vec![
            c.join("grpc-proto"),
            c.join("protobuf-v21.12"),
            c.join("googleapis"),
        ],
    }
}

fn accept_folder(folder: &str) {
    let dir = corpus().join("proto").join(folder);
    let files = protos(&dir);
    assert!(!files.is_empty(), "no files under {}", dir.display());
    let opts = Options {
        include_dirs: roots(folder),
    };
    let mut failures = Vec::new();
    for f in &files {
        let c = compile(std::slice::from_ref(f), &opts, &OsLoader);
        if c.has_errors() {
            let text = c.render_diagnostics(false);
            let first: String = text.lines().take(12).collect::<Vec<_>>().join("\n");
            failures.push(format!("{}:\n{first}", f.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files rejected:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[test]
fn protobuf_v21_accepted() {
    accept_folder("protobuf-v21.12");
}

#[test]
fn googleapis_accepted() {
    accept_folder("googleapis");
}

#[test]
fn grpc_proto_accepted() {
    accept_folder("grpc-proto");
}
