//! Generating code from a build script into `OUT_DIR`.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::Options;

/// Compiles IDL from `build.rs` into `OUT_DIR/kit_gen.rs`, to be included with
/// `include!(concat!(env!("OUT_DIR"), "/kit_gen.rs"));`.
///
/// ```no_run
/// // in build.rs, inside `fn main()`:
/// kit_codegen::Builder::new()
///     .include("idl")
///     .file("idl/echo.thrift")
///     .generate()
///     .unwrap_or_else(|e| panic!("{e}"));
/// ```
///
/// Every IDL file read (the inputs and everything they include) is announced with
/// `cargo:rerun-if-changed`, so Cargo rebuilds when any of them changes.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    includes: Vec<PathBuf>,
    files: Vec<PathBuf>,
    out_dir: Option<PathBuf>,
    options: Options,
    emit_rerun: bool,
}

/// Why generation failed: the rendered diagnostics, or an I/O error.
#[derive(Debug)]
pub struct BuildError(String);

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

impl Builder {
    pub fn new() -> Builder {
        Builder {
            emit_rerun: true,
            ..Builder::default()
        }
    }
    /// Adds an include root (`-I`).
    pub fn include(mut self, dir: impl AsRef<Path>) -> Builder {
        self.includes.push(dir.as_ref().to_path_buf());
        self
    }
    /// Adds an IDL file to compile.
    pub fn file(mut self, file: impl AsRef<Path>) -> Builder {
        self.files.push(file.as_ref().to_path_buf());
        self
    }
    /// Writes somewhere other than `OUT_DIR`.
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Builder {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }
    /// `BTreeMap` instead of `HashMap` for maps.
    pub fn btree_maps(mut self, yes: bool) -> Builder {
        self.options.btree_maps = yes;
        self
    }

    /// Derives serde's `Serialize`/`Deserialize` on generated types ([`crate::Options::serde`];
    /// the crate needs `kit-runtime` with its `serde` feature).
    pub fn serde(mut self, yes: bool) -> Builder {
        self.options.serde = yes;
        self
    }
    /// Adds `attr` (Rust attributes such as `#[derive(Hash)]`) to the types whose IDL path
    /// matches `path` (`.`, `.pkg`, `.pkg.Type` or `Type`; see [`Options::validate`]).
    /// Rules apply in the order added; [`Builder::generate`] fails on one that does not parse.
    pub fn type_attribute(mut self, path: impl Into<String>, attr: impl Into<String>) -> Builder {
        self.options
            .type_attributes
            .push((path.into(), attr.into()));
        self
    }
    /// Adds `attr` to the fields whose IDL path matches `path` (`.pkg.Type.field`,
    /// `Type.field`, or a type's path for all its fields; see [`Options::validate`]).
    pub fn field_attribute(mut self, path: impl Into<String>, attr: impl Into<String>) -> Builder {
        self.options
            .field_attributes
            .push((path.into(), attr.into()));
        self
    }
    /// Stores the fields whose IDL path matches `path` as `Arc<T>` (`.pkg.Type.field`,
    /// `Type.field`, or a type's path for all its fields; see [`Options::arc_fields`]).
    pub fn arc_field(mut self, path: impl Into<String>) -> Builder {
        self.options.arc_fields.push(path.into());
        self
    }
    /// Whether to print `cargo:rerun-if-changed` lines (on by default).
    pub fn emit_rerun_if_changed(mut self, yes: bool) -> Builder {
        self.emit_rerun = yes;
        self
    }

    /// Compiles and writes `kit_gen.rs`; returns its path.
    pub fn generate(self) -> Result<PathBuf, BuildError> {
        self.options
            .validate()
            .map_err(|e| BuildError(format!("invalid options: {e}")))?;
        let out_dir = match self
            .out_dir
            .clone()
            .or_else(|| std::env::var_os("OUT_DIR").map(PathBuf::from))
        {
            Some(d) => d,
            None => {
                return Err(BuildError(
                    "OUT_DIR is not set: call out_dir() outside build.rs".into(),
                ))
            }
        };
        let c = kit_idl::compile(
            &self.files,
            &kit_idl::Options {
                include_dirs: self.includes.clone(),
            },
            &kit_idl::OsLoader,
        );
        if self.emit_rerun {
            for (_, f) in c.sources.iter() {
                if f.path.is_file() {
                    println!("cargo:rerun-if-changed={}", f.path.display());
                }
            }
        }
        if c.has_errors() {
            return Err(BuildError(c.render_diagnostics(false)));
        }
        let file = crate::emit::generate_single(&c.ir, &self.options)
            .map_err(|d| BuildError(kit_idl::diag::render(&d, &c.sources, false)))?;
        crate::write::write_tree(&out_dir, std::slice::from_ref(&file))
            .map_err(|e| BuildError(format!("writing {}: {e}", out_dir.display())))?;
        Ok(out_dir.join(&file.path))
    }
}
