//! The three benchmark messages, generated for kit (Thrift + Protobuf), prost and Apache Thrift,
//! plus the values every benchmark uses.

pub mod kit_thrift {
    include!(concat!(env!("OUT_DIR"), "/kit_thrift/kit_gen.rs"));
}
pub mod kit_proto {
    include!(concat!(env!("OUT_DIR"), "/kit_proto/kit_gen.rs"));
}
pub mod prost_gen {
    include!(concat!(env!("OUT_DIR"), "/prost/bench.rs"));
}
pub mod pilota_gen {
    include!(concat!(env!("OUT_DIR"), "/pilota/bench.rs"));
    pub use self::bench::bench::*;
}
#[allow(unused_imports, unused_extern_crates, clippy::all)]
pub mod apache {
    include!(concat!(env!("OUT_DIR"), "/apache/bench.rs"));
}

/// The logical values, as plain Rust data; each codec's value is built from these so all
/// benchmarks encode and decode the same thing.
pub mod spec {
    pub struct Small {
        pub id: i32,
        pub timestamp: i64,
        pub count: i32,
        pub active: bool,
        pub name: String,
    }
    pub struct Text {
        pub title: String,
        pub author: String,
        pub body: String,
        pub url: String,
        pub tags: Vec<String>,
        pub payload: Vec<u8>,
    }
    pub struct Item {
        pub id: i64,
        pub name: String,
        pub quantity: i32,
        pub gift: bool,
    }
    pub struct Order {
        pub id: i64,
        pub customer: String,
        pub items: Vec<Item>,
        pub counters: Vec<(String, i64)>,
        pub meta: Small,
    }

    pub fn small() -> Small {
        Small {
            id: 123_456,
            timestamp: 1_763_725_000_123,
            count: 42,
            active: true,
            name: "alice".into(),
        }
    }

    /// About 1 KiB encoded.
    pub fn text() -> Text {
        let sentence = "The quick brown fox jumps over the lazy dog. ";
        Text {
            title: "Encoding throughput of zero-copy generated code, measured".into(),
            author: "Ada Lovelace".into(),
            body: sentence.repeat(13).trim_end().to_string(),
            url: "https://example.com/articles/2026/11/21/zero-copy-codecs?ref=bench&lang=en"
                .into(),
            tags: (0..10).map(|i| format!("tag-number-{i}")).collect(),
            payload: (0..128u32).map(|i| (i * 7) as u8).collect(),
        }
    }

    pub fn order() -> Order {
        Order {
            id: 9_876_543_210,
            customer: "customer-0042@example.com".into(),
            items: (0..10)
                .map(|i| Item {
                    id: 1000 + i,
                    name: format!("item name {i}"),
                    quantity: (i as i32) * 3 + 1,
                    gift: i % 3 == 0,
                })
                .collect(),
            counters: (0..10)
                .map(|i| (format!("counter-{i}"), (i + 1) * 1_000_003))
                .collect(),
            meta: small(),
        }
    }
}

/// Builds each codec's value from [`spec`].
pub mod values {
    use super::spec;
    use crate::{apache, kit_proto, kit_thrift, prost_gen};

    macro_rules! kit_values {
        ($m:ident, $meta:expr) => {
            pub fn small() -> $m::bench::Small {
                let s = spec::small();
                $m::bench::Small {
                    id: s.id,
                    timestamp: s.timestamp,
                    count: s.count,
                    active: s.active,
                    name: s.name.into(),
                    ..Default::default()
                }
            }
            pub fn text() -> $m::bench::Text {
                let t = spec::text();
                $m::bench::Text {
                    title: t.title.into(),
                    author: t.author.into(),
                    body: t.body.into(),
                    url: t.url.into(),
                    tags: t.tags.into_iter().map(Into::into).collect(),
                    payload: t.payload.into(),
                    ..Default::default()
                }
            }
            pub fn order() -> $m::bench::Order {
                let o = spec::order();
                $m::bench::Order {
                    id: o.id,
                    customer: o.customer.into(),
                    items: o
                        .items
                        .into_iter()
                        .map(|i| $m::bench::Item {
                            id: i.id,
                            name: i.name.into(),
                            quantity: i.quantity,
                            gift: i.gift,
                            ..Default::default()
                        })
                        .collect(),
                    counters: o.counters.into_iter().map(|(k, v)| (k.into(), v)).collect(),
                    meta: $meta(small()),
                    ..Default::default()
                }
            }
        };
    }

