//! Cross-tests with Apache Thrift's Python library: its client against `thrift-server`, and
//! `thrift-client` against its server, binary and compact × framed, buffered and THeader
//! (Apache's header transport, Python's `THeaderProtocol`).
//!
//! The Python code is generated at test time with Debian's `thrift --gen py` from the v0.16
//! ThriftTest.thrift; the interpreter is `$KIT_PYTHON` (set by `.ci/run`), else
//! `<workspace>/target/py/bin/python`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const COMBOS: [(&str, &str); 6] = [
    ("binary", "framed"),
    ("binary", "buffered"),
    ("binary", "theader"),
    ("compact", "framed"),
    ("compact", "buffered"),
    ("compact", "theader"),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    let p = match std::env::var_os("KIT_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => workspace().join("target/py/bin/python"),
    };
    assert!(
        p.exists(),
        "Python with the `thrift` package not found at {} (set KIT_PYTHON, or run .ci/run once)",
        p.display()
    );
    p
}

/// `thrift --gen py` of ThriftTest into a fresh temp dir.
fn gen_py() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let idl =
        workspace().join("../shared/corpus/thrift/apache-thrift/test/v0.16/ThriftTest.thrift");
    let out = Command::new("thrift")
        .args(["--gen", "py", "-out"])
        .arg(dir.path())
        .arg(&idl)
        .output()
        .expect("Debian's `thrift` compiler (apt-get install thrift-compiler)");
    assert!(
        out.status.success(),
        "thrift --gen py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("py").join(name)
}

/// Kills the child on drop, so a failing test leaves no server behind.
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a server printing `listening on PORT` and returns it with the port.
fn start(mut cmd: Command) -> (Proc, u16) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start server");
    let stdout = child.stdout.take().unwrap();
    let proc = Proc(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("server did not report its port");
    let port = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected server output {line:?}"));
    (proc, port)
}

/// Runs a client to completion (at most 60 s); returns its output on failure.
fn run(mut cmd: Command) -> Result<(), String> {
    let mut child = Proc(
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start client"),
    );
    let t = Instant::now();
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            let mut out = String::new();
            for s in [
                child
                    .0
                    .stdout
                    .take()
                    .map(|s| Box::new(s) as Box<dyn std::io::Read>),
                child
                    .0
                    .stderr
                    .take()
                    .map(|s| Box::new(s) as Box<dyn std::io::Read>),
            ]
            .into_iter()
            .flatten()
            {
                let mut s = s;
                let _ = s.read_to_string(&mut out);
            }
            return if status.success() {
                Ok(())
            } else {
                Err(format!("{status}: {out}"))
            };
        }
        if t.elapsed() > Duration::from_secs(60) {
            return Err("client timed out after 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

use std::io::Read;

#[test]
fn python_client_against_kit_server() {
    let py = python();
    let gen = gen_py();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_thrift-server"));
    cmd.args(["--port", "0"]);
    let (_server, port) = start(cmd);
    let mut failures = Vec::new();
    for (protocol, transport) in COMBOS {
        let mut c = Command::new(&py);
        c.arg(script("client.py"))
            .arg("--gen-dir")
            .arg(gen.path())
            .args(["--port", &port.to_string()])
            .args(["--protocol", protocol, "--transport", transport]);
        if let Err(e) = run(c) {
            failures.push(format!("python client, {protocol}/{transport}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn kit_client_against_python_server() {
    let py = python();
    let gen = gen_py();
    let mut failures = Vec::new();
    for (protocol, transport) in COMBOS {
        let mut s = Command::new(&py);
        s.arg(script("server.py"))
            .arg("--gen-dir")
            .arg(gen.path())
            .args([
                "--port",
                "0",
                "--protocol",
                protocol,
                "--transport",
                transport,
            ]);
        let (_server, port) = start(s);
        let mut c = Command::new(env!("CARGO_BIN_EXE_thrift-client"));
        c.args(["--port", &port.to_string()]).args([
            "--protocol",
            protocol,
            "--transport",
            transport,
        ]);
        if let Err(e) = run(c) {
            failures.push(format!(
                "kit client vs python server, {protocol}/{transport}: {e}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
