//! `kit new` end to end: scaffold a Thrift and a gRPC service, build them against this
//! checkout's runtime, run the server and its client over loopback, then change the IDL and
//! check that `kit gen --check` notices, `kit gen` regenerates and stubs the new method without
//! touching the user's code, and the crate still builds and answers.
//!
//! Both scaffolds build into one shared target directory (`<target>/scaffold-e2e`) with this
//! workspace's `Cargo.lock`, one at a time, so their dependencies are compiled once.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;

mod common;
use common::{kit, scratch, text, workspace};

/// Serialises the scaffold builds (and the runs of their binaries, which share names in the
/// shared target directory).
static BUILD: Mutex<()> = Mutex::new(());

/// `<target>/scaffold-e2e`: CARGO_TARGET_TMPDIR is `<target>/tmp`.
fn scaffold_target() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("scaffold-e2e")
}

/// Every file under `dir`, relative, sorted, `/`-separated (skipping `target/` and the
/// Cargo.lock the test copies in).
fn tree(dir: &Path) -> String {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "target" || rel == "Cargo.lock" {
                continue;
            }
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out.join("\n") + "\n"
}

/// `cargo <args>` in the scaffold, into the shared target directory; offline when the
/// registry cache has everything (it does after the workspace itself was built).
fn cargo(dir: &Path, args: &[&str]) -> Output {
    let run = |offline: bool| {
        let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        c.args(args)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", scaffold_target())
            .env_remove("CARGO_MANIFEST_DIR");
        if offline {
            c.arg("--offline");
        }
        c.output().expect("run cargo")
    };
    let out = run(true);
    if !out.status.success() && text(&out.stderr).contains("offline") {
        return run(false);
    }
    out
}

fn build(dir: &Path) {
    let out = cargo(dir, &["build", "--bins", "--tests", "-q"]);
    assert!(
        out.status.success(),
        "cargo build of the scaffold failed:\n{}",
        text(&out.stderr)
    );
}

