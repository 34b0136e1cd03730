//! ThriftTest server: `thrift-server --port N --protocol binary|compact --transport framed|buffered|header|theader`.
//! The server detects protocol and transport per connection; the flags are accepted for
//! cross-test compatibility. Prints `listening on PORT` once bound (port 0 picks a free one).

use kit_interop::{thrift::test::ThriftTestServer, Handler};
use kit_runtime::thrift::rpc::Server;

#[tokio::main]
async fn main() {
    let (port, _, _) = kit_interop::parse_args().unwrap_or_else(|e| {
        eprintln!("thrift-server: {e}");
        std::process::exit(2)
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| {
            eprintln!("thrift-server: bind: {e}");
            std::process::exit(1)
        });
    let handle = Server::new().serve(listener, ThriftTestServer::new(Handler));
    println!("listening on {}", handle.local_addr().port());
    tokio::select! {
        _ = tokio::signal::ctrl_c() => handle.shutdown().await,
    }
}
