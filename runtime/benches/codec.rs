//! Encode/decode throughput of the model types (`tests/models`).
//!
//! `cargo bench -p kit-runtime --bench codec`. Comparisons against Pilota and
//! prost belong in the workspace benchmark suite; these numbers are the
//! runtime's own baseline.

#[path = "../tests/models/mod.rs"]
mod models;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kit_runtime::bytes::BytesMut;
use kit_runtime::protobuf::Message;
use kit_runtime::thrift::{Binary, Compact, ThriftStruct};
use models::{Address, Color, Example, Inner, Person};
use std::hint::black_box;

fn example() -> Example {
    Example {
        id: 123_456,
        name: "a moderately long user name".into(),
        tags: (0..20).map(|i| format!("tag-{i}").into()).collect(),
        counts: (0..10)
            .map(|i| (format!("key{i}").into(), i * 1000))
            .collect(),
        inner: Inner {
            a: -5,
            tag: Some("inner".into()),
        },
        flag: Some(true),
        blob: Some(vec![7u8; 256].into()),
        score: 3.25,
        small: (0..10).collect(),
        uid: Some([1; 16]),
        color: Color::GREEN,
        tiny: 3,
        inners: (0..5)
            .map(|i| Inner {
                a: i,
                tag: Some(format!("n{i}").into()),
            })
            .collect(),
    }
}

fn person() -> Person {
    Person {
        name: "a moderately long user name".into(),
        id: 123_456,
        emails: (0..10)
            .map(|i| format!("user{i}@example.com").into())
            .collect(),
        scores: (0..50).map(|i| i * 7919).collect(),
        address: Some(Address {
            city: "Zürich".into(),
            zip: 8000,
            ..Default::default()
        }),
        weight: Some(72.5),
        blob: vec![7u8; 256].into(),
        delta: -99,
        codes: (0..20).collect(),
        active: true,
        history: (0..5)
            .map(|i| Address {
                city: format!("city{i}").into(),
                zip: i,
                ..Default::default()
            })
            .collect(),
        color: Color::RED,
        ..Default::default()
    }
}

fn thrift(c: &mut Criterion) {
    let e = example();
    for (name, bytes) in [
        ("binary", e.encode_binary()),
        ("compact", e.encode_compact()),
    ] {
        let mut g = c.benchmark_group(format!("thrift_{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("encode", |b| {
            b.iter(|| {
                if name == "binary" {
                    black_box(black_box(&e).encode::<Binary>())
                } else {
                    black_box(black_box(&e).encode::<Compact>())
                }
            })
        });
        g.bench_function("encode_reuse_buf", |b| {
            let mut buf = BytesMut::with_capacity(bytes.len() * 2);
            b.iter(|| {
                buf.clear();
                if name == "binary" {
                    black_box(&e).encode_to::<Binary>(&mut buf)
                } else {
                    black_box(&e).encode_to::<Compact>(&mut buf)
                }
                black_box(buf.len());
            })
        });
        g.bench_function("decode", |b| {
            b.iter(|| {
                let d = if name == "binary" {
                    Example::decode::<Binary>(black_box(bytes.clone()))
                } else {
                    Example::decode::<Compact>(black_box(bytes.clone()))
                };
                black_box(d.unwrap())
            })
        });
        g.finish();
    }
}

fn protobuf(c: &mut Criterion) {
    let p = person();
    let bytes = p.encode_to_bytes();
    let mut g = c.benchmark_group("protobuf");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("encode", |b| {
        b.iter(|| black_box(black_box(&p).encode_to_bytes()))
    });
    g.bench_function("encode_reuse_buf", |b| {
        let mut buf = BytesMut::with_capacity(bytes.len() * 2);
        b.iter(|| {
            buf.clear();
            black_box(&p).encode(&mut buf);
            black_box(buf.len());
        })
    });
    g.bench_function("decode", |b| {
        b.iter(|| black_box(Person::decode(black_box(bytes.clone())).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, thrift, protobuf);
criterion_main!(benches);
