//! Interop with Python grpcio, both ways: grpcio's client runs the interop cases against kit's
//! `grpc-server`, and kit's `grpc-client` runs them against a grpcio server (`py/server.py`).
//! Stubs are generated at test time with `$KIT_PYTHON -m grpc_tools.protoc`; the interpreter
//! is `$KIT_PYTHON` (set by `.ci/run`), else `<workspace>/target/py/bin/python`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    let p = match std::env::var_os("KIT_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => manifest().join("../../target/py/bin/python"),
    };
    assert!(
        p.exists(),
        "Python with grpcio/grpcio-tools not found at {} (set KIT_PYTHON, or run .ci/run once)",
        p.display()
    );
    p
}

/// Generates the grpc.testing Python stubs into a fresh directory (once per test binary).
fn stubs() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("grpc-py-stubs");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let protos = manifest().join("../../../shared/corpus/proto/grpc-proto");
        let out = Command::new(python())
            .args(["-m", "grpc_tools.protoc", "-I"])
            .arg(&protos)
            .arg(format!("--python_out={}", dir.display()))
            .arg(format!("--grpc_python_out={}", dir.display()))
            .args([
                "grpc/testing/test.proto",
                "grpc/testing/empty.proto",
                "grpc/testing/messages.proto",
            ])
            .output()
            .expect("run grpc_tools.protoc");
        assert!(
            out.status.success(),
            "grpc_tools.protoc failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
    .clone()
}

/// A server process printing `listening on PORT`; killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(mut cmd: Command) -> Server {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected server output {line:?}"));
        Server { child, port }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Closing stdin asks for a graceful stop; kill in case it does not come.
        drop(self.child.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(mut cmd: Command) -> String {
    let out = cmd.output().expect("run client");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "client failed:\n{text}");
    text
}

#[test]
fn grpcio_client_against_kit_server() {
    let dir = stubs();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_grpc-server"));
    cmd.args(["--port", "0", "--stdin-shutdown"]);
    let server = Server::start(cmd);
    let mut client = Command::new(python());
    client
        .arg(manifest().join("py/client.py"))
        .args(["--port", &server.port.to_string()])
        .env("KIT_GRPC_GEN", &dir);
    let out = run(client);
    assert_eq!(out.matches("PASS ").count(), 11, "{out}");
}

#[test]
fn kit_client_against_grpcio_server() {
    let dir = stubs();
    let mut cmd = Command::new(python());
    cmd.arg(manifest().join("py/server.py"))
        .args(["--port", "0"])
        .env("KIT_GRPC_GEN", &dir);
    let server = Server::start(cmd);
    let mut client = Command::new(env!("CARGO_BIN_EXE_grpc-client"));
    client.args(["--port", &server.port.to_string()]);
    let out = run(client);
    assert_eq!(out.matches("PASS ").count(), 12, "{out}");
}
