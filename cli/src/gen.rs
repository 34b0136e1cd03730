//! `kit gen`.

use std::io::Write;

use kit_codegen::write::{Change, ChangeKind, TreeWriter};
use kit_idl::{compile, Options, OsLoader};

use std::path::{Path, PathBuf};

use crate::{config, Failure, GenArgs, Term};

/// What to generate: the flags, with kit.toml filling in what they leave out.
pub struct Settings {
    pub files: Vec<PathBuf>,
    pub include: Vec<PathBuf>,
    pub out: PathBuf,
    pub btree_maps: bool,
    pub serde: bool,
    /// Extra attributes `(path, attr)` for types and fields: kit.toml's rules (there are no
    /// flags for them).
    pub type_attributes: Vec<(String, String)>,
    pub field_attributes: Vec<(String, String)>,
    /// kit.toml's `arc`: paths of fields stored as `Arc<T>`.
    pub arc_fields: Vec<String>,
    /// kit.toml's `[scaffold]`: the handler to keep in step with the IDL.
    pub handler: Option<crate::config::ScaffoldSection>,
}

impl Settings {
    pub fn codegen_options(&self) -> kit_codegen::Options {
        kit_codegen::Options {
            btree_maps: self.btree_maps,
            serde: self.serde,
            type_attributes: self.type_attributes.clone(),
            field_attributes: self.field_attributes.clone(),
            arc_fields: self.arc_fields.clone(),
        }
    }
}

/// Above this many changed files, a progress bar shows the writing (on a terminal).
const PROGRESS_MIN_FILES: usize = 300;

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
    let btree_maps = args.btree_maps || gen.is_some_and(|g| g.btree_maps);
    let serde = args.serde || gen.is_some_and(|g| g.serde);
    let type_attributes = gen
        .map(|g| config::GenSection::rules(&g.type_attributes))
        .unwrap_or_default();
    let field_attributes = gen
        .map(|g| config::GenSection::rules(&g.field_attributes))
        .unwrap_or_default();
    let arc_fields = gen.map(|g| g.arc.clone()).unwrap_or_default();
    // The handler is kept in step only when kit.toml decides what is generated.
    let handler = match cfg {
        Some(c) if args.files.is_empty() && args.out.is_none() => c.scaffold,
        _ => None,
    };
    Ok(Settings {
        files,
        include,
        out,
        btree_maps,
        serde,
        type_attributes,
        field_attributes,
        arc_fields,
        handler,
    })
}

/// Compiles the IDL; prints diagnostics. `Ok(None)` when the IDL has errors.
pub fn compile_ir(s: &Settings, term: &Term) -> Result<Option<kit_idl::Compilation>, Failure> {
    let options = Options {
        include_dirs: s.include.clone(),
    };
    // Large runs say what they are doing before the progress bar takes over.
    let status = Status::new(s.files.len(), term);
    status.show(&format!("compiling {} IDL files", s.files.len()));
    let c = compile(&s.files, &options, &OsLoader);
    status.clear();
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
        return Ok(None);
    }
    Ok(Some(c))
}

/// Prints codegen's diagnostics (name collisions): nothing was generated.
fn codegen_failed(
    diags: &[kit_idl::Diagnostic],
    c: &kit_idl::Compilation,
    term: &Term,
) -> Result<(), Failure> {
    let mut err = std::io::stderr().lock();
    err.write_all(kit_idl::diag::render(diags, &c.sources, term.color).as_bytes())?;
    writeln!(err, "error: nothing generated")?;
    Ok(())
}

/// Generates and writes (or, with `check`, only compares) at once: each file is compared and
/// written by the thread that generated it, while the others generate. `Ok(None)` when codegen
/// reports errors (nothing is written then); otherwise the changes and the number of files.
pub fn generate_into(
    c: &kit_idl::Compilation,
    s: &Settings,
    check: bool,
    term: &Term,
) -> Result<Option<(Vec<Change>, usize)>, Failure> {
    let out = &s.out;
    let at = |e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("writing {}: {e}", out.display()))
    };
    let writer = if check {
        TreeWriter::check_only(out)
    } else {
        TreeWriter::new(out)
    };
    let bar = std::sync::Mutex::new(None::<Progress>);
    let result = kit_codegen::generate_with(&c.ir, &s.codegen_options(), |_, count, f| {
        writer.file(f)?;
        let mut bar = bar.lock().unwrap_or_else(|e| e.into_inner());
        bar.get_or_insert_with(|| Progress::new(count, term, "generating"))
            .advance(1);
        Ok::<(), std::io::Error>(())
    });
    if let Some(bar) = bar.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        bar.finish();
    }
    match result {
        Err(diags) => {
            codegen_failed(&diags, c, term)?;
            Ok(None)
        }
        Ok(Err(e)) => Err(at(e).into()),
        Ok(Ok(())) => Ok(Some(writer.finish().map_err(at)?)),
    }
}

/// `generated N files in OUT: ...` (unless quiet) and, when verbose, every change.
fn summary(out: &Path, changes: &[Change], files: usize, term: &Term) -> std::io::Result<()> {
    let mut err = std::io::stderr().lock();
    if !term.quiet {
        let count = |k| changes.iter().filter(|c| c.kind == k).count();
        writeln!(
            err,
            "generated {} file{} in {}: {} added, {} changed, {} removed, {} unchanged",
            files,
            if files == 1 { "" } else { "s" },
            out.display(),
            count(ChangeKind::Added),
            count(ChangeKind::Modified),
            count(ChangeKind::Removed),
            files - count(ChangeKind::Added) - count(ChangeKind::Modified),
        )?;
    }
    if term.verbose {
        for c in changes {
            writeln!(err, "  {:?} {}", c.kind, c.path)?;
        }
    }
    Ok(())
}

