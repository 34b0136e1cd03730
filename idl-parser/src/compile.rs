//! The driver: load the input files and everything they include (each file once), parse
//! them, check for missing files and include cycles, then lower each language into the IR.
//!
//! Phases are separated by error barriers: lowering never sees a file that failed to parse
//! or an include graph with a cycle.

use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::{IncludeKind, Ir};
use crate::source::{FileId, SourceMap, Span};
use crate::{proto, thrift};

/// Deepest nesting of brackets (`<`, `{`, `[`, `(`) accepted in a file. Real IDL stays far
/// below; the limit keeps the recursive-descent parser and the lowering far from the end of
/// the stack on hostile input.
pub const MAX_NESTING: usize = 100;

/// The well-known types, resolved when no include root or neighbouring file has them.
const BUILTIN: &[(&str, &str)] = &[
    (
        "google/protobuf/any.proto",
        include_str!("../wkt/google/protobuf/any.proto"),
    ),
    (
        "google/protobuf/api.proto",
        include_str!("../wkt/google/protobuf/api.proto"),
    ),
    (
        "google/protobuf/descriptor.proto",
        include_str!("../wkt/google/protobuf/descriptor.proto"),
    ),
    (
        "google/protobuf/duration.proto",
        include_str!("../wkt/google/protobuf/duration.proto"),
    ),
    (
        "google/protobuf/empty.proto",
        include_str!("../wkt/google/protobuf/empty.proto"),
    ),
    (
        "google/protobuf/field_mask.proto",
        include_str!("../wkt/google/protobuf/field_mask.proto"),
    ),
    (
        "google/protobuf/source_context.proto",
        include_str!("../wkt/google/protobuf/source_context.proto"),
    ),
    (
        "google/protobuf/struct.proto",
        include_str!("../wkt/google/protobuf/struct.proto"),
    ),
    (
        "google/protobuf/timestamp.proto",
        include_str!("../wkt/google/protobuf/timestamp.proto"),
    ),
    (
        "google/protobuf/type.proto",
        include_str!("../wkt/google/protobuf/type.proto"),
    ),
    (
        "google/protobuf/wrappers.proto",
        include_str!("../wkt/google/protobuf/wrappers.proto"),
    ),
    (
        "google/protobuf/compiler/plugin.proto",
        include_str!("../wkt/google/protobuf/compiler/plugin.proto"),
    ),
];

/// Where built-in files appear to live. Never a real directory.
const BUILTIN_DIR: &str = "<kit-builtin>";

fn builtin(abs: &Path) -> Option<&'static str> {
    let rel = abs.strip_prefix(BUILTIN_DIR).ok()?;
    let rel = slash(rel);
    BUILTIN.iter().find(|(n, _)| *n == rel).map(|(_, t)| *t)
}

/// Reads files. The driver touches the file system only through this trait, so tests can
/// compile IDL from memory.
pub trait Loader {
    fn read(&self, path: &Path) -> io::Result<String>;
    fn is_file(&self, path: &Path) -> bool;
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct OsLoader;

impl Loader for OsLoader {
    fn read(&self, path: &Path) -> io::Result<String> {
        let bytes = std::fs::read(path)?;
        String::from_utf8(bytes).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not valid UTF-8 (at byte {})", e.utf8_error().valid_up_to()),
            )
        })
    }
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
}

/// In-memory files, for tests and fuzzing: `(path, text)`.
#[derive(Clone, Debug, Default)]
pub struct MemLoader {
    pub files: Vec<(PathBuf, String)>,
}

impl MemLoader {
    pub fn new() -> MemLoader {
        MemLoader::default()
    }
    pub fn add(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> MemLoader {
        self.files.push((absolute(&path.into()), text.into()));
        self
    }
}

impl Loader for MemLoader {
    fn read(&self, path: &Path) -> io::Result<String> {
        let path = absolute(path);
        self.files
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, t)| t.clone())
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }
    fn is_file(&self, path: &Path) -> bool {
        let path = absolute(path);
        self.files.iter().any(|(p, _)| *p == path)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Include roots (`-I`), searched in order.
    pub include_dirs: Vec<PathBuf>,
}

