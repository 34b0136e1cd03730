//! Shared by the interop tests (`thrift_python.rs`, `proto_python.rs`): finding the Python
//! interpreter and the corpus, temporary directories, readable failure output.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared IDL corpus beside the checkout.
pub fn corpus() -> PathBuf {
    workspace().join("../shared/corpus")
}

/// A helper script under `tests/py/`.
pub fn py_script(name: &str) -> PathBuf {
    workspace().join("tests/py").join(name)
}

/// The Python interpreter with the test peers installed: `$KIT_PYTHON`, else
/// `<workspace>/target/py/bin/python` (the venv `.ci/run` creates).
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("KIT_PYTHON").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.exists(),
            "KIT_PYTHON={} does not exist; point it at a Python with tests/requirements.txt installed",
            p.display()
        );
        return p;
    }
    let venv = workspace().join("target/py/bin/python");
    assert!(
        venv.exists(),
        "no Python for the interop tests: set KIT_PYTHON, or create the venv with\n  \
         python3 -m venv target/py && target/py/bin/pip install -r tests/requirements.txt\n\
         (.ci/run does this)"
    );
    venv
}

/// At most 600 characters of `s` (values can hold 1 MiB strings).
pub fn short(s: String) -> String {
    const MAX: usize = 600;
    if s.len() <= MAX {
        return s;
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &s[..end], s.len())
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!("kit-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("create {}: {e}", p.display()));
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `tests/py/<script> GEN DATA [extra...]`; its report lines (one per mismatch), prefixed
/// with `python: `, or its failure if it printed nothing.
pub fn run_peer(
    python: &Path,
    script: &str,
    gen: &Path,
    data: &Path,
    extra: &[&str],
) -> Vec<String> {
    let out = std::process::Command::new(python)
        .arg(py_script(script))
        .arg(gen)
        .arg(data)
        .args(extra)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let mut errors: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("python: {l}"))
        .collect();
    if !out.status.success() && errors.is_empty() {
        errors.push(format!(
            "python peer {script} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    errors
}

/// Where two encodings first differ, for a readable failure.
pub fn bytes_diff(kit: &[u8], py: &[u8]) -> String {
    let at = kit
        .iter()
        .zip(py)
        .position(|(a, b)| a != b)
        .unwrap_or(kit.len().min(py.len()));
    let window = |b: &[u8]| {
        format!(
            "{:02x?}",
            &b[at.saturating_sub(4).min(b.len())..(at + 8).min(b.len())]
        )
    };
    format!(
        "bytes differ at offset {at} (kit {} bytes, python {} bytes): kit ..{} python ..{}",
        kit.len(),
        py.len(),
        window(kit),
        window(py)
    )
}
