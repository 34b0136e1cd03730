//! kit vs prost (Protobuf) and vs the Apache `thrift` crate and Pilota (Thrift binary + compact), on the
//! three messages of `idl/`. Each group holds kit and the peer on the same logical value; the
//! startup checks (`kit_codec_bench::check::all`) prove that before anything is measured.
//!
//! `CARGO_TARGET_DIR=/work/target-bench cargo bench --bench codec -- --warm-up-time 1 --measurement-time 3`
//! (or `run.sh`, which also prints the table).
//!
//! What is measured:
//! - Protobuf encode: kit `encode_to_bytes()` vs prost `encode_to_vec()` (both size the buffer
//!   exactly, then write). Decode: both `decode(Bytes)` from the same `Bytes` (prost generated with
//!   `bytes(["."])`, so its `bytes` field is zero-copy like kit's; strings are `String`).
//!   `protobuf-encode_reuse`: both into a reused, cleared buffer (kit `encode(&mut BytesMut)`,
//!   prost `encode(&mut Vec<u8>)`), which takes allocation out of the encode comparison.
//! - Thrift encode into a reused buffer (cleared each time, so no allocation on either side):
//!   kit `encode_to::<Binary/Compact>(&mut BytesMut)` vs Apache `write_to_out_protocol` on a
//!   `TBinaryOutputProtocol`/`TCompactOutputProtocol` over a `Vec<u8>`. Decode: kit
//!   `decode_binary/decode_compact(Bytes)` vs Apache `read_from_in_protocol` over a `&[u8]`.
//! - Pilota (a second Thrift peer, in the same groups as `pilota`): `Message::encode` on
//!   `TBinaryProtocol`/`TCompactOutputProtocol` over a reused `&mut BytesMut`, `Message::decode` on
//!   `TBinaryProtocol` over `&mut Bytes` (zero-copy on). Not its compact decode: Pilota 0.13.1
//!   panics decoding compact structs that have a bool field, and all three messages have one.
//!
//! Decode input: every decoder gets its input the way a caller holding a received buffer
//! would pass it, with no preparation inside the timed routine: kit, prost and Pilota take an
//! owned `Bytes`, cloned from `wire` in criterion's untimed batch setup (`iter_batched`); the
//! Apache crate reads a `&[u8]` of `wire`. (Before, the `Bytes` sides cloned `wire` inside the
//! timed closure, a reference-count increment the Apache side did not pay.) The decoded value
//! is dropped inside the routine, so freeing what decoding allocated (or releasing the shared
//! input) is timed for every side alike.

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use kit_codec_bench::values::{apache_v, kit_proto_v, kit_thrift_v, pilota_v, prost_v};
use kit_codec_bench::{apache_io, pilota_io};
use kit_runtime::bytes::{Bytes, BytesMut};
use kit_runtime::thrift::{Binary, Compact, ThriftStruct};
use std::hint::black_box;
use std::time::Duration;