    // Thrift structs have no `unknown_fields`, Protobuf messages do: one macro for both.
    #[allow(clippy::needless_update)]
    pub mod kit_thrift_v {
        use super::*;
        kit_values!(kit_thrift, |s| s);
    }
    pub mod kit_proto_v {
        use super::*;
        kit_values!(kit_proto, Some);
    }

    pub mod prost_v {
        use super::*;
        use prost_gen as p;
        pub fn small() -> p::Small {
            let s = spec::small();
            p::Small {
                id: s.id,
                timestamp: s.timestamp,
                count: s.count,
                active: s.active,
                name: s.name,
            }
        }
        pub fn text() -> p::Text {
            let t = spec::text();
            p::Text {
                title: t.title,
                author: t.author,
                body: t.body,
                url: t.url,
                tags: t.tags,
                payload: t.payload.into(),
            }
        }
        pub fn order() -> p::Order {
            let o = spec::order();
            p::Order {
                id: o.id,
                customer: o.customer,
                items: o
                    .items
                    .into_iter()
                    .map(|i| p::Item {
                        id: i.id,
                        name: i.name,
                        quantity: i.quantity,
                        gift: i.gift,
                    })
                    .collect(),
                counters: o.counters.into_iter().collect(),
                meta: Some(small()),
            }
        }
    }

    pub mod pilota_v {
        use super::*;
        use crate::pilota_gen as pl;
        pub fn small() -> pl::Small {
            let s = spec::small();
            pl::Small {
                id: Some(s.id),
                timestamp: Some(s.timestamp),
                count: Some(s.count),
                active: Some(s.active),
                name: Some(s.name.into()),
            }
        }
        pub fn text() -> pl::Text {
            let t = spec::text();
            pl::Text {
                title: Some(t.title.into()),
                author: Some(t.author.into()),
                body: Some(t.body.into()),
                url: Some(t.url.into()),
                tags: Some(t.tags.into_iter().map(Into::into).collect()),
                payload: Some(t.payload.into()),
            }
        }
        pub fn order() -> pl::Order {
            let o = spec::order();
            pl::Order {
                id: Some(o.id),
                customer: Some(o.customer.into()),
                items: Some(
                    o.items
                        .into_iter()
                        .map(|i| pl::Item {
                            id: Some(i.id),
                            name: Some(i.name.into()),
                            quantity: Some(i.quantity),
                            gift: Some(i.gift),
                        })
                        .collect(),
                ),
                counters: Some(o.counters.into_iter().map(|(k, v)| (k.into(), v)).collect()),
                meta: Some(small()),
            }
        }
    }

    pub mod apache_v {
        use super::*;
        use apache as a;
        pub fn small() -> a::Small {
            let s = spec::small();
            a::Small::new(s.id, s.timestamp, s.count, s.active, s.name)
        }
        pub fn text() -> a::Text {
            let t = spec::text();
            a::Text::new(t.title, t.author, t.body, t.url, t.tags, t.payload)
        }
        pub fn order() -> a::Order {
            let o = spec::order();
            a::Order::new(
                o.id,
                o.customer,
                o.items
                    .into_iter()
                    .map(|i| a::Item::new(i.id, i.name, i.quantity, i.gift))
                    .collect::<Vec<_>>(),
                o.counters
                    .into_iter()
                    .collect::<std::collections::BTreeMap<_, _>>(),
                small(),
            )
        }
    }
}

/// Pilota (Thrift) encode/decode over in-memory buffers, as Volo uses it: `TBinaryProtocol` /
/// `TCompact{Output,Input}Protocol` over `&mut BytesMut` and `&mut Bytes`, zero-copy on.
pub mod pilota_io {
    use bytes::{Bytes, BytesMut};
    use pilota::thrift::binary::TBinaryProtocol;
    use pilota::thrift::compact::{TCompactInputProtocol, TCompactOutputProtocol};
    use pilota::thrift::Message;

