//! `kit check`.

use std::io::Write;

use kit_idl::{compile, Options, OsLoader};

use crate::{CheckArgs, Term};

/// Returns `Ok(true)` when there are no errors.
pub fn run(args: &CheckArgs, term: &Term) -> std::io::Result<bool> {
    let options = Options {
        include_dirs: args.include.clone(),
    };
    let c = compile(&args.files, &options, &OsLoader);
    let shown: Vec<_> = c
        .diagnostics
        .items
        .iter()
        .filter(|d| d.is_error() || !term.quiet)
        .cloned()
        .collect();
    let mut err = std::io::stderr().lock();
    if !shown.is_empty() {
        err.write_all(kit_idl::diag::render(&shown, &c.sources, term.color).as_bytes())?;
    }
    let errors = c.diagnostics.error_count();
    let warnings = c.diagnostics.warning_count();
    if errors > 0 {
        writeln!(
            err,
            "error: {} failed with {errors} error{}{}",
            plural_files(args.files.len()),
            if errors == 1 { "" } else { "s" },
            if warnings > 0 && !term.quiet {
                format!(
                    " and {warnings} warning{}",
                    if warnings == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        )?;
        return Ok(false);
    }
    if args.dump_ir {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &c.ir).map_err(std::io::Error::other)?;
        writeln!(out)?;
    }
    if term.verbose {
        writeln!(
            err,
            "checked {} file{} ({} definitions), {warnings} warning{}",
            c.sources.len(),
            if c.sources.len() == 1 { "" } else { "s" },
            c.ir.defs.len(),
            if warnings == 1 { "" } else { "s" }
        )?;
    }
    Ok(true)
}

fn plural_files(n: usize) -> String {
    if n == 1 {
        "check".to_string()
    } else {
        format!("check of {n} files")
    }
}