macro_rules! protobuf_benches {
    ($c:expr, $name:ident, $ty:ident) => {{
        type K = kit_codec_bench::kit_proto::bench::$ty;
        type P = kit_codec_bench::prost_gen::$ty;
        let k: K = kit_proto_v::$name();
        let p: P = prost_v::$name();
        let wire: Bytes = kit_runtime::protobuf::Message::encode_to_bytes(&k);

        let mut g = $c.benchmark_group(concat!("protobuf-encode-", stringify!($name)));
        g.bench_function("kit", |b| {
            b.iter(|| kit_runtime::protobuf::Message::encode_to_bytes(black_box(&k)))
        });
        g.bench_function("peer", |b| {
            b.iter(|| prost::Message::encode_to_vec(black_box(&p)))
        });
        g.finish();

        // The same into a reused, cleared buffer: no allocation on either side.
        let mut g = $c.benchmark_group(concat!("protobuf-encode_reuse-", stringify!($name)));
        let mut kbuf = BytesMut::new();
        g.bench_function("kit", |b| {
            b.iter(|| {
                kbuf.clear();
                kit_runtime::protobuf::Message::encode(black_box(&k), &mut kbuf);
                black_box(kbuf.len())
            })
        });
        let mut pbuf: Vec<u8> = Vec::new();
        g.bench_function("peer", |b| {
            b.iter(|| {
                pbuf.clear();
                prost::Message::encode(black_box(&p), &mut pbuf).unwrap();
                black_box(pbuf.len())
            })
        });
        g.finish();

        let mut g = $c.benchmark_group(concat!("protobuf-decode-", stringify!($name)));
        g.bench_function("kit", |b| {
            b.iter_batched(
                || wire.clone(),
                |w| {
                    drop(black_box(
                        <K as kit_runtime::protobuf::Message>::decode(black_box(w)).unwrap(),
                    ))
                },
                BatchSize::SmallInput,
            )
        });
        g.bench_function("peer", |b| {
            b.iter_batched(
                || wire.clone(),
                |w| {
                    drop(black_box(
                        <P as prost::Message>::decode(black_box(w)).unwrap(),
                    ))
                },
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }};
}

macro_rules! thrift_benches {
    ($c:expr, $name:ident, $ty:ident, $proto:ident, $label:literal, $apache_encode:ident, $apache_decode:ident, $pilota_decodes:expr) => {{
        type K = kit_codec_bench::kit_thrift::bench::$ty;
        type A = kit_codec_bench::apache::$ty;
        type PL = kit_codec_bench::pilota_gen::$ty;
        let pl: PL = pilota_v::$name();
        let k: K = kit_thrift_v::$name();
        let a: A = apache_v::$name();
        let wire: Bytes = k.encode::<$proto>();

        let mut g = $c.benchmark_group(concat!("thrift-", $label, "-encode-", stringify!($name)));
        let mut kbuf = BytesMut::new();
        g.bench_function("kit", |b| {
            b.iter(|| {
                kbuf.clear();
                black_box(&k).encode_to::<$proto>(&mut kbuf);
                black_box(kbuf.len())
            })
        });
        let mut abuf: Vec<u8> = Vec::new();
        g.bench_function("peer", |b| {
            b.iter(|| {
                abuf.clear();
                apache_io::$apache_encode(black_box(&a), &mut abuf);
                black_box(abuf.len())
            })
        });
        let mut plbuf = BytesMut::new();
        g.bench_function("pilota", |b| {
            b.iter(|| {
                plbuf.clear();
                pilota_io::$apache_encode(black_box(&pl), &mut plbuf);
                black_box(plbuf.len())
            })
        });
        g.finish();

        let mut g = $c.benchmark_group(concat!("thrift-", $label, "-decode-", stringify!($name)));
        g.bench_function("kit", |b| {
            b.iter_batched(
                || wire.clone(),
                |w| drop(black_box(K::$apache_decode(black_box(w)).unwrap())),
                BatchSize::SmallInput,
            )
        });
        g.bench_function("peer", |b| {
            b.iter_batched(
                || (),
                |()| {
                    drop(black_box(apache_io::$apache_decode::<A>(black_box(
                        &wire[..],
                    ))))
                },
                BatchSize::SmallInput,
            )
        });
        if $pilota_decodes {
            g.bench_function("pilota", |b| {
                b.iter_batched(
                    || wire.clone(),
                    |w| drop(black_box(pilota_io::$apache_decode::<PL>(black_box(w)))),
                    BatchSize::SmallInput,
                )
            });
        }
        g.finish();
    }};
}

fn protobuf(c: &mut Criterion<Clock>) {
    protobuf_benches!(c, small, Small);
    protobuf_benches!(c, text, Text);
    protobuf_benches!(c, order, Order);
}

fn thrift(c: &mut Criterion<Clock>) {
    // kit's, Apache's and Pilota's functions share the names `encode_<protocol>` /
    // `decode_<protocol>`. Pilota 0.13.1 cannot decode compact (see the top of this file).
    macro_rules! thrift_all {
        ($proto:ident, $label:literal, $enc:ident, $dec:ident, $pilota_decodes:expr) => {
            thrift_benches!(c, small, Small, $proto, $label, $enc, $dec, $pilota_decodes);
            thrift_benches!(c, text, Text, $proto, $label, $enc, $dec, $pilota_decodes);
            thrift_benches!(c, order, Order, $proto, $label, $enc, $dec, $pilota_decodes);
        };
    }
    thrift_all!(Binary, "binary", encode_binary, decode_binary, true);
    thrift_all!(Compact, "compact", encode_compact, decode_compact, false);
}

fn checks(_: &mut Criterion<Clock>) {
    // Before measuring anything: same logical values, each side reads the other's bytes, and
    // identical bytes wherever map order does not enter.
    kit_codec_bench::check::all();
}

/// What a sample's time is: wall-clock time (default, as criterion's `WallTime`), or with
/// `KIT_BENCH_CLOCK=thread-cpu` the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), which
/// leaves out the time other processes hold the core: on a shared, loaded machine wall-clock
/// medians of the same code moved by 2x between runs, CPU time far less. Either clock times both
/// sides of every group alike.
struct Clock {
    clock: libc::clockid_t,
}

impl Clock {
    fn from_env() -> Clock {
        let clock = match std::env::var("KIT_BENCH_CLOCK").as_deref() {
            Ok("thread-cpu") => libc::CLOCK_THREAD_CPUTIME_ID,
            Ok("wall") | Err(_) => libc::CLOCK_MONOTONIC,
            Ok(other) => panic!("KIT_BENCH_CLOCK={other}: expected `wall` or `thread-cpu`"),
        };
        Clock { clock }
    }
    fn now(&self) -> u64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; both clock ids exist on Linux.
        let rc = unsafe { libc::clock_gettime(self.clock, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime");
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }
}

impl Measurement for Clock {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        self.now()
    }
    fn end(&self, start: u64) -> u64 {
        self.now().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanos
    }
}

/// Values are nanoseconds, shown as ns/µs/ms like criterion's own formatter.
struct Nanos;

impl ValueFormatter for Nanos {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (div, unit) = if typical < 1e3 {
            (1.0, "ns")
        } else if typical < 1e6 {
            (1e3, "µs")
        } else if typical < 1e9 {
            (1e6, "ms")
        } else {
            (1e9, "s")
        };
        values.iter_mut().for_each(|v| *v /= div);
        unit
    }
    fn scale_throughputs(&self, _: f64, _: &Throughput, _: &mut [f64]) -> &'static str {
        "ns"
    }
    fn scale_for_machines(&self, _: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn config() -> Criterion<Clock> {
    // Short by default: the machine is shared. Command-line flags override these.
    Criterion::default()
        .with_measurement(Clock::from_env())
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = checks, protobuf, thrift
}
criterion_main!(benches);
