//! Fuzz-style property tests: arbitrary and mutated bytes into every decoder
//! and skipper must return (Ok or Err), never panic, never allocate wildly.
//! The same entry points are cargo-fuzz targets in `runtime/fuzz/`.

mod models;

use kit_runtime::bytes::Bytes;
use kit_runtime::protobuf::wire::{self, WireType, RECURSION_LIMIT};
use kit_runtime::protobuf::{Message, UnknownFields};
use kit_runtime::thrift::{
    ApplicationException, BinaryReader, CompactReader, Reader, TType, ThriftStruct,
};
use models::{Example, Inner, Node, Person, Tree};
use proptest::prelude::*;

const TTYPES: [TType; 13] = [
    TType::Bool,
    TType::I8,
    TType::Double,
    TType::I16,
    TType::I32,
    TType::I64,
    TType::String,
    TType::Struct,
    TType::Map,
    TType::Set,
    TType::List,
    TType::Uuid,
    TType::Void,
];

fn all_decoders(data: &[u8]) {
    let b = Bytes::copy_from_slice(data);
    let _ = Example::decode_binary(b.clone());
    let _ = Example::decode_compact(b.clone());
    let _ = Node::decode_binary(b.clone());
    let _ = Node::decode_compact(b.clone());
    let _ = ApplicationException::decode_binary(b.clone());
    let _ = ApplicationException::decode_compact(b.clone());
    let _ = BinaryReader::new(b.clone()).read_message_begin();
    let _ = CompactReader::new(b.clone()).read_message_begin();
    for t in TTYPES {
        let _ = BinaryReader::new(b.clone()).skip(t);
        let _ = CompactReader::new(b.clone()).skip(t);
    }
    let _ = Person::decode(b.clone());
    let _ = Tree::decode(b.clone());
    let _ = Person::decode_length_delimited(&mut b.clone());
    for wt in 0..6 {
        let wt = WireType::from_u8(wt).unwrap();
        let _ = wire::skip_field(wt, 1, &mut b.clone(), RECURSION_LIMIT);
    }
    let mut buf = b;
    let mut unknown = UnknownFields::new();
    while !buf.is_empty() {
        let Ok((tag, wt)) = wire::decode_key(&mut buf) else {
            break;
        };
        if unknown
            .merge_field(tag, wt, &mut buf, RECURSION_LIMIT)
            .is_err()
        {
            break;
        }
    }
}

fn sample_encodings() -> Vec<Vec<u8>> {
    let e = Example {
        id: 3,
        name: "nm".into(),
        tags: vec!["t".into()],
        counts: [("k".into(), 5)].into_iter().collect(),
        inner: Inner {
            a: 1,
            tag: Some("x".into()),
        },
        flag: Some(true),
        blob: Some(Bytes::from_static(b"bb")),
        small: [1, 2].into_iter().collect(),
        uid: Some([3; 16]),
        inners: vec![Inner { a: 9, tag: None }],
        ..Default::default()
    };
    let p = Person {
        name: "p".into(),
        id: 5,
        emails: vec!["e".into()],
        scores: vec![1, -1],
        address: Some(models::Address {
            city: "c".into(),
            zip: 1,
            ..Default::default()
        }),
        codes: vec![7],
        ..Default::default()
    };
    vec![
        e.encode_binary().to_vec(),
        e.encode_compact().to_vec(),
        p.encode_to_bytes().to_vec(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        all_decoders(&data);
    }

    #[test]
    fn mutated_encodings_never_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut data = sample_encodings().swap_remove(which);
        for (idx, byte) in edits {
            let i = idx.index(data.len());
            data[i] = byte;
        }
        let keep = cut.index(data.len() + 1);
        data.truncate(keep.max(data.len() / 2));
        all_decoders(&data);
    }
}