    pub fn encode_binary<T: Message>(v: &T, buf: &mut BytesMut) {
        let mut p = TBinaryProtocol::new(buf, true);
        v.encode(&mut p).unwrap();
    }
    pub fn encode_compact<T: Message>(v: &T, buf: &mut BytesMut) {
        let mut p = TCompactOutputProtocol::new(buf, true);
        v.encode(&mut p).unwrap();
    }
    pub fn decode_binary<T: Message>(mut bytes: Bytes) -> T {
        let mut p = TBinaryProtocol::new(&mut bytes, true);
        T::decode(&mut p).unwrap()
    }
    pub fn decode_compact<T: Message>(mut bytes: Bytes) -> T {
        let mut p = TCompactInputProtocol::new(&mut bytes);
        T::decode(&mut p).unwrap()
    }
}

/// Apache Thrift encode/decode over in-memory buffers, the crate's ordinary API.
pub mod apache_io {
    use thrift::protocol::{
        TBinaryInputProtocol, TBinaryOutputProtocol, TCompactInputProtocol, TCompactOutputProtocol,
        TOutputProtocol, TSerializable,
    };

    pub fn encode_binary<T: TSerializable>(v: &T, buf: &mut Vec<u8>) {
        let mut p = TBinaryOutputProtocol::new(buf, true);
        v.write_to_out_protocol(&mut p).unwrap();
        p.flush().unwrap();
    }
    pub fn encode_compact<T: TSerializable>(v: &T, buf: &mut Vec<u8>) {
        let mut p = TCompactOutputProtocol::new(buf);
        v.write_to_out_protocol(&mut p).unwrap();
        p.flush().unwrap();
    }
    pub fn decode_binary<T: TSerializable>(mut bytes: &[u8]) -> T {
        let mut p = TBinaryInputProtocol::new(&mut bytes, true);
        T::read_from_in_protocol(&mut p).unwrap()
    }
    pub fn decode_compact<T: TSerializable>(mut bytes: &[u8]) -> T {
        let mut p = TCompactInputProtocol::new(&mut bytes);
        T::read_from_in_protocol(&mut p).unwrap()
    }
}

/// Startup checks, run by the benchmark and the allocation counter before measuring:
/// kit and the peer hold the same logical value, read each other's bytes back to it, and (for
/// messages without maps, whose order is a HashMap's / BTreeMap's) write the same bytes.
pub mod check {
    use crate::apache_io;
    use crate::pilota_io;
    use crate::values::{apache_v, kit_proto_v, kit_thrift_v, pilota_v, prost_v};
    use kit_runtime::protobuf::Message as _;
    use kit_runtime::thrift::ThriftStruct;
    use prost::Message as _;

    fn kit_pb_decode<M: kit_runtime::protobuf::Message>(_like: &M, b: bytes::Bytes) -> M {
        M::decode(b).unwrap()
    }

    fn kit_thrift_decode<T: ThriftStruct>(
        _like: &T,
        b: bytes::Bytes,
        compact: bool,
    ) -> Result<T, kit_runtime::DecodeError> {
        if compact {
            T::decode_compact(b)
        } else {
            T::decode_binary(b)
        }
    }

    fn like<T>(_: &T, v: T) -> T {
        v
    }

    macro_rules! pb_check {
        ($name:ident, $has_map:expr) => {{
            let k = kit_proto_v::$name();
            let p = prost_v::$name();
            let kb = k.encode_to_bytes();
            let pb = bytes::Bytes::from(p.encode_to_vec());
            assert_eq!(kb.len(), pb.len(), "{}: encoded length", stringify!($name));
            assert_eq!(k.encoded_len(), prost::Message::encoded_len(&p));
            if !$has_map {
                assert_eq!(kb, pb, "{}: kit and prost bytes differ", stringify!($name));
            }
            assert_eq!(
                prost::Message::decode(kb.clone()).as_ref(),
                Ok(&p),
                "prost reads kit's {}",
                stringify!($name)
            );
            let k2 = kit_pb_decode(&k, pb.clone());
            assert_eq!(k2, k, "kit reads prost's {}", stringify!($name));
            kb.len()
        }};
    }

