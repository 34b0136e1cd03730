//! `kit gen`.

use std::io::Write;

use kit_codegen::write::{plan, write_tree, Change, ChangeKind};
use kit_codegen::GeneratedFile;
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
    if args.check {
        return check(args, &files, term);
    }
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

/// `kit gen --check`: compares in memory, never writes.
fn check(args: &GenArgs, files: &[GeneratedFile], term: &Term) -> std::io::Result<bool> {
    let changes = plan(&args.out, files)?;
    let mut err = std::io::stderr().lock();
    if changes.is_empty() {
        if !term.quiet {
            writeln!(
                err,
                "{} is up to date ({} files)",
                args.out.display(),
                files.len()
            )?;
        }
        return Ok(true);
    }
    writeln!(
        err,
        "error: {} is stale: {} file{} differ from what `kit gen` would write",
        args.out.display(),
        changes.len(),
        if changes.len() == 1 { "" } else { "s" }
    )?;
    for c in &changes {
        let what = match c.kind {
            ChangeKind::Added => "missing",
            ChangeKind::Modified => "changed",
            ChangeKind::Removed => "no longer generated",
        };
        writeln!(err, "  {what}: {}", args.out.join(&c.path).display())?;
    }
    if !term.quiet {
        let mut out = std::io::stdout().lock();
        for c in &changes {
            out.write_all(unified_diff(args, c, term.color).as_bytes())?;
        }
    }
    writeln!(err, "run `kit gen` to update it")?;
    Ok(false)
}

fn unified_diff(args: &GenArgs, c: &Change, color: bool) -> String {
    let old = c.old.as_deref().unwrap_or("");
    let new = c.new.as_deref().unwrap_or("");
    let path = args.out.join(&c.path).display().to_string();
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string();
    if !color {
        return text;
    }
    text.lines()
        .map(|l| {
            let code = if l.starts_with("+++") || l.starts_with("---") {
                "1"
            } else if l.starts_with('+') {
                "32"
            } else if l.starts_with('-') {
                "31"
            } else if l.starts_with("@@") {
                "36"
            } else {
                return format!("{l}\n");
            };
            format!("\x1b[{code}m{l}\x1b[0m\n")
        })
        .collect()
}
