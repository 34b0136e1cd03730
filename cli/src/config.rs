//! `kit.toml`: a project's generation settings, found in the current directory or a parent.
//!
//! ```toml
//! [gen]
//! idl = ["idl/echo.thrift"]   # IDL files, relative to kit.toml
//! include = ["idl"]           # include roots (-I), relative to kit.toml
//! out = "src/gen"             # output directory, relative to kit.toml
//! btree_maps = false          # BTreeMap instead of HashMap
//! serde = false               # derive Serialize/Deserialize (kit-runtime feature "serde")
//!
//! [[gen.type_attributes]]     # extra attributes on the types a path matches (repeatable)
//! path = ".echo"              # `.`, `.pkg`, `.pkg.Type` or `Type` (see kit_codegen::Options)
//! attr = "#[derive(PartialOrd)]"
//!
//! [[gen.field_attributes]]    # extra attributes on the fields a path matches (repeatable)
//! path = "Echo.message"       # `.pkg.Type.field` or `Type.field`
//! attr = "#[doc = \"The text to echo.\"]"
//!
//! arc = ["Order.items"]       # (in [gen]) fields stored as `Arc<T>`, by the same paths
//!
//! [scaffold]                  # written by `kit new`
//! handler = "src/handler.rs"  # `kit gen` adds stubs for new methods here
//! mount = "crate::gen"        # where `out` is mounted in the crate
//! ```
//!
//! Command-line flags override the file, setting by setting.

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const FILE_NAME: &str = "kit.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KitToml {
    #[serde(default)]
    pub gen: GenSection,
    pub scaffold: Option<ScaffoldSection>,
}

/// `[scaffold]`: the handler `kit gen` keeps in step with the IDL.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaffoldSection {
    /// The file holding the `impl <Service> for <Handler>` blocks, relative to kit.toml.
    pub handler: PathBuf,
    /// The Rust path of the generated tree's root module in the crate.
    #[serde(default = "default_mount")]
    pub mount: String,
}

fn default_mount() -> String {
    "crate::gen".to_string()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenSection {
    #[serde(default)]
    pub idl: Vec<PathBuf>,
    #[serde(default)]
    pub include: Vec<PathBuf>,
    pub out: Option<PathBuf>,
    #[serde(default)]
    pub btree_maps: bool,
    #[serde(default)]
    pub serde: bool,
    /// `[[gen.type_attributes]]`: applied in the order written.
    #[serde(default)]
    pub type_attributes: Vec<AttrRule>,
    /// `[[gen.field_attributes]]`: applied in the order written.
    #[serde(default)]
    pub field_attributes: Vec<AttrRule>,
    /// `arc = [...]`: paths of fields stored as `Arc<T>`.
    #[serde(default)]
    pub arc: Vec<String>,
}

/// One extra-attribute rule: the Rust attribute text `attr` for what the IDL path `path`
/// matches.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttrRule {
    pub path: String,
    pub attr: String,
}

impl GenSection {
    /// The attribute rules as `kit_codegen::Options` takes them.
    pub fn rules(rules: &[AttrRule]) -> Vec<(String, String)> {
        rules
            .iter()
            .map(|r| (r.path.clone(), r.attr.clone()))
            .collect()
    }
}

/// A loaded `kit.toml`, with its paths made relative to the current directory's view.
pub struct Config {
    pub path: PathBuf,
    pub gen: GenSection,
    pub scaffold: Option<ScaffoldSection>,
}

/// The nearest `kit.toml` in `start` or its ancestors.
pub fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Reads and validates a `kit.toml`; paths in it are resolved against its directory.
pub fn load(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let parsed: KitToml = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut gen = parsed.gen;
    let options = kit_codegen::Options {
        type_attributes: GenSection::rules(&gen.type_attributes),
        field_attributes: GenSection::rules(&gen.field_attributes),
        arc_fields: gen.arc.clone(),
        ..Default::default()
    };
    options
        .validate()
        .map_err(|e| format!("{}: in [gen]: {e}", path.display()))?;
    for p in gen.idl.iter_mut().chain(gen.include.iter_mut()) {
        *p = base.join(&*p);
    }
    gen.out = gen.out.map(|o| base.join(o));
    let scaffold = parsed.scaffold.map(|mut s| {
        s.handler = base.join(&s.handler);
        s
    });
    Ok(Config {
        path: path.to_path_buf(),
        gen,
        scaffold,
    })
}
