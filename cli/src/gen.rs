//! `kit gen`.

use std::io::Write;

use kit_codegen::write::{write_tree, ChangeKind};
use kit_idl::{compile, Options, OsLoader};

use crate::{GenArgs, Term};

/// Returns `Ok(true)` on success.
pub fn run(args: &GenArgs, term: &Term) -> std::io::Result<bool> {
    let options = Options {
        include_dirs: args.include.clone(),
    };
    let c = compile(&args.files, &options, &OsLoader);
    let mut err = std::io::stderr().lock();
    let shown: Vec<_> = c
        .diagnostics
        .items
        .iter()
        .filter(|d| d.is_error() || !term.quiet)
        .cloned()
        .collect();
    if !shown.is_empty() {
        err.write_all(kit_idl::diag::render(&shown, &c.sources, term.color).as_bytes())?;
    }
    if c.has_errors() {
        writeln!(err, "error: nothing generated: the IDL has errors")?;
        return Ok(false);
    }
    let opts = kit_codegen::Options {
        btree_maps: args.btree_maps,
    };
    let files = match kit_codegen::generate(&c.ir, &opts) {
        Ok(files) => files,
        Err(diags) => {
            err.write_all(kit_idl::diag::render(&diags, &c.sources, term.color).as_bytes())?;
            writeln!(err, "error: nothing generated")?;
            return Ok(false);
        }
    };
    let changes = write_tree(&args.out, &files).map_err(|e| {
        std::io::Error::new(e.kind(), format!("writing {}: {e}", args.out.display()))
    })?;
    if !term.quiet {
        let count = |k| changes.iter().filter(|c| c.kind == k).count();
        writeln!(
            err,
            "generated {} file{} in {}: {} added, {} changed, {} removed, {} unchanged",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            args.out.display(),
            count(ChangeKind::Added),
            count(ChangeKind::Modified),
            count(ChangeKind::Removed),
            files.len() - count(ChangeKind::Added) - count(ChangeKind::Modified),
        )?;
    }
    if term.verbose {
        for c in &changes {
            writeln!(err, "  {:?} {}", c.kind, c.path)?;
        }
    }
    Ok(true)
}