/// A one-line status on standard error for runs over more than [`PROGRESS_MIN_FILES`] files,
/// under the same conditions as [`Progress`].
struct Status(bool);

impl Status {
    fn new(files: usize, term: &Term) -> Status {
        Status(term.tty && !term.quiet && files > PROGRESS_MIN_FILES)
    }

    fn show(&self, what: &str) {
        if self.0 {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K  {what}...");
            let _ = err.flush();
        }
    }

    fn clear(&self) {
        if self.0 {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

/// A one-line progress bar on standard error, drawn only on a terminal, never with `-q`, and
/// only for more than [`PROGRESS_MIN_FILES`] files.
struct Progress {
    what: &'static str,
    total: usize,
    done: usize,
    shown: bool,
}

impl Progress {
    fn new(total: usize, term: &Term, what: &'static str) -> Progress {
        Progress {
            what,
            total,
            done: 0,
            shown: term.tty && !term.quiet && total > PROGRESS_MIN_FILES,
        }
    }

    fn advance(&mut self, n: usize) {
        self.done += n;
        if !self.shown {
            return;
        }
        const WIDTH: usize = 40;
        let filled = self.done * WIDTH / self.total.max(1);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r  {} [{}{}] {}/{} files",
            self.what,
            "=".repeat(filled),
            " ".repeat(WIDTH - filled),
            self.done,
            self.total
        );
        let _ = err.flush();
    }

    fn finish(&mut self) {
        if self.shown {
            // Clear the line so the summary starts clean.
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

/// Returns `Ok(true)` on success.
pub fn run(args: &GenArgs, term: &Term) -> Result<bool, Failure> {
    let s = settings(args)?;
    let Some(c) = compile_ir(&s, term)? else {
        return Ok(false);
    };
    let handler = match &s.handler {
        Some(h) => Some(handler_plan(h, &c.ir, &s)?),
        None => None,
    };
    let Some((changes, files)) = generate_into(&c, &s, args.check, term)? else {
        return Ok(false);
    };
    if args.check {
        let ok = check(&s.out, &changes, files, term)?;
        if let Some(h) = &handler {
            h.report_pending(term)?;
        }
        return Ok(ok);
    }
    summary(&s.out, &changes, files, term)?;
    if let Some(h) = handler {
        h.apply(term)?;
    }
    // `kit gen` exits next: the IR goes back to the OS with the process instead of being
    // freed piece by piece (a serial tail of ~10 ms on a 200-file tree).
    std::mem::forget(c);
    Ok(true)
}

fn handler_plan(
    h: &crate::config::ScaffoldSection,
    ir: &kit_idl::ir::Ir,
    s: &Settings,
) -> Result<crate::stubs::HandlerPlan, Failure> {
    let services = kit_codegen::scaffold::services(ir, &s.codegen_options(), &h.mount);
    let text = std::fs::read_to_string(&h.handler).map_err(|e| {
        Failure::Config(format!(
            "cannot read the handler {} ([scaffold] handler in kit.toml): {e}",
            h.handler.display()
        ))
    })?;
    Ok(crate::stubs::plan(&h.handler, &text, &services))
}

/// `kit gen --check`: reports the `changes` a checking [`TreeWriter`] found (it never writes).
fn check(out_dir: &Path, changes: &[Change], files: usize, term: &Term) -> std::io::Result<bool> {
    let mut err = std::io::stderr().lock();
    if changes.is_empty() {
        if !term.quiet {
            writeln!(err, "{} is up to date ({} files)", out_dir.display(), files)?;
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
    for c in changes {
        let what = match c.kind {
            ChangeKind::Added => "missing",
            ChangeKind::Modified => "changed",
            ChangeKind::Removed => "no longer generated",
        };
        writeln!(err, "  {what}: {}", out_dir.join(&c.path).display())?;
    }
    if !term.quiet {
        let mut out = std::io::stdout().lock();
        for c in changes {
            out.write_all(unified_diff(out_dir, c, term.color).as_bytes())?;
        }
    }
    writeln!(err, "run `kit gen` to update it")?;
    Ok(false)
}

fn unified_diff(out_dir: &Path, c: &Change, color: bool) -> String {
    let old = c.old.as_deref().unwrap_or("");
    let new = c.new.as_deref().unwrap_or("");
    diff(
        &out_dir.join(&c.path).display().to_string(),
        old,
        new,
        color,
    )
}

/// A unified diff of `old` → `new`, coloured when `color`.
pub fn diff(path: &str, old: &str, new: &str, color: bool) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn term(tty: bool, quiet: bool) -> Term {
        Term {
            color: false,
            quiet,
            verbose: false,
            tty,
        }
    }

    #[test]
    fn progress_only_for_large_runs_on_a_terminal_without_quiet() {
        let many = PROGRESS_MIN_FILES + 1;
        assert!(Progress::new(many, &term(true, false), "writing").shown);
        assert!(!Progress::new(PROGRESS_MIN_FILES, &term(true, false), "writing").shown);
        assert!(!Progress::new(many, &term(false, false), "writing").shown);
        assert!(!Progress::new(many, &term(true, true), "writing").shown);
        assert!(Status::new(many, &term(true, false)).0);
        assert!(!Status::new(many, &term(true, true)).0);
        assert!(!Status::new(3, &term(true, false)).0);
    }
}
