//! gRPC message framing: arbitrary bytes, cut into chunks at arbitrary places, fed to
//! `MessageDecoder` (with gzip allowed) as h2 DATA chunks would be. Decoding must end in an
//! error or a clean end, never a panic, a hang or a buffer past the limit; every message is
//! within the limit; identity-framed input decodes to the same messages however it is cut.
#![no_main]

use kit_runtime::bytes::{Bytes, BytesMut};
use kit_runtime::grpc::{Encoding, MessageDecoder};
use libfuzzer_sys::fuzz_target;

const MAX: usize = 64 * 1024;

/// All messages `d` gives for `data` cut at `cuts` (chunk lengths taken in turn), or `None`
/// after an error.
fn decode(data: &Bytes, cuts: &[u8], encoding: Option<Encoding>) -> Option<Vec<Bytes>> {
    let mut d = MessageDecoder::new(MAX, encoding);
    let mut out = Vec::new();
    let (mut at, mut i) = (0, 0);
    while at < data.len() {
        let n = (usize::from(cuts.get(i % cuts.len().max(1)).copied().unwrap_or(0)) + 1)
            .min(data.len() - at);
        i += 1;
        d.push(data.slice(at..at + n));
        at += n;
        loop {
            match d.next_message() {
                Ok(Some(m)) => {
                    assert!(m.len() <= MAX, "message past the limit");
                    out.push(m);
                }
                Ok(None) => break,
                Err(_) => return None,
            }
        }
    }
    Some(out)
}

fuzz_target!(|input: &[u8]| {
    let split = usize::from(input.first().copied().unwrap_or(0)) % 8;
    let (cuts, data) = input
        .get(1..)
        .unwrap_or(&[])
        .split_at(split.min(input.len().saturating_sub(1)));
    let data = Bytes::copy_from_slice(data);
    let _ = decode(&data, cuts, Some(Encoding::Gzip));
    // Identity framing: the cut must not change the result.
    let whole = decode(&data, &[255], None);
    let cut = decode(&data, cuts, None);
    if let (Some(a), Some(b)) = (&whole, &cut) {
        // Chunk-size independence (an error may come later or earlier: compare what both
        // gave only when both succeeded).
        assert_eq!(a, b);
        // Re-framing the messages gives back a prefix of the input.
        let mut again = BytesMut::new();
        for m in a {
            again.extend_from_slice(&kit_runtime::grpc::encode_frame(m, Encoding::Identity));
        }
        assert_eq!(&data[..again.len()], &again[..]);
    }
});
