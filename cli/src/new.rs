//! `kit new`: scaffolds a service crate around generated code.
//!
//! Everything is built in a temporary directory beside the target and renamed into place at the
//! end, so a failure leaves nothing behind. The generated code is produced exactly as `kit gen`
//! would produce it from the scaffold's `kit.toml` (same IDL copies, same include root), so
//! `kit gen --check` passes on a fresh scaffold.

use std::io::Write;
use std::path::{Path, PathBuf};

use handlebars::Handlebars;
use kit_codegen::scaffold::{self, ServiceKind, ServiceStubs};
use kit_idl::{compile, Options, OsLoader};
use serde_json::json;

use crate::{gen, Failure, NewArgs, Term};

/// Versions the scaffold pins: those of this workspace's `Cargo.lock` (a test checks it), so a
/// scaffold built beside this checkout resolves to what is already built and downloaded.
pub const TOKIO_VERSION: &str = "1.54.1";
pub const TOWER_VERSION: &str = "0.5.3";
pub const RUNTIME_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where the scaffold mounts the generated tree.
pub const MOUNT: &str = "crate::gen";

/// The templates, embedded in the binary: (name, text).
const TEMPLATES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../../templates/Cargo.toml.hbs")),
    ("kit.toml", include_str!("../../templates/kit.toml.hbs")),
    ("gitignore", include_str!("../../templates/gitignore.hbs")),
    ("README.md", include_str!("../../templates/README.md.hbs")),
    ("lib.rs", include_str!("../../templates/lib.rs.hbs")),
    ("handler.rs", include_str!("../../templates/handler.rs.hbs")),
    (
        "middleware.rs",
        include_str!("../../templates/middleware.rs.hbs"),
    ),
    ("server.rs", include_str!("../../templates/server.rs.hbs")),
    ("client.rs", include_str!("../../templates/client.rs.hbs")),
    ("calls.rs", include_str!("../../templates/calls.rs.hbs")),
    ("e2e.rs", include_str!("../../templates/e2e.rs.hbs")),
];

/// Template → file in the scaffold.
const OUTPUTS: &[(&str, &str)] = &[
    ("Cargo.toml", "Cargo.toml"),
    ("kit.toml", "kit.toml"),
    ("gitignore", ".gitignore"),
    ("README.md", "README.md"),
    ("lib.rs", "src/lib.rs"),
    ("handler.rs", "src/handler.rs"),
    ("middleware.rs", "src/middleware.rs"),
    ("calls.rs", "src/calls.rs"),
    ("server.rs", "src/bin/server.rs"),
    ("client.rs", "src/bin/client.rs"),
    ("e2e.rs", "tests/e2e.rs"),
];

/// Removes the temporary directory unless the scaffold was moved into place.
struct TempDir(Option<PathBuf>);

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

fn fail(msg: impl Into<String>) -> Failure {
    Failure::Config(msg.into())
}

