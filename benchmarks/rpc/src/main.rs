//! kit-bench-rpc: the RPC benchmarks, kit vs volo-thrift, volo-grpc and tonic.
//!
//! ```text
//! kit-bench-rpc server SYSTEM --port P            serve the echo service (until killed)
//! kit-bench-rpc client SYSTEM --port P [-c N] [--warmup S] [--secs S] [--stream-count K]
//!                                                 drive it; prints `rate p50 p99 p999 calls errors`
//! kit-bench-rpc suite [--quick] [--out DIR]       the whole comparison, servers and clients in
//!                                                 separate processes pinned with taskset
//! kit-bench-rpc gaps [SECS]                       how often this machine takes the CPU away
//!                                                 (spin on the clock, count pauses)
//! ```
//! SYSTEM is one of the names in [`SYSTEMS`].

mod gen;
mod kit_sys;
mod load;
mod peers;
mod suite;

use std::net::SocketAddr;
use std::time::Duration;

use kit_runtime::thrift::rpc::TransportKind;

/// Every system: (name, what its server subcommand serves).
pub const SYSTEMS: &[&str] = &[
    "kit-thrift-framed",
    "volo-thrift-framed",
    "kit-thrift-ttheader",
    "volo-thrift-ttheader",
    "kit-grpc",
    "tonic",
    "volo-grpc",
];

/// One client run's parameters.
#[derive(Debug, Clone)]
pub struct RunCfg {
    pub concurrency: usize,
    pub warmup: Duration,
    pub measure: Duration,
    pub payload: usize,
    /// 0: unary echo; K > 0: server-streaming calls of K messages each.
    pub stream_count: u32,
}

fn usage() -> ! {
    eprintln!(
        "usage: kit-bench-rpc server SYSTEM --port P\n       \
         kit-bench-rpc client SYSTEM --port P [-c N] [--warmup S] [--secs S] [--payload B] [--stream-count K]\n       \
         kit-bench-rpc suite [--quick] [--out DIR]\nsystems: {}",
        SYSTEMS.join(" ")
    );
    std::process::exit(2)
}

fn runtime() -> tokio::runtime::Runtime {
    // A multi-thread runtime with one worker per CPU this process may use (taskset pins the
    // servers and the clients to one CPU each), the same for every system.
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else { usage() };
    match cmd.as_str() {
        "suite" => {
            let quick = args.iter().any(|a| a == "--quick");
            let out = flag(&args, "--out").unwrap_or_else(|| "benchmarks/out".into());
            if let Err(e) = suite::run(quick, std::path::Path::new(&out)) {
                eprintln!("kit-bench-rpc suite: {e}");
                std::process::exit(1);
            }
        }
        "gaps" => {
            let secs = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5.0);
            println!("{}", suite::gaps(secs));
        }
        "server" | "client" => {
            let Some(system) = args.get(1).cloned() else {
                usage()
            };
            if !SYSTEMS.contains(&system.as_str()) {
                usage()
            }
            let port: u16 = flag(&args, "--port")
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| usage());
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            if cmd == "server" {
                runtime().block_on(serve(&system, addr));
            } else {
                let secs = |name: &str, default: f64| {
                    Duration::from_secs_f64(
                        flag(&args, name)
                            .and_then(|s| s.parse().ok())
                            .unwrap_or(default),
                    )
                };
                let cfg = RunCfg {
                    concurrency: flag(&args, "-c")
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(100),
                    warmup: secs("--warmup", 1.0),
                    measure: secs("--secs", 5.0),
                    payload: flag(&args, "--payload")
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(1024),
                    stream_count: flag(&args, "--stream-count")
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0),
                };
                let stats = runtime().block_on(drive(&system, addr, &cfg));
                if let Some(e) = &stats.first_error {
                    eprintln!(
                        "kit-bench-rpc client {system}: {} errors, first: {e}",
                        stats.errors
                    );
                }
                println!("{}", stats.line());
            }
        }
        _ => usage(),
    }
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

async fn serve(system: &str, addr: SocketAddr) {
    match system {
        "kit-thrift-framed" | "kit-thrift-ttheader" => kit_sys::thrift_server(addr).await,
        "volo-thrift-framed" => peers::volo_thrift_server(addr, false).await,
        "volo-thrift-ttheader" => peers::volo_thrift_server(addr, true).await,
        "kit-grpc" => kit_sys::grpc_server(addr).await,
        "tonic" => peers::tonic_server(addr).await,
        "volo-grpc" => peers::volo_grpc_server(addr).await,
        _ => usage(),
    }
}

async fn drive(system: &str, addr: SocketAddr, cfg: &RunCfg) -> load::Stats {
    match system {
        "kit-thrift-framed" => kit_sys::thrift_client(addr, TransportKind::Framed, cfg).await,
        "kit-thrift-ttheader" => kit_sys::thrift_client(addr, TransportKind::Header, cfg).await,
        "volo-thrift-framed" => peers::volo_thrift_client(addr, false, cfg).await,
        "volo-thrift-ttheader" => peers::volo_thrift_client(addr, true, cfg).await,
        "kit-grpc" => kit_sys::grpc_client(addr, cfg).await,
        "tonic" => peers::tonic_client(addr, cfg).await,
        "volo-grpc" => peers::volo_grpc_client(addr, cfg).await,
        _ => usage(),
    }
}