/// The result of a compilation: the sources read, the IR and every diagnostic.
///
/// The IR is complete only when there are no errors; with errors it holds what could be
/// lowered (possibly nothing) and must not be used for code generation.
#[derive(Debug, Default)]
pub struct Compilation {
    pub sources: SourceMap,
    pub ir: Ir,
    pub diagnostics: Diagnostics,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.has_errors()
    }
    /// Renders all diagnostics (see [`crate::diag::render`]).
    pub fn render_diagnostics(&self, color: bool) -> String {
        crate::diag::render(&self.diagnostics.items, &self.sources, color)
    }
}

/// An `include`/`import` statement as a language front end reports it.
#[derive(Clone, Debug)]
pub(crate) struct ImportRequest {
    pub path: String,
    pub kind: IncludeKind,
    pub span: Span,
}

/// An import after the driver found the file.
#[derive(Clone, Debug)]
pub(crate) struct ResolvedImport {
    pub file: FileId,
    pub path: String,
    pub kind: IncludeKind,
    pub span: Span,
}

/// What a language's `lower` gets for each of its files, in dependency order.
pub(crate) struct LoadedFile<'a, A> {
    pub id: FileId,
    /// Logical name (relative to its include root).
    pub name: &'a str,
    pub ast: &'a A,
    pub imports: &'a [ResolvedImport],
    pub is_input: bool,
}

enum Ast {
    Thrift(thrift::Ast),
    Proto(proto::Ast),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Thrift,
    Proto,
}

struct Node {
    ast: Option<Ast>,
    imports: Vec<ResolvedImport>,
    is_input: bool,
}

/// A file's text checked and parsed: its syntax tree (`None` when it could not be parsed) and
/// the diagnostics of the check and parse. A pure function of the file's id, text and language.
struct Parsed {
    ast: Option<Ast>,
    diags: Diagnostics,
}

fn parse_text(id: FileId, text: &str, lang: Lang) -> Parsed {
    let mut diags = Diagnostics::default();
    if let Some(d) = check_nesting(id, text, lang) {
        diags.push(d);
        return Parsed { ast: None, diags };
    }
    let ast = match lang {
        Lang::Thrift => thrift::parse(id, text, &mut diags).map(Ast::Thrift),
        Lang::Proto => proto::parse(id, text, &mut diags).map(Ast::Proto),
    };
    Parsed { ast, diags }
}

/// A file read (and, when there are cores to spare, parsed) before the driver's walk reaches it,
/// under the id the walk is expected to give it.
struct Prefetched {
    id: FileId,
    text: String,
    parsed: Option<Parsed>,
}

/// Compiles IDL files: everything `kit check` does, without touching the terminal.
///
/// Files are parsed on all cores; the result does not depend on the number of threads.
pub fn compile(inputs: &[PathBuf], options: &Options, loader: &dyn Loader) -> Compilation {
    compile_with(inputs, options, loader, true)
}

/// [`compile`], parsing ahead on other threads only when `ahead`.
fn compile_with(
    inputs: &[PathBuf],
    options: &Options,
    loader: &dyn Loader,
    ahead: bool,
) -> Compilation {
    let mut c = Driver {
        loader,
        roots: options.include_dirs.iter().map(|r| absolute(r)).collect(),
        sources: SourceMap::default(),
        diags: Diagnostics::default(),
        nodes: Vec::new(),
        by_path: HashMap::new(),
        prefetched: HashMap::new(),
    };
    if ahead {
        c.prefetched = c.prefetch(inputs);
    }
    let mut inputs_ids = Vec::new();
    for input in inputs {
        let abs = absolute(input);
        let Some(lang) = language_of(&abs) else {
            c.diags.push(Diagnostic::error_nowhere(format!(
                "cannot tell the IDL language of `{}`: expected a `.thrift` or `.proto` file",
                input.display()
            )));
            continue;
        };
        if !loader.is_file(&abs) {
            c.diags.push(Diagnostic::error_nowhere(format!(
                "file not found: `{}`",
                input.display()
            )));
            continue;
        }
        let name = c.logical_name(&abs, None);
        if let Some(id) = c.load(abs, name, lang, None) {
            c.nodes[id.0 as usize].is_input = true;
            inputs_ids.push(id);
        }
    }
    c.finish(inputs_ids)
}

struct Driver<'l> {
    loader: &'l dyn Loader,
    roots: Vec<PathBuf>,
    sources: SourceMap,
    diags: Diagnostics,
    nodes: Vec<Node>,
    by_path: HashMap<PathBuf, FileId>,
    /// Files read and parsed ahead (see [`Driver::prefetch`]), taken as the walk reaches them.
    prefetched: HashMap<PathBuf, Prefetched>,
}

