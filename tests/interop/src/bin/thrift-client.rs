//! ThriftTest client: calls every method with edge values; exits 1 on the first mismatch.

#[tokio::main]
async fn main() {
    let (port, protocol, transport) = kit_interop::parse_args().unwrap_or_else(|e| {
        eprintln!("thrift-client: {e}");
        std::process::exit(2)
    });
    let c = kit_interop::client(port, protocol, transport);
    match kit_interop::run_client(&c).await {
        Ok(()) => println!("all ThriftTest calls passed"),
        Err(e) => {
            eprintln!("thrift-client: FAILED: {e}");
            std::process::exit(1)
        }
    }
}