fn valid_crate_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Returns `Ok(true)` on success.
pub fn run(args: &NewArgs, term: &Term) -> Result<bool, Failure> {
    let target = &args.name;
    let Some(name) = target.file_name().and_then(|n| n.to_str()) else {
        return Err(Failure::Usage(format!(
            "`{}` does not end in a crate name",
            target.display()
        )));
    };
    if !valid_crate_name(name) {
        return Err(Failure::Usage(format!(
            "`{name}` is not a crate name: use letters, digits, `-` and `_`, starting with a letter"
        )));
    }
    if target.exists() {
        let empty = target.is_dir() && std::fs::read_dir(target)?.next().is_none();
        if !empty {
            return Err(fail(format!(
                "{} already exists and is not empty: kit new never overwrites; choose another name or remove it",
                target.display()
            )));
        }
    }
    let mut err = std::io::stderr().lock();

    // 1. Compile the IDL where it is, to find every file to copy.
    let mut roots = args.include.clone();
    if roots.is_empty() {
        for f in &args.idl {
            roots.push(
                f.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."))
                    .to_path_buf(),
            );
        }
        roots.dedup();
    }
    let c = compile(
        &args.idl,
        &Options {
            include_dirs: roots.clone(),
        },
        &OsLoader,
    );
    if !c.diagnostics.items.is_empty() {
        let shown: Vec<_> = c
            .diagnostics
            .items
            .iter()
            .filter(|d| d.is_error() || !term.quiet)
            .cloned()
            .collect();
        err.write_all(kit_idl::diag::render(&shown, &c.sources, term.color).as_bytes())?;
    }
    if c.has_errors() {
        writeln!(err, "error: nothing created: the IDL has errors")?;
        return Ok(false);
    }
    let stubs = scaffold::services(&c.ir, &kit_codegen::Options::default(), MOUNT);
    if stubs.is_empty() {
        return Err(fail(
            "the IDL defines no service: kit new scaffolds a service around one",
        ));
    }
    let kind = stubs[0].kind;
    if stubs.iter().any(|s| s.kind != kind) {
        return Err(fail(
            "the IDL mixes Thrift and Protobuf services: scaffold one kind per crate",
        ));
    }
    let mut copies: Vec<(PathBuf, String)> = Vec::new();
    for (_, f) in c.sources.iter() {
        if f.path.starts_with("<kit-builtin>") {
            continue;
        }
        let rel = Path::new(&f.name);
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(fail(format!(
                "{} is outside the include roots, so it cannot be copied into idl/ with its include paths intact: pass -I with a directory that contains it",
                f.path.display()
            )));
        }
        copies.push((f.path.clone(), f.name.clone()));
    }
    let inputs: Vec<String> =
        c.ir.files
            .iter()
            .filter(|f| f.is_input)
            .map(|f| format!("idl/{}", f.name))
            .collect();

    // 2. Build the crate in a temporary directory beside the target.
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(fail(format!("{} is not a directory", parent.display())));
    }
    let tmp_path = parent.join(format!(".{name}.kit-new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp_path);
    std::fs::create_dir_all(&tmp_path)?;
    let mut tmp = TempDir(Some(tmp_path.clone()));

    for (from, name) in &copies {
        let to = tmp_path.join("idl").join(name);
        if let Some(d) = to.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::copy(from, &to).map_err(|e| {
            std::io::Error::new(e.kind(), format!("copying {}: {e}", from.display()))
        })?;
    }

    // 3. Generate from the copies, as `kit gen` will from kit.toml.
    let settings = gen::Settings {
        files: inputs.iter().map(|i| tmp_path.join(i)).collect(),
        include: vec![tmp_path.join("idl")],
        out: tmp_path.join("src/gen"),
        btree_maps: false,
        serde: false,
        type_attributes: Vec::new(),
        field_attributes: Vec::new(),
        arc_fields: Vec::new(),
        handler: None,
    };
    // The same IDL compiled again: its warnings were shown above.
    let quiet = Term {
        color: term.color,
        quiet: true,
        verbose: false,
        tty: false,
    };
    let Some(c) = gen::compile_ir(&settings, &quiet)? else {
        return Ok(false);
    };
    let stubs = scaffold::services(&c.ir, &kit_codegen::Options::default(), MOUNT);
    let Some((_, generated_files)) = gen::generate_into(&c, &settings, false, &quiet)? else {
        return Ok(false);
    };

    // 4. Render the templates.
    let runtime_dep = match &args.runtime_path {
        Some(p) => {
            let abs = std::fs::canonicalize(p)
                .map_err(|e| fail(format!("--runtime-path {}: {e}", p.display())))?;
            if !abs.join("Cargo.toml").is_file() {
                return Err(fail(format!(
                    "--runtime-path {}: no Cargo.toml there (give the runtime/ directory of a kit checkout)",
                    p.display()
                )));
            }
            let path = toml::Value::String(abs.to_string_lossy().into_owned()).to_string();
            format!("{{ path = {path} }}")
        }
        None => format!("\"={RUNTIME_VERSION}\""),
    };
    let files = render(name, kind, &stubs, &inputs, &runtime_dep)?;
    for (path, text) in &files {
        let p = tmp_path.join(path);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(&p, text)?;
    }

    // Format what the templates produced the way `cargo fmt` would, when rustfmt is installed
    // (best effort: the code is valid either way; src/gen is `#[rustfmt::skip]`).
    let rs: Vec<PathBuf> = files
        .iter()
        .filter(|(p, _)| p.ends_with(".rs"))
        .map(|(p, _)| tmp_path.join(p))
        .collect();
    let _ = std::process::Command::new("rustfmt")
        .args(["--edition", "2021"])
        .args(&rs)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();

    // 5. Move into place.
    if target.exists() {
        std::fs::remove_dir(target)?;
    }
    std::fs::rename(&tmp_path, target)?;
    tmp.0 = None;
    if !term.quiet {
        let what = match kind {
            ServiceKind::Thrift => "Thrift",
            ServiceKind::Grpc => "gRPC",
        };
        let methods: usize = stubs.iter().map(|s| s.methods.len()).sum();
        writeln!(
            err,
            "created {what} service `{name}` in {} ({} service{}, {methods} method stub{}, {} generated file{})",
            target.display(),
            stubs.len(),
            if stubs.len() == 1 { "" } else { "s" },
            if methods == 1 { "" } else { "s" },
            generated_files,
            if generated_files == 1 { "" } else { "s" },
        )?;
        writeln!(
            err,
            "next: cd {} && cargo run --bin server, then cargo run --bin client",
            target.display()
        )?;
    }
    Ok(true)
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("{pad}{l}\n")
            }
        })
        .collect()
}