/// Below this many files, parsing ahead on other threads is not worth starting them.
const PARALLEL_MIN_FILES: usize = 8;

impl Driver<'_> {
    /// Reads every file the walk of [`Driver::load`] is expected to reach, in the order it is
    /// expected to reach them (following the imports a quick scan of each text finds), and
    /// parses them on all cores under the ids the walk would give them.
    ///
    /// This is only a guess: `load` uses a parse only when the file really gets the id it was
    /// parsed under, and parses the file itself otherwise (a scan that misread an import, a
    /// file that failed to parse and so has no imports followed). Parsing is a pure function
    /// of id and text, so the result is the same as parsing everything in the walk, whatever
    /// the guess and the number of threads.
    fn prefetch(&self, inputs: &[PathBuf]) -> HashMap<PathBuf, Prefetched> {
        // The inputs (most files, in large runs) are read first and scanned on all cores.
        let mut read_inputs: Vec<(PathBuf, Lang, String)> = Vec::new();
        let mut read_paths = std::collections::HashSet::new();
        for input in inputs {
            let abs = absolute(input);
            let Some(lang) = language_of(&abs) else {
                continue;
            };
            if builtin(&abs).is_some() || read_paths.contains(&abs) {
                continue;
            }
            if let Ok(text) = self.loader.read(&abs) {
                read_paths.insert(abs.clone());
                read_inputs.push((abs, lang, text));
            }
        }
        let scanned = crate::par::par_map(&read_inputs, PARALLEL_MIN_FILES, |(_, lang, text)| {
            scan_imports(text, *lang)
        });
        let mut early: HashMap<PathBuf, (String, Vec<String>)> = read_inputs
            .into_iter()
            .zip(scanned)
            .map(|((abs, _, text), imports)| (abs, (text, imports)))
            .collect();
        let mut files: Vec<(PathBuf, Lang, String)> = Vec::new();
        let mut seen: HashMap<PathBuf, usize> = HashMap::new();
        // Pre-order, as `load` recurses: (file, its scanned imports, the next one to follow).
        let mut stack: Vec<(usize, Vec<String>, usize)> = Vec::new();
        for input in inputs {
            let abs = absolute(input);
            let Some(lang) = language_of(&abs) else {
                continue;
            };
            if !self.loader.is_file(&abs) {
                continue;
            }
            self.prefetch_one(abs, lang, &mut early, &mut files, &mut seen, &mut stack);
            while let Some((i, imports, next)) = stack.last_mut() {
                let Some(path) = imports.get(*next) else {
                    stack.pop();
                    continue;
                };
                *next += 1;
                let (from, lang) = (&files[*i].0, files[*i].1);
                let own = from.parent().map(Path::to_path_buf).unwrap_or_default();
                let found = self.resolve_in(&own, lang, path, |p| seen.contains_key(p));
                if let Some((abs, _)) = found {
                    self.prefetch_one(abs, lang, &mut early, &mut files, &mut seen, &mut stack);
                }
            }
        }
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(files.len());
        let mut parsed: Vec<Option<Parsed>> = Vec::new();
        if threads > 1 && files.len() >= PARALLEL_MIN_FILES {
            let next = std::sync::atomic::AtomicUsize::new(0);
            let work = || {
                let mut done = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((_, lang, text)) = files.get(i) else {
                        break;
                    };
                    done.push((i, parse_text(FileId(i as u32), text, *lang)));
                }
                done
            };
            let done: Vec<(usize, Parsed)> = std::thread::scope(|scope| {
                let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
                let mut done = work();
                for h in helpers {
                    done.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
                }
                done
            });
            parsed.resize_with(files.len(), || None);
            for (i, p) in done {
                parsed[i] = Some(p);
            }
        }
        parsed.resize_with(files.len(), || None);
        files
            .into_iter()
            .zip(parsed)
            .enumerate()
            .map(|(i, ((abs, _, text), parsed))| {
                let id = FileId(i as u32);
                (abs, Prefetched { id, text, parsed })
            })
            .collect()
    }

    /// One step of [`Driver::prefetch`]'s walk: reads a file not seen yet and scans it for
    /// imports. Files that cannot be read are left to `load` (which reports them).
    /// `early` holds the inputs, read and scanned.
    fn prefetch_one(
        &self,
        abs: PathBuf,
        lang: Lang,
        early: &mut HashMap<PathBuf, (String, Vec<String>)>,
        files: &mut Vec<(PathBuf, Lang, String)>,
        seen: &mut HashMap<PathBuf, usize>,
        stack: &mut Vec<(usize, Vec<String>, usize)>,
    ) {
        if seen.contains_key(&abs) {
            return;
        }
        let (text, imports) = match early.remove(&abs) {
            Some(read) => read,
            None => {
                let read = match builtin(&abs) {
                    Some(text) => Ok(text.to_string()),
                    None => self.loader.read(&abs),
                };
                let Ok(text) = read else {
                    return;
                };
                let imports = scan_imports(&text, lang);
                (text, imports)
            }
        };
        seen.insert(abs.clone(), files.len());
        stack.push((files.len(), imports, 0));
        files.push((abs, lang, text));
    }

    /// Loads and parses a file and, depth-first, everything it imports.
    fn load(
        &mut self,
        abs: PathBuf,
        name: String,
        lang: Lang,
        from: Option<Span>,
    ) -> Option<FileId> {
        if let Some(&id) = self.by_path.get(&abs) {
            return Some(id);
        }
        let mut ahead = None;
        let read = match self.prefetched.remove(&abs) {
            Some(p) => {
                // Parsed ahead under the id this file gets now (ids are given in this order).
                if p.id.0 as usize == self.nodes.len() {
                    ahead = p.parsed;
                }
                Ok(p.text)
            }
            None => match builtin(&abs) {
                Some(text) => Ok(text.to_string()),
                None => self.loader.read(&abs),
            },
        };
        let text = match read {
            Ok(t) => t,
            Err(e) => {
                let msg = format!("cannot read `{name}`: {e}");
                self.diags.push(match from {
                    Some(span) => Diagnostic::error(span, msg),
                    None => Diagnostic::error_nowhere(msg),
                });
                return None;
            }
        };
        let id = self.sources.add(name, abs.clone(), text);
        self.by_path.insert(abs, id);
        self.nodes.push(Node {
            ast: None,
            imports: Vec::new(),
            is_input: false,
        });
        let parsed = ahead.unwrap_or_else(|| parse_text(id, &self.sources.get(id).text, lang));
        self.diags.items.extend(parsed.diags.items);
        let Some(ast) = parsed.ast else {
            return Some(id);
        };
        let requests = match &ast {
            Ast::Thrift(ast) => thrift::imports(ast),
            Ast::Proto(ast) => proto::imports(ast),
        };
        self.nodes[id.0 as usize].ast = Some(ast);
        let mut imports = Vec::new();
        for req in requests {
            match self.resolve(id, lang, &req.path) {
                Some((abs, name)) => {
                    if let Some(dep) = self.load(abs, name, lang, Some(req.span)) {
                        imports.push(ResolvedImport {
                            file: dep,
                            path: req.path,
                            kind: req.kind,
                            span: req.span,
                        });
                    }
                }
                None => {
                    let mut d =
                        Diagnostic::error(req.span, format!("file not found: `{}`", req.path))
                            .with_label("imported here");
                    let searched = self.search_dirs(id, lang);
                    if !searched.is_empty() {
                        d = d.with_note(format!("searched: {}", searched.join(", ")));
                    }
                    self.diags.push(d);
                }
            }
        }
        self.nodes[id.0 as usize].imports = imports;
        Some(id)
    }

    fn including_dir(&self, from: FileId) -> PathBuf {
        self.sources
            .get(from)
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    fn candidates(&self, from: FileId, lang: Lang) -> Vec<PathBuf> {
        self.candidates_in(self.including_dir(from), lang)
    }

    /// Thrift: relative to the including file (in `own`), then the roots. Protobuf (as
    /// protoc): the roots, then relative to the including file.
    fn candidates_in(&self, own: PathBuf, lang: Lang) -> Vec<PathBuf> {
        let mut dirs = Vec::with_capacity(self.roots.len() + 1);
        if lang == Lang::Thrift {
            dirs.push(own.clone());
        }
        dirs.extend(self.roots.iter().cloned());
        if lang == Lang::Proto {
            dirs.push(own);
        }
        // A root may be the including file's own directory: search it once.
        let mut seen = Vec::with_capacity(dirs.len());
        dirs.retain(|d| {
            if seen.contains(d) {
                false
            } else {
                seen.push(d.clone());
                true
            }
        });
        dirs
    }

    fn search_dirs(&self, from: FileId, lang: Lang) -> Vec<String> {
        self.candidates(from, lang)
            .iter()
            .map(|d| self.display_path(d))
            .collect()
    }

    fn resolve(&self, from: FileId, lang: Lang, path: &str) -> Option<(PathBuf, String)> {
        let own = self.including_dir(from);
        self.resolve_in(&own, lang, path, |abs| self.by_path.contains_key(abs))
    }

    /// Where `path`, imported by a file in directory `own`, is: the first candidate that is
    /// `known` to be a file or is one.
    fn resolve_in(
        &self,
        own: &Path,
        lang: Lang,
        path: &str,
        known: impl Fn(&Path) -> bool,
    ) -> Option<(PathBuf, String)> {
        for dir in self.candidates_in(own.to_path_buf(), lang) {
            let abs = normalize(&dir.join(path));
            if known(&abs) || self.loader.is_file(&abs) {
                let name = self.logical_name(&abs, None);
                return Some((abs, name));
            }
        }
        if lang == Lang::Proto {
            let abs = normalize(&Path::new(BUILTIN_DIR).join(path));
            if builtin(&abs).is_some() {
                return Some((abs, slash(&normalize(Path::new(path)))));
            }
        }
        None
    }

    /// The first root that contains the file names it; otherwise the path relative to the
    /// current directory, or failing that, as it is.
    fn logical_name(&self, abs: &Path, _from: Option<FileId>) -> String {
        for root in &self.roots {
            if let Ok(rel) = abs.strip_prefix(root) {
                return slash(rel);
            }
        }
        self.display_path(abs)
    }

    fn display_path(&self, abs: &Path) -> String {
        if let Ok(cwd) = std::env::current_dir() {
            if let Some(rel) = relative_to(abs, &cwd) {
                return slash(&rel);
            }
        }
        slash(abs)
    }

    fn finish(mut self, inputs: Vec<FileId>) -> Compilation {
        // Include cycles: a clear error at the include that closes the cycle.
        let order = self.topo_order(&inputs);
        if self.diags.has_errors() {
            self.diags.sort();
            return Compilation {
                sources: self.sources,
                ir: Ir::default(),
                diagnostics: self.diags,
            };
        }
        let mut ir = Ir::default();
        let mut thrift_files = Vec::new();
        let mut proto_files = Vec::new();
        for &id in &order {
            let node = &self.nodes[id.0 as usize];
            let name = self.sources.get(id).name.as_str();
            match &node.ast {
                Some(Ast::Thrift(ast)) => thrift_files.push(LoadedFile {
                    id,
                    name,
                    ast,
                    imports: &node.imports,
                    is_input: node.is_input,
                }),
                Some(Ast::Proto(ast)) => proto_files.push(LoadedFile {
                    id,
                    name,
                    ast,
                    imports: &node.imports,
                    is_input: node.is_input,
                }),
                None => {}
            }
        }
        if !thrift_files.is_empty() {
            thrift::lower(&thrift_files, &self.sources, &mut ir, &mut self.diags);
        }
        if !proto_files.is_empty() {
            proto::lower(&proto_files, &self.sources, &mut ir, &mut self.diags);
        }
        drop(thrift_files);
        drop(proto_files);
        // The ASTs are many small allocations: free them on all cores.
        crate::par::par_drop(std::mem::take(&mut self.nodes), PARALLEL_MIN_FILES);
        ir.reindex();
        self.diags.sort();
        Compilation {
            sources: self.sources,
            ir,
            diagnostics: self.diags,
        }
    }

    /// Dependency order (post-order DFS from the inputs), reporting cycles.
    fn topo_order(&mut self, inputs: &[FileId]) -> Vec<FileId> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
        }
        let n = self.nodes.len();
        let mut mark = vec![Mark::New; n];
        let mut order = Vec::with_capacity(n);
        let mut cycles = Vec::new();
        // Iterative DFS: (file, next import index). Include chains can be long.
        let mut stack: Vec<(FileId, usize)> = Vec::new();
        for &root in inputs {
            if mark[root.0 as usize] != Mark::New {
                continue;
            }
            mark[root.0 as usize] = Mark::Active;
            stack.push((root, 0));
            while let Some(&mut (id, ref mut next)) = stack.last_mut() {
                let imports = &self.nodes[id.0 as usize].imports;
                if *next < imports.len() {
                    let imp = &imports[*next];
                    *next += 1;
                    match mark[imp.file.0 as usize] {
                        Mark::New => {
                            mark[imp.file.0 as usize] = Mark::Active;
                            stack.push((imp.file, 0));
                        }
                        Mark::Active => {
                            let start = stack.iter().position(|(f, _)| *f == imp.file).unwrap_or(0);
                            let mut chain: Vec<&str> = stack[start..]
                                .iter()
                                .map(|(f, _)| self.sources.get(*f).name.as_str())
                                .collect();
                            chain.push(self.sources.get(imp.file).name.as_str());
                            cycles.push(
                                Diagnostic::error(
                                    imp.span,
                                    format!("include cycle: {}", chain.join(" -> ")),
                                )
                                .with_label("this include closes the cycle")
                                .with_note(
                                    "files may not include themselves, directly or through others",
                                ),
                            );
                        }
                        Mark::Done => {}
                    }
                } else {
                    mark[id.0 as usize] = Mark::Done;
                    order.push(id);
                    stack.pop();
                }
            }
        }
        for d in cycles {
            self.diags.push(d);
        }
        order
    }
}

