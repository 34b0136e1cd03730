//! `grpc-server --port N`: serves grpc.testing.TestService (and grpc.health.v1) on 127.0.0.1.
//! With `--port 0` it picks a free port. Prints `listening on PORT` once ready. Stops on
//! Ctrl-C or when standard input closes (if `--stdin-shutdown`), gracefully.

use kit_grpc_interop::{arg, server};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = arg(&args, "--port")
        .and_then(|p| p.parse().ok())
        .unwrap_or(10000);
    let host = arg(&args, "--host").unwrap_or_else(|| "127.0.0.1".into());
    let listener = tokio::net::TcpListener::bind((host.as_str(), port)).await?;
    println!("listening on {}", listener.local_addr()?.port());
    let stdin_shutdown = args.iter().any(|a| a == "--stdin-shutdown");
    let signal = async move {
        if stdin_shutdown {
            tokio::task::spawn_blocking(|| {
                let mut sink = Vec::new();
                let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
            })
            .await
            .ok();
        } else {
            let _ = tokio::signal::ctrl_c().await;
        }
    };
    kit_runtime::grpc::Server::new()
        .serve_with_shutdown(listener, server::service(), signal)
        .await
}
