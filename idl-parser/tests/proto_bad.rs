//! protoc's parser unit test failure cases: kit must reject each one, and its first error must
//! be on the line protoc reports (columns are compared and counted, not required).

use std::path::{Path, PathBuf};

use kit_idl::{compile, Options, OsLoader};

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/proto-bad/protobuf-parser-unittest")
}

/// `(line, col, message)`, 0-based, of the earliest error of an `.expected_errors` file.
/// protoc lists errors in the order its validator finds them; kit sorts them by position, so
/// kit's first error is compared with protoc's earliest one.
fn expected(path: &Path) -> Option<(usize, usize, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut best: Option<(usize, usize, String)> = None;
    for line in text.lines() {
        let mut it = line.splitn(3, ':');
        let (Some(l), Some(c), Some(m)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        let (Ok(l), Ok(c)) = (l.trim().parse::<usize>(), c.trim().parse::<usize>()) else {
            continue;
        };
        if best.as_ref().is_none_or(|b| (l, c) < (b.0, b.1)) {
            best = Some((l, c, m.trim().to_owned()));
        }
    }
    best
}

/// Cases where kit reports the error at a different line on purpose.
const KNOWN_LINE_DIFFERENCES: &[(&str, &str)] = &[
    (
        "EnumAllowAliasFalse",
        "protoc has no location for this error and reports the end of the file; kit points at the `allow_alias` option",
    ),
    (
        "UnnecessaryEnumAllowAlias",
        "protoc has no location for this error and reports the end of the file; kit points at the enum name",
    ),
];

#[test]
fn protoc_rejects_are_rejected_at_the_same_line() {
    let dir = folder();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "proto"))
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 86);
    // The C++ test builds a few dependencies into its pool; they are recreated as files.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let opts = Options {
        include_dirs: vec![
            dir.clone(),
            manifest.join("tests/fixtures/proto/parser-unittest-deps"),
            manifest.join("../../shared/corpus/proto/protobuf-v21.12"),
        ],
    };
    let mut known = 0;
    let mut accepted = Vec::new();
    let mut wrong_line = Vec::new();
    let mut same_col = 0;
    for p in &cases {
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_owned();
        let (el, ec, emsg) = expected(&p.with_extension("expected_errors")).expect("expected file");
        let c = compile(std::slice::from_ref(p), &opts, &OsLoader);
        let Some(first) = c.diagnostics.items.iter().find(|d| d.is_error()) else {
            accepted.push(name);
            continue;
        };
        let Some((_, line, col)) = first.location(&c.sources) else {
            wrong_line.push(format!("{name}: error without a place: {}", first.message));
            continue;
        };
        let (line, col) = (line - 1, col - 1);
        if line != el && KNOWN_LINE_DIFFERENCES.iter().any(|(n, _)| *n == name) {
            known += 1;
        } else if line != el {
            wrong_line.push(format!(
                "{name}: protoc {el}:{ec} {emsg}\n    kit    {line}:{col} {}",
                first.message
            ));
        } else if col == ec {
            same_col += 1;
        } else if std::env::var("KIT_SHOW_COLUMNS").is_ok() {
            println!(
                "column: {name}: protoc {el}:{ec} {emsg}\n        kit    {line}:{col} {}",
                first.message
            );
        }
    }
    println!(
        "{} cases; all rejected: {}; {} at protoc's line ({} of those also at protoc's column); {} known differences",
        cases.len(),
        accepted.is_empty(),
        cases.len() - accepted.len() - wrong_line.len() - known,
        same_col,
        known
    );
    assert!(
        accepted.is_empty() && wrong_line.is_empty(),
        "accepted by kit: {accepted:?}\nfirst error on a different line ({}):\n{}",
        wrong_line.len(),
        wrong_line.join("\n")
    );
}