fn language_of(path: &Path) -> Option<Lang> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("thrift") => Some(Lang::Thrift),
        Some("proto") => Some(Lang::Proto),
        _ => None,
    }
}

/// Rejects nesting deeper than [`MAX_NESTING`] before the parser sees the text.
fn check_nesting(file: FileId, text: &str, lang: Lang) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut too_deep = None;
    crate::scan::scan(text, lang == Lang::Thrift, |piece| {
        if let crate::scan::Piece::Code(i, c) = piece {
            match c {
                b'<' | b'{' | b'[' | b'(' => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        too_deep = Some(i);
                        return false;
                    }
                }
                b'>' | b'}' | b']' | b')' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        true
    });
    too_deep.map(|i| {
        Diagnostic::error(
            Span::new(file, i..i + 1),
            format!("nesting deeper than {MAX_NESTING} levels"),
        )
        .with_label("too deep")
        .with_note("kit limits how deeply types, messages and values may nest")
    })
}

/// The paths of a file's `import "..."` (Protobuf, also `import public`/`weak`) or
/// `include "..."` (Thrift) statements, as a quick scan sees them: a guess for
/// [`Driver::prefetch`], never used for anything else.
fn scan_imports(text: &str, lang: Lang) -> Vec<String> {
    let keyword = match lang {
        Lang::Thrift => "include",
        Lang::Proto => "import",
    };
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut ends = Vec::new();
    let mut start: Option<usize> = None;
    let mut last = 0;
    crate::scan::scan(text, lang == Lang::Thrift, |piece| {
        let crate::scan::Piece::Code(i, c) = piece else {
            if let Some(s) = start.take() {
                if &text[s..last + 1] == keyword {
                    ends.push(last + 1);
                }
            }
            return true;
        };
        // A word ends at a non-word byte or where a string or comment interrupted it.
        if let Some(s) = start {
            if !word(c) || i != last + 1 {
                if &text[s..last + 1] == keyword {
                    ends.push(last + 1);
                }
                start = None;
            }
        }
        if word(c) && start.is_none() && (i == 0 || !word(b[i - 1])) {
            start = Some(i);
        }
        last = i;
        true
    });
    if let Some(s) = start {
        if &text[s..] == keyword {
            ends.push(text.len());
        }
    }
    let mut out = Vec::new();
    for end in ends {
        let mut rest = text[end..].trim_start();
        for modifier in ["public", "weak"] {
            if lang == Lang::Proto {
                if let Some(r) = rest.strip_prefix(modifier) {
                    rest = r.trim_start();
                }
            }
        }
        let Some(q) = rest.chars().next().filter(|&c| c == '"' || c == '\'') else {
            continue;
        };
        if let Some(close) = rest[1..].find(q) {
            out.push(rest[1..1 + close].to_string());
        }
    }
    out
}

