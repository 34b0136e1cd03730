//! Protobuf: decode the model messages and skip fields. On success the
//! re-encoding (known fields + verbatim unknown fields) must decode to an
//! equal message and have the predicted length.
#![no_main]

#[path = "../../tests/models/mod.rs"]
mod models;

use kit_runtime::bytes::Bytes;
use kit_runtime::protobuf::wire::{self, WireType, RECURSION_LIMIT};
use kit_runtime::protobuf::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let b = Bytes::copy_from_slice(data);
    if let Ok(p) = models::Person::decode(b.clone()) {
        let enc = p.encode_to_bytes();
        assert_eq!(enc.len(), p.encoded_len());
        let again = models::Person::decode(enc.clone()).expect("re-decode");
        assert_eq!(again.encode_to_bytes(), enc);
    }
    let _ = models::Tree::decode(b.clone());
    let _ = models::Person::decode_length_delimited(&mut b.clone());
    for wt in 0..6 {
        let wt = WireType::from_u8(wt).unwrap();
        let _ = wire::skip_field(wt, 1, &mut b.clone(), RECURSION_LIMIT);
    }
});
