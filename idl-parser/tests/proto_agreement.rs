//! kit agrees with protoc 3.21 (corpus `VALIDATION.tsv`) on every Protobuf file of the
//! pilota, kitex and volo folders: same accept/reject, and for rejects an error in the file and
//! on the line protoc names.

use std::path::{Path, PathBuf};

use kit_idl::{compile, Options, OsLoader};

#[test]
fn pilota_kitex_volo_agree_with_protoc() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    let table = std::fs::read_to_string(corpus.join("VALIDATION.tsv")).expect("VALIDATION.tsv");
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in table.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 || cols[1] != "protoc-3.21" {
            continue;
        }
        let file = cols[0];
        if !["proto/pilota/", "proto/kitex/", "proto/volo/"]
            .iter()
            .any(|p| file.starts_with(p))
        {
            continue;
        }
        let path = corpus.join(file);
        let own: PathBuf = path.parent().unwrap().to_path_buf();
        let opts = Options {
            include_dirs: vec![
                own,
                corpus.join("proto/pilota/pilota-build/proto"),
                corpus.join("proto/pilota/examples/idl"),
                corpus.join("proto/protobuf-v21.12"),
            ],
        };
        let c = compile(&[path], &opts, &OsLoader);
        checked += 1;
        let protoc_ok = cols[2] == "OK";
        if protoc_ok == c.has_errors() {
            failures.push(format!(
                "{file}: protoc {} / kit {}\n{}",
                cols[2],
                if c.has_errors() { "FAIL" } else { "OK" },
                c.render_diagnostics(false)
            ));
            continue;
        }
        if !protoc_ok {
            // `name.proto:LINE:COL: message`
            let msg = cols.get(3).copied().unwrap_or("");
            let mut it = msg.splitn(3, ':');
            let (Some(pf), Some(pl)) = (it.next(), it.next()) else {
                continue;
            };
            let pl: usize = pl.parse().unwrap_or(0);
            let hit = c
                .diagnostics
                .items
                .iter()
                .filter(|d| d.is_error())
                .any(|d| {
                    d.location(&c.sources)
                        .is_some_and(|(f, l, _)| f.ends_with(pf) && l == pl)
                });
            if !hit {
                failures.push(format!(
                    "{file}: protoc says {msg}; kit:\n{}",
                    c.render_diagnostics(false)
                ));
            }
        }
    }
    assert_eq!(checked, 41);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