fn absolute(p: &Path) -> PathBuf {
    normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

/// Lexical normalisation: drops `.` and folds `dir/..`, without touching the file system.
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn relative_to(path: &Path, base: &Path) -> Option<PathBuf> {
    let mut p = path.components().peekable();
    let mut b = base.components().peekable();
    while let (Some(x), Some(y)) = (p.peek(), b.peek()) {
        if x != y {
            break;
        }
        p.next();
        b.next();
    }
    let ups = b.count();
    if ups > 3 {
        return None;
    }
    let mut out = PathBuf::new();
    for _ in 0..ups {
        out.push("..");
    }
    for c in p {
        out.push(c.as_os_str());
    }
    Some(out)
}

fn slash(p: &Path) -> String {
    let s = p.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a compilation produces, comparable.
    fn outcome(c: &Compilation) -> (String, Vec<Diagnostic>, Vec<String>) {
        (
            serde_json::to_string(&c.ir).expect("IR serializes"),
            c.diagnostics.items.clone(),
            c.sources.iter().map(|(_, f)| f.name.clone()).collect(),
        )
    }

    /// Parsing ahead on other threads gives what parsing in the walk gives, also when the
    /// quick import scan guesses wrong: an import it cannot read (a comment before the path),
    /// a file that fails to parse (its imports are not followed, so later files get other ids
    /// than guessed), a missing file, a nesting error.
    #[test]
    fn parsing_ahead_changes_nothing() {
        let mut loader = MemLoader::new()
            .add("a.proto", "syntax = \"proto3\";\nimport /* x */ \"b.proto\";\nimport \"bad.proto\";\nimport \"c.proto\";\nmessage A { B b = 1; C c = 2; }\n")
            .add("b.proto", "syntax = \"proto3\";\nimport \"d.proto\";\nmessage B { D d = 1; }\n")
            .add("bad.proto", "syntax = \"proto3\";\nimport \"e.proto\";\nmessage Bad { int32 = 1; }\n")
            .add("c.proto", "syntax = \"proto3\";\nimport \"missing.proto\";\nmessage C {}\n")
            .add("d.proto", "syntax = \"proto3\";\nmessage D {}\n")
            .add("e.proto", "syntax = \"proto3\";\nmessage E {}\n")
            .add("deep.proto", format!("syntax = \"proto3\";\n{}", "{".repeat(200)))
            .add("t1.thrift", "include \"t2.thrift\"\nstruct S { 1: t2.T t }\n")
            .add("t2.thrift", "struct T { 1: i32 x }\n");
        let mut inputs: Vec<PathBuf> = ["a.proto", "deep.proto", "t1.thrift"]
            .iter()
            .map(PathBuf::from)
            .collect();
        for i in 0..10 {
            let name = format!("f{i}.proto");
            let text =
                format!("syntax = \"proto3\";\nimport \"d.proto\";\nmessage F{i} {{ D d = 1; }}\n");
            loader = loader.add(name.clone(), text);
            inputs.push(name.into());
        }
        let options = Options::default();
        let walk = compile_with(&inputs, &options, &loader, false);
        let ahead = compile_with(&inputs, &options, &loader, true);
        assert!(walk.has_errors());
        assert_eq!(outcome(&ahead), outcome(&walk));
        // Without the bad files, the IR is whole and still the same.
        let good: Vec<PathBuf> = inputs[2..].to_vec();
        let walk = compile_with(&good, &options, &loader, false);
        let ahead = compile_with(&good, &options, &loader, true);
        assert!(!walk.has_errors(), "{}", walk.render_diagnostics(false));
        assert!(!walk.ir.defs.is_empty());
        assert_eq!(outcome(&ahead), outcome(&walk));
    }

    #[test]
    fn the_import_scan_finds_statements_not_strings_or_comments() {
        let proto = "import \"a.proto\"; import public 'b.proto';import weak \"c.proto\";\n\
                     // import \"no.proto\";\n/* import \"no2.proto\" */ string s = \"import x\";\n\
                     message import_ {} import\"d.proto\";";
        assert_eq!(
            scan_imports(proto, Lang::Proto),
            ["a.proto", "b.proto", "c.proto", "d.proto"]
        );
        let thrift = "include \"x.thrift\"\n# include \"no.thrift\"\ncpp_include \"y.h\"\ninclude";
        assert_eq!(scan_imports(thrift, Lang::Thrift), ["x.thrift"]);
        assert!(scan_imports("import", Lang::Proto).is_empty());
        assert!(scan_imports("import \"unterminated", Lang::Proto).is_empty());
    }
}
