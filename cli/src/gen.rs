//! `kit gen`.

use std::io::Write;

use kit_codegen::write::{plan, write_tree, Change, ChangeKind};
use kit_codegen::GeneratedFile;
use kit_idl::{compile, Options, OsLoader};

use std::path::{Path, PathBuf};

use crate::{config, Failure, GenArgs, Term};

/// What to generate: the flags, with kit.toml filling in what they leave out.
struct Settings {
    files: Vec<PathBuf>,
    include: Vec<PathBuf>,
    out: PathBuf,
    btree_maps: bool,
}

fn settings(args: &GenArgs) -> Result<Settings, Failure> {
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => std::env::current_dir().ok().and_then(|d| config::find(&d)),
    };
    let cfg = match &path {
        Some(p) => Some(config::load(p).map_err(Failure::Config)?),
        None => None,
    };
    let gen = cfg.as_ref().map(|c| &c.gen);
    let files = if args.files.is_empty() {
        gen.map(|g| g.idl.clone()).unwrap_or_default()
    } else {
        args.files.clone()
    };
    if files.is_empty() {
        return Err(Failure::Usage(match &cfg {
            Some(c) => format!(
                "no IDL files: name them, or list them in {} as [gen] idl = [...]",
                c.path.display()
            ),
            None => {
                "no IDL files: name them, or run where a kit.toml lists them ([gen] idl = [...])"
                    .to_string()
            }
        }));
    }
    let include = if args.include.is_empty() {
        gen.map(|g| g.include.clone()).unwrap_or_default()
    } else {
        args.include.clone()
    };
    let Some(out) = args.out.clone().or_else(|| gen.and_then(|g| g.out.clone())) else {
        return Err(Failure::Usage(
            "no output directory: pass -o OUT, or set [gen] out in kit.toml".to_string(),
        ));
    };
    Ok(Settings {
        files,
        include,
        out,
        btree_maps: args.btree_maps || gen.is_some_and(|g| g.btree_maps),
    })
}

/// Returns `Ok(true)` on success.
pub fn run(args: &GenArgs, term: &Term) -> Result<bool, Failure> {
    let s = settings(args)?;
    let options = Options {
        include_dirs: s.include.clone(),
    };
    let c = compile(&s.files, &options, &OsLoader);
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
        btree_maps: s.btree_maps,
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
        return Ok(check(&s.out, &files, term)?);
    }
    let changes = write_tree(&s.out, &files)
        .map_err(|e| std::io::Error::new(e.kind(), format!("writing {}: {e}", s.out.display())))?;
    if !term.quiet {
        let count = |k| changes.iter().filter(|c| c.kind == k).count();
        writeln!(
            err,
            "generated {} file{} in {}: {} added, {} changed, {} removed, {} unchanged",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            s.out.display(),
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
fn check(out_dir: &Path, files: &[GeneratedFile], term: &Term) -> std::io::Result<bool> {
    let changes = plan(out_dir, files)?;
    let mut err = std::io::stderr().lock();
    if changes.is_empty() {
        if !term.quiet {
            writeln!(
                err,
                "{} is up to date ({} files)",
                out_dir.display(),
                files.len()
            )?;
        }
        return Ok(true);
    }
    writeln!(
        err,
        "error: {} is stale: {} file{} differ from what `kit gen` would write",
        out_dir.display(),
        changes.len(),
        if changes.len() == 1 { "" } else { "s" }
    )?;
    for c in &changes {
        let what = match c.kind {
            ChangeKind::Added => "missing",
            ChangeKind::Modified => "changed",
            ChangeKind::Removed => "no longer generated",
        };
        writeln!(err, "  {what}: {}", out_dir.join(&c.path).display())?;
    }
    if !term.quiet {
        let mut out = std::io::stdout().lock();
        for c in &changes {
            out.write_all(unified_diff(out_dir, c, term.color).as_bytes())?;
        }
    }
    writeln!(err, "run `kit gen` to update it")?;
    Ok(false)
}

fn unified_diff(out_dir: &Path, c: &Change, color: bool) -> String {
    let old = c.old.as_deref().unwrap_or("");
    let new = c.new.as_deref().unwrap_or("");
    let path = out_dir.join(&c.path).display().to_string();
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
