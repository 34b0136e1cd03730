//! Transports: read frames from arbitrary bytes as a server does (transport detected from the
//! first message) and as a client of each transport does, up to a 64 KiB frame limit. Reading
//! must end in an error or a clean end, never a panic, a hang or an allocation past the limit;
//! every frame read re-encodes and reads back to the same body and headers.
#![no_main]

use std::sync::LazyLock;

use kit_runtime::thrift::rpc::{encode_frame, FrameReader, TransportKind};
use libfuzzer_sys::fuzz_target;

static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
});

const MAX: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    RT.block_on(async {
        for t in [
            None,
            Some(TransportKind::Framed),
            Some(TransportKind::Buffered),
            Some(TransportKind::Header),
            Some(TransportKind::THeader),
        ] {
            let mut r = FrameReader::new(data, t, MAX);
            // Each frame consumes at least one byte, so this ends.
            for _ in 0..=data.len() {
                let f = match r.next_frame(None, None).await {
                    Ok(Some(f)) => f,
                    Ok(None) | Err(_) => break,
                };
                assert!(f.body.len() <= MAX);
                let Ok(again) = encode_frame(f.transport, f.protocol, 0, &f.headers, &f.body)
                else {
                    continue;
                };
                let mut back = FrameReader::new(&again[..], Some(f.transport), MAX + 1024);
                let g = back
                    .next_frame(None, None)
                    .await
                    .expect("re-read")
                    .expect("a frame");
                assert_eq!(g.body, f.body);
                assert_eq!(g.headers, f.headers);
            }
        }
    });
});
