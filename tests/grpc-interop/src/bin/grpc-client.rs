//! `grpc-client --port N [--host H] [--test_case a,b]`: runs the interop client test cases
//! against a TestService server; exits non-zero if any fails.

use kit_grpc_interop::{arg, client};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = arg(&args, "--port")
        .or_else(|| arg(&args, "--server_port"))
        .and_then(|p| p.parse().ok())
        .unwrap_or(10000);
    let host = arg(&args, "--host")
        .or_else(|| arg(&args, "--server_host"))
        .unwrap_or_else(|| "127.0.0.1".into());
    let cases: Vec<String> = match arg(&args, "--test_case") {
        Some(c) if c != "all" => c.split(',').map(str::to_string).collect(),
        _ => client::CASES.iter().map(|s| s.to_string()).collect(),
    };
    let addr = match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(mut a) => a.next(),
        Err(_) => None,
    };
    let Some(addr) = addr else {
        eprintln!("cannot resolve {host}:{port}");
        std::process::exit(2);
    };
    let failed = client::run(addr, &cases).await;
    println!("{} passed, {} failed", cases.len() - failed, failed);
    if failed > 0 {
        std::process::exit(1);
    }
}