fn render(
    name: &str,
    kind: ServiceKind,
    stubs: &[ServiceStubs],
    idl: &[String],
    runtime_dep: &str,
) -> Result<Vec<(String, String)>, Failure> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    for (n, t) in TEMPLATES {
        hb.register_template_string(n, *t)
            .map_err(|e| fail(format!("template {n}: {e}")))?;
    }
    let indent_by = if kind == ServiceKind::Thrift { 4 } else { 8 };
    let services: Vec<_> = stubs
        .iter()
        .map(|s| {
            let calls: String = s
                .methods
                .iter()
                .filter_map(|m| m.call.as_deref())
                .map(|c| indent(c, indent_by))
                .collect();
            json!({
                "name": s.name,
                "trait_path": s.trait_path,
                "server_path": s.server_path,
                "client_path": s.client_path,
                "impl": scaffold::handler_impl(s, "Handler"),
                "calls": calls.trim_end(),
            })
        })
        .collect();
    let data = json!({
        "name": name,
        "crate_ident": name.replace('-', "_"),
        "thrift": kind == ServiceKind::Thrift,
        "runtime_dep": runtime_dep,
        "tokio": TOKIO_VERSION,
        "tower": TOWER_VERSION,
        "idl": idl,
        "services": services,
        // Thrift serves one service per listener: the one with the most methods (a service
        // that `extends` others carries their methods too), the first of those on a tie.
        "service": services[served(stubs)],
    });
    OUTPUTS
        .iter()
        .map(|(t, path)| {
            hb.render(t, &data)
                .map(|text| (path.to_string(), text))
                .map_err(|e| fail(format!("template {t}: {e}")))
        })
        .collect()
}

/// Index of the Thrift service the server serves.
fn served(stubs: &[ServiceStubs]) -> usize {
    let mut best = 0;
    for (i, s) in stubs.iter().enumerate() {
        if s.methods.len() > stubs[best].methods.len() {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_versions_are_the_workspace_lock_versions() {
        let lock = include_str!("../../Cargo.lock");
        for (name, version) in [("tokio", TOKIO_VERSION), ("tower", TOWER_VERSION)] {
            let entry = format!("name = \"{name}\"\nversion = \"{version}\"\n");
            assert!(
                lock.contains(&entry),
                "Cargo.lock has no {name} {version}: update the pin in new.rs"
            );
        }
    }

    #[test]
    fn crate_names() {
        assert!(valid_crate_name("echo-svc"));
        assert!(valid_crate_name("a_1"));
        assert!(!valid_crate_name("1a"));
        assert!(!valid_crate_name("a b"));
        assert!(!valid_crate_name(""));
    }
}