/// Kills the server when dropped, also when an assertion fails.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the scaffold's server on a free loopback port, runs its client against it, and
/// returns (client stdout, server stderr).
fn serve_and_call() -> (String, String) {
    let bin = scaffold_target().join("debug");
    let mut child = Command::new(bin.join("server"))
        .args(["--addr", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start server");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("server said {line:?}"))
        .to_string();
    let client = Command::new(bin.join("client"))
        .args(["--addr", &addr])
        .output()
        .expect("run client");
    let out = text(&client.stdout);
    assert!(
        client.status.success(),
        "client failed: {out}{}",
        text(&client.stderr)
    );
    // Stop the server, then read what it logged.
    let _ = server.0.kill();
    let _ = server.0.wait();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut log).unwrap();
    (out, log)
}

struct Case {
    dir: &'static str,
    idl: &'static str,
    /// Text in the IDL before which the new method is inserted, and the new method.
    anchor: &'static str,
    method: &'static str,
    /// The Rust name of the new method.
    fn_name: &'static str,
    /// What the client prints for the first call, and what the server logs for it.
    client_says: &'static str,
    server_logs: &'static str,
    /// A line the user adds inside the first stub, after this line.
    user_after: &'static str,
}

fn scaffold_round_trip(c: &Case) {
    let dir = scratch(c.dir);
    let idl = workspace().join("tests/examples").join(c.idl);
    let runtime = workspace().join("runtime");
    let out = kit(
        &[
            "new",
            "svc",
            "--idl",
            idl.to_str().unwrap(),
            "--runtime-path",
            runtime.to_str().unwrap(),
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let svc = dir.join("svc");
    insta::assert_snapshot!(format!("{}_tree", c.dir), tree(&svc));
    let cargo_toml = std::fs::read_to_string(svc.join("Cargo.toml")).unwrap();
    assert!(
        cargo_toml.contains(&format!("path = {:?}", runtime.canonicalize().unwrap())),
        "{cargo_toml}"
    );

    // Fresh: generated code is current.
    let out = kit(&["gen", "--check"], &svc);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let _lock = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    std::fs::copy(workspace().join("Cargo.lock"), svc.join("Cargo.lock")).unwrap();
    build(&svc);
    let (said, log) = serve_and_call();
    assert!(said.contains(c.client_says), "client said: {said}");
    assert!(log.contains(c.server_logs), "server logged: {log}");

    // The user writes code in the handler.
    let handler = svc.join("src/handler.rs");
    let mine = "        // my code: kept by kit gen";
    let h = std::fs::read_to_string(&handler).unwrap();
    let at = h
        .find(c.user_after)
        .unwrap_or_else(|| panic!("{:?} not in\n{h}", c.user_after))
        + c.user_after.len();
    let h = format!("{}\n{mine}{}", &h[..at], &h[at..]);
    std::fs::write(&handler, &h).unwrap();

    // The IDL gains a method: --check fails with a diff naming it, and writes nothing.
    let idl_copy = svc.join("idl").join(c.idl);
    let src = std::fs::read_to_string(&idl_copy).unwrap();
    assert!(src.contains(c.anchor));
    std::fs::write(
        &idl_copy,
        src.replacen(c.anchor, &format!("{}\n{}", c.method, c.anchor), 1),
    )
    .unwrap();
    let out = kit(&["gen", "--check"], &svc);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let diff = text(&out.stdout);
    assert!(
        diff.contains(&format!("fn {}(", c.fn_name)),
        "the diff names the new method:\n{diff}"
    );
    assert!(
        text(&out.stderr).contains("is stale"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&handler).unwrap(),
        h,
        "--check never writes"
    );

    // kit gen regenerates and adds the stub; the user's line stays.
    let out = kit(&["gen"], &svc);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("added a stub for `"),
        "{}",
        text(&out.stderr)
    );
    let h2 = std::fs::read_to_string(&handler).unwrap();
    assert!(h2.contains(mine), "the user's line survives:\n{h2}");
    assert!(h2.contains(&format!("async fn {}(", c.fn_name)), "{h2}");
    assert!(
        h2.starts_with(&h[..h.rfind('}').unwrap()]),
        "only inserted before the last brace:\n{h2}"
    );
    let out = kit(&["gen", "--check"], &svc);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Running kit gen again changes nothing.
    assert_eq!(kit(&["gen", "-q"], &svc).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&handler).unwrap(), h2);

    // Still builds, and its own end-to-end test passes.
    build(&svc);
    let out = cargo(&svc, &["test", "-q"]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let (said, _) = serve_and_call();
    assert!(said.contains(c.client_says), "client said: {said}");
}

#[test]
fn thrift_service_scaffold_builds_answers_and_regenerates() {
    scaffold_round_trip(&Case {
        dir: "new_thrift",
        idl: "echo.thrift",
        anchor: "  oneway void ping(),",
        method: "  i32 add(1: i32 a, 2: i32 b),",
        fn_name: "add",
        client_says: "echo -> EchoResponse",
        server_logs: "[server] echo: ok",
        user_after: "let _ = message;",
    });
}

#[test]
fn grpc_service_scaffold_builds_answers_and_regenerates() {
    scaffold_round_trip(&Case {
        dir: "new_grpc",
        idl: "echo.proto",
        anchor: "  rpc EchoStream(",
        method: "  rpc Reverse(EchoRequest) returns (EchoResponse);",
        fn_name: "reverse",
        client_says: "Echo -> EchoResponse",
        server_logs: "[server] /echo.v1.Echo/Echo: ok",
        user_after: "let _ = request;",
    });
}

#[test]
fn refuses_a_non_empty_directory() {
    let dir = scratch("new_refuses");
    std::fs::create_dir_all(dir.join("svc")).unwrap();
    std::fs::write(dir.join("svc/keep.txt"), "mine").unwrap();
    let idl = workspace().join("tests/examples/echo.thrift");
    let out = kit(&["new", "svc", "--idl", idl.to_str().unwrap()], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not empty"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(tree(&dir), "svc/keep.txt\n");

    // An empty directory is fine.
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    let out = kit(&["new", "empty", "--idl", idl.to_str().unwrap()], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(dir.join("empty/src/handler.rs").is_file());
    let cargo_toml = std::fs::read_to_string(dir.join("empty/Cargo.toml")).unwrap();
    assert!(
        cargo_toml.contains("kit-runtime = \"=0.1.0\""),
        "{cargo_toml}"
    );
}

#[test]
fn leaves_nothing_behind_on_failure() {
    let dir = scratch("new_fails");
    std::fs::write(dir.join("bad.thrift"), "service S { Strng f() }\n").unwrap();
    std::fs::write(dir.join("types.thrift"), "struct A { 1: i32 x }\n").unwrap();
    let out = kit(&["new", "svc", "--idl", "bad.thrift"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("Strng"), "{}", text(&out.stderr));
    let out = kit(&["new", "svc", "--idl", "types.thrift"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no service"),
        "{}",
        text(&out.stderr)
    );
    // A bad --runtime-path is found after the temporary directory was made.
    std::fs::write(dir.join("ok.thrift"), "service S { void f() }\n").unwrap();
    let out = kit(
        &[
            "new",
            "svc",
            "--idl",
            "ok.thrift",
            "--runtime-path",
            "nowhere",
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("nowhere"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(tree(&dir), "bad.thrift\nok.thrift\ntypes.thrift\n");
    // Not a crate name: usage error.
    let out = kit(&["new", "9lives", "--idl", "ok.thrift"], &dir);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_new() {
    let out = kit(&["new", "--help"], Path::new("."));
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(text(&out.stdout));
}

/// Extends, included files, typedefs, unions, containers, keywords as names, nested messages,
/// oneofs, well-known types, several services, every streaming kind: the stubs match the
/// generated traits (the scaffold builds with warnings denied) and its own test passes.
#[test]
fn tricky_idl_scaffolds_build_and_answer() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tricky");
    let runtime = workspace().join("runtime");
    let dir = scratch("new_tricky");
    for (name, idl) in [("thrift-svc", "store.thrift"), ("grpc-svc", "store.proto")] {
        let idl = data.join(idl);
        let out = kit(
            &[
                "new",
                name,
                "--idl",
                idl.to_str().unwrap(),
                "--runtime-path",
                runtime.to_str().unwrap(),
            ],
            &dir,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let svc = dir.join(name);
        assert_eq!(kit(&["gen", "--check"], &svc).status.code(), Some(0));
        let _lock = BUILD.lock().unwrap_or_else(|e| e.into_inner());
        std::fs::copy(workspace().join("Cargo.lock"), svc.join("Cargo.lock")).unwrap();
        let out = cargo(&svc, &["test", "-q"]);
        assert!(
            out.status.success(),
            "{name}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}
