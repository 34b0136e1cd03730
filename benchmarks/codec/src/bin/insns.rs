//! Runs one codec operation N times, for counting instructions per operation under valgrind:
//! `insns.sh` runs this binary twice under `valgrind --tool=cachegrind --cache-sim=no` (N and 0
//! iterations) and divides the difference by N. Instruction counts do not depend on what else the
//! machine runs, so they can compare two builds of kit (or kit and a peer) on a loaded machine
//! where criterion's times drift by tens of percent. They are not times: a cache miss or a
//! mispredicted branch costs many cycles and one instruction. Times come from criterion.
//!
//! `insns OP N`, OP as the criterion benchmark ids without the group separator:
//! `protobuf-{encode,encode_reuse,decode}-{small,text,order}/{kit,peer}` and
//! `thrift-{binary,compact}-{encode,decode}-{small,text,order}/{kit,peer,pilota}`; `list` prints them.
//! Each operation is the same closure as in `benches/codec.rs`.

use kit_codec_bench::values::{apache_v, kit_proto_v, kit_thrift_v, pilota_v, prost_v};
use kit_codec_bench::{apache_io, pilota_io};
use kit_runtime::bytes::{Bytes, BytesMut};
use kit_runtime::thrift::{Binary, Compact, ThriftStruct};
use std::hint::black_box;

type Op = Box<dyn FnMut()>;

fn ops() -> Vec<(String, Op)> {
    let mut v: Vec<(String, Op)> = Vec::new();
    macro_rules! protobuf {
        ($name:ident, $ty:ident) => {{
            type K = kit_codec_bench::kit_proto::bench::$ty;
            type P = kit_codec_bench::prost_gen::$ty;
            let m = stringify!($name);
            let k: K = kit_proto_v::$name();
            let p: P = prost_v::$name();
            let wire: Bytes = kit_runtime::protobuf::Message::encode_to_bytes(&k);
            let (k1, p1) = (k.clone(), p.clone());
            v.push((
                format!("protobuf-encode-{m}/kit"),
                Box::new(move || {
                    black_box(kit_runtime::protobuf::Message::encode_to_bytes(black_box(
                        &k1,
                    )));
                }),
            ));
            v.push((
                format!("protobuf-encode-{m}/peer"),
                Box::new(move || {
                    black_box(prost::Message::encode_to_vec(black_box(&p1)));
                }),
            ));
            let (k1, p1) = (k.clone(), p.clone());
            let mut kbuf = BytesMut::new();
            v.push((
                format!("protobuf-encode_reuse-{m}/kit"),
                Box::new(move || {
                    kbuf.clear();
                    kit_runtime::protobuf::Message::encode(black_box(&k1), &mut kbuf);
                    black_box(kbuf.len());
                }),
            ));
            let mut pbuf: Vec<u8> = Vec::new();
            v.push((
                format!("protobuf-encode_reuse-{m}/peer"),
                Box::new(move || {
                    pbuf.clear();
                    prost::Message::encode(black_box(&p1), &mut pbuf).unwrap();
                    black_box(pbuf.len());
                }),
            ));
            let w = wire.clone();
            v.push((
                format!("protobuf-decode-{m}/kit"),
                Box::new(move || {
                    drop(black_box(
                        <K as kit_runtime::protobuf::Message>::decode(black_box(w.clone()))
                            .unwrap(),
                    ));
                }),
            ));
            let w = wire.clone();
            v.push((
                format!("protobuf-decode-{m}/peer"),
                Box::new(move || {
                    drop(black_box(
                        <P as prost::Message>::decode(black_box(w.clone())).unwrap(),
                    ));
                }),
            ));
        }};
    }
    macro_rules! thrift {
        ($name:ident, $ty:ident, $proto:ident, $label:literal, $enc:ident, $dec:ident, $pilota_decodes:expr) => {{
            type K = kit_codec_bench::kit_thrift::bench::$ty;
            type A = kit_codec_bench::apache::$ty;
            type PL = kit_codec_bench::pilota_gen::$ty;
            let m = stringify!($name);
            let k: K = kit_thrift_v::$name();
            let a: A = apache_v::$name();
            let pl: PL = pilota_v::$name();
            let wire: Bytes = k.encode::<$proto>();
            let k1 = k.clone();
            let mut kbuf = BytesMut::new();
            v.push((
                format!("thrift-{}-encode-{m}/kit", $label),
                Box::new(move || {
                    kbuf.clear();
                    black_box(&k1).encode_to::<$proto>(&mut kbuf);
                    black_box(kbuf.len());
                }),
            ));
            let a1 = a.clone();
            let mut abuf: Vec<u8> = Vec::new();
            v.push((
                format!("thrift-{}-encode-{m}/peer", $label),
                Box::new(move || {
                    abuf.clear();
                    apache_io::$enc(black_box(&a1), &mut abuf);
                    black_box(abuf.len());
                }),
            ));
            let pl1 = pl.clone();
            let mut plbuf = BytesMut::new();
            v.push((
                format!("thrift-{}-encode-{m}/pilota", $label),
                Box::new(move || {
                    plbuf.clear();
                    pilota_io::$enc(black_box(&pl1), &mut plbuf);
                    black_box(plbuf.len());
                }),
            ));
            let w = wire.clone();
            v.push((
                format!("thrift-{}-decode-{m}/kit", $label),
                Box::new(move || drop(black_box(K::$dec(black_box(w.clone())).unwrap()))),
            ));
            let w = wire.clone();
            v.push((
                format!("thrift-{}-decode-{m}/peer", $label),
                Box::new(move || drop(black_box(apache_io::$dec::<A>(black_box(&w[..]))))),
            ));
            if $pilota_decodes {
                let w = wire.clone();
                v.push((
                    format!("thrift-{}-decode-{m}/pilota", $label),
                    Box::new(move || drop(black_box(pilota_io::$dec::<PL>(black_box(w.clone()))))),
                ));
            }
        }};
    }
    // Every message under one protocol: kit's, Apache's and Pilota's functions share the names
    // `encode_<protocol>` / `decode_<protocol>`. Pilota 0.13.1 cannot decode compact (see
    // benches/codec.rs).
    macro_rules! thrift_all {
        ($proto:ident, $label:literal, $enc:ident, $dec:ident, $pilota_decodes:expr) => {
            thrift!(small, Small, $proto, $label, $enc, $dec, $pilota_decodes);
            thrift!(text, Text, $proto, $label, $enc, $dec, $pilota_decodes);
            thrift!(order, Order, $proto, $label, $enc, $dec, $pilota_decodes);
        };
    }
    protobuf!(small, Small);
    protobuf!(text, Text);
    protobuf!(order, Order);
    thrift_all!(Binary, "binary", encode_binary, decode_binary, true);
    thrift_all!(Compact, "compact", encode_compact, decode_compact, false);
    v
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut ops = ops();
    match args.as_slice() {
        [list] if list == "list" => {
            for (name, _) in &ops {
                println!("{name}");
            }
        }
        [op, n] => {
            let n: u64 = n.parse().expect("N: a number of iterations");
            let Some((_, f)) = ops.iter_mut().find(|(name, _)| name == op) else {
                eprintln!("insns: no operation {op:?} (`insns list` prints them)");
                std::process::exit(2);
            };
            // One call outside the count, as criterion's warm-up: lazy state, first allocations.
            f();
            for _ in 0..n {
                f();
            }
        }
        _ => {
            eprintln!("usage: insns OP N | insns list");
            std::process::exit(2);
        }
    }
}
