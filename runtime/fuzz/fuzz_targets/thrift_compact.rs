//! Compact protocol: decode the model structs, skip every type, read message
//! headers. On success, re-encoding must decode again.
#![no_main]

#[path = "../../tests/models/mod.rs"]
mod models;

use kit_runtime::bytes::Bytes;
use kit_runtime::thrift::{ApplicationException, CompactReader, Reader, TType, ThriftStruct};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let b = Bytes::copy_from_slice(data);
    if let Ok(e) = models::Example::decode_compact(b.clone()) {
        let again = models::Example::decode_compact(e.encode_compact()).expect("re-decode");
        assert_eq!(again.encode_compact().len(), e.encode_compact().len());
    }
    let _ = models::Node::decode_compact(b.clone());
    let _ = ApplicationException::decode_compact(b.clone());
    let _ = CompactReader::new(b.clone()).read_message_begin();
    for t in [
        TType::Struct,
        TType::List,
        TType::Set,
        TType::Map,
        TType::String,
    ] {
        let _ = CompactReader::new(b.clone()).skip(t);
    }
});