    macro_rules! thrift_check {
        ($name:ident, $has_map:expr) => {{
            let k = kit_thrift_v::$name();
            let a = apache_v::$name();
            let mut lens = [0usize; 2];
            for (i, compact) in [false, true].into_iter().enumerate() {
                let kb = if compact {
                    k.encode_compact()
                } else {
                    k.encode_binary()
                };
                let mut ab = Vec::new();
                if compact {
                    apache_io::encode_compact(&a, &mut ab)
                } else {
                    apache_io::encode_binary(&a, &mut ab)
                }
                let what = format!(
                    "{} ({})",
                    stringify!($name),
                    if compact { "compact" } else { "binary" }
                );
                assert_eq!(kb.len(), ab.len(), "{what}: encoded length");
                if !$has_map {
                    assert_eq!(&kb[..], &ab[..], "{what}: kit and Apache bytes differ");
                }
                let a2 = if compact {
                    apache_io::decode_compact(&kb)
                } else {
                    apache_io::decode_binary(&kb)
                };
                assert_eq!(like(&a, a2), a, "Apache reads kit's {what}");
                let ab = bytes::Bytes::from(ab);
                let k2 = kit_thrift_decode(&k, ab, compact);
                assert_eq!(k2.unwrap(), k, "kit reads Apache's {what}");
                // Pilota: same bytes where no map, and both read each other's bytes.
                let pl = pilota_v::$name();
                let mut pb = bytes::BytesMut::new();
                if compact {
                    pilota_io::encode_compact(&pl, &mut pb)
                } else {
                    pilota_io::encode_binary(&pl, &mut pb)
                }
                let pb = pb.freeze();
                assert_eq!(kb.len(), pb.len(), "{what}: Pilota encoded length");
                if !$has_map {
                    assert_eq!(&kb[..], &pb[..], "{what}: kit and Pilota bytes differ");
                }
                // Pilota 0.13.1's compact decode panics on structs with a bool field ("pending bool
                // field ... not read": its generated decode calls `field_begin_len` on the input
                // protocol, which records a pending bool that `read_bool` never clears), and all
                // three messages have one, so only its binary decode is checked and measured.
                if !compact {
                    let pl2 = pilota_io::decode_binary(kb.clone());
                    assert_eq!(like(&pl, pl2), pl, "Pilota reads kit's {what}");
                }
                assert_eq!(
                    kit_thrift_decode(&k, pb, compact).unwrap(),
                    k,
                    "kit reads Pilota's {what}"
                );
                lens[i] = kb.len();
            }
            lens
        }};
    }

    /// Runs every check; returns the encoded sizes (protobuf, thrift binary, thrift compact) per message.
    pub fn all() -> Vec<(&'static str, usize, usize, usize)> {
        let mut out = Vec::new();
        let (pb, [b, c]) = (pb_check!(small, false), thrift_check!(small, false));
        out.push(("small", pb, b, c));
        let (pb, [b, c]) = (pb_check!(text, false), thrift_check!(text, false));
        out.push(("text", pb, b, c));
        let (pb, [b, c]) = (pb_check!(order, true), thrift_check!(order, true));
        out.push(("order", pb, b, c));
        // The map is the only order-dependent part: with one entry the bytes must agree too.
        let mut k = kit_proto_v::order();
        let mut p = prost_v::order();
        k.counters.retain(|key, _| key.as_str() == "counter-3");
        p.counters.retain(|key, _| key == "counter-3");
        assert_eq!(
            k.encode_to_bytes(),
            p.encode_to_vec(),
            "order with one counter: kit and prost bytes differ"
        );
        let mut k = kit_thrift_v::order();
        let mut a = apache_v::order();
        k.counters.retain(|key, _| key.as_str() == "counter-3");
        a.counters
            .as_mut()
            .unwrap()
            .retain(|key, _| key == "counter-3");
        let mut ab = Vec::new();
        apache_io::encode_binary(&a, &mut ab);
        assert_eq!(
            &k.encode_binary()[..],
            &ab[..],
            "order with one counter: kit and Apache binary differ"
        );
        ab.clear();
        apache_io::encode_compact(&a, &mut ab);
        assert_eq!(
            &k.encode_compact()[..],
            &ab[..],
            "order with one counter: kit and Apache compact differ"
        );
        out
    }
}
