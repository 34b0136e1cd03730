//! Heap allocations per decode (and per encode), kit vs prost, Apache Thrift and Pilota, counted by a
//! `#[global_allocator]` wrapping the system allocator. `alloc` and `realloc` calls both count as
//! allocations; bytes are the sizes requested.
//!
//! `CARGO_TARGET_DIR=/work/target-bench cargo run --release --bin allocs`
//!
//! kit's string-heavy decode should allocate only for containers (the `Vec` of tags), never for
//! string bytes: long strings and `binary` are slices of the input `Bytes`, strings of at most 23
//! bytes are copied into the `ByteStr` value itself.

use kit_codec_bench::values::{apache_v, kit_proto_v, kit_thrift_v, pilota_v, prost_v};
use kit_codec_bench::{apache_io, pilota_io};
use kit_runtime::bytes::{Bytes, BytesMut};
use kit_runtime::thrift::{Binary, Compact, ThriftStruct};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size as u64, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const N: u64 = 1000;

/// (allocations, bytes) per call of `f`, averaged over N calls; the result is dropped inside.
fn per_call<T>(mut f: impl FnMut() -> T) -> (f64, f64) {
    drop(black_box(f())); // warm any lazy state
    let (a0, b0) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
    for _ in 0..N {
        drop(black_box(f()));
    }
    let (a1, b1) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
    ((a1 - a0) as f64 / N as f64, (b1 - b0) as f64 / N as f64)
}

fn row(
    message: &str,
    op: &str,
    peer: &str,
    kit: (f64, f64),
    other: (f64, f64),
    pilota: Option<(f64, f64)>,
) {
    let pilota = match pilota {
        Some((a, b)) => format!("{a:.1} | {b:.0}"),
        None => "— | —".into(),
    };
    println!(
        "| {message} | {op} | {:.1} | {:.0} | {peer} | {:.1} | {:.0} | {pilota} |",
        kit.0, kit.1, other.0, other.1
    );
}

macro_rules! rows {
    ($name:ident, $ty:ident) => {{
        type KP = kit_codec_bench::kit_proto::bench::$ty;
        type PP = kit_codec_bench::prost_gen::$ty;
        type KT = kit_codec_bench::kit_thrift::bench::$ty;
        type AT = kit_codec_bench::apache::$ty;
        type PT = kit_codec_bench::pilota_gen::$ty;
        let m = stringify!($name);

        let k = kit_proto_v::$name();
        let p = prost_v::$name();
        let wire: Bytes = kit_runtime::protobuf::Message::encode_to_bytes(&k);
        row(
            m,
            "protobuf decode",
            "prost",
            per_call(|| <KP as kit_runtime::protobuf::Message>::decode(wire.clone()).unwrap()),
            per_call(|| <PP as prost::Message>::decode(wire.clone()).unwrap()),
            None,
        );
        row(
            m,
            "protobuf encode",
            "prost",
            per_call(|| kit_runtime::protobuf::Message::encode_to_bytes(&k)),
            per_call(|| prost::Message::encode_to_vec(&p)),
            None,
        );

        let k = kit_thrift_v::$name();
        let a = apache_v::$name();
        let pl = pilota_v::$name();
        let mut plbuf = BytesMut::with_capacity(4096);
        let wire_b: Bytes = k.encode::<Binary>();
        let wire_c: Bytes = k.encode::<Compact>();
        row(
            m,
            "thrift binary decode",
            "Apache",
            per_call(|| KT::decode_binary(wire_b.clone()).unwrap()),
            per_call(|| apache_io::decode_binary::<AT>(&wire_b[..])),
            Some(per_call(|| pilota_io::decode_binary::<PT>(wire_b.clone()))),
        );
        row(
            m,
            "thrift compact decode",
            "Apache",
            per_call(|| KT::decode_compact(wire_c.clone()).unwrap()),
            per_call(|| apache_io::decode_compact::<AT>(&wire_c[..])),
            None,
        ); // Pilota 0.13.1 panics decoding compact structs with a bool field
        row(
            m,
            "thrift binary encode (new buffer: `encode_binary()` / fresh `Vec`)",
            "Apache",
            per_call(|| k.encode_binary()),
            per_call(|| {
                let mut v = Vec::new();
                apache_io::encode_binary(&a, &mut v);
                v
            }),
            None,
        );
        row(
            m,
            "thrift compact encode (new buffer: `encode_compact()` / fresh `Vec`)",
            "Apache",
            per_call(|| k.encode_compact()),
            per_call(|| {
                let mut v = Vec::new();
                apache_io::encode_compact(&a, &mut v);
                v
            }),
            None,
        );
        let mut kbuf = BytesMut::with_capacity(4096);
        let mut abuf: Vec<u8> = Vec::with_capacity(4096);
        row(
            m,
            "thrift binary encode (reused buffer)",
            "Apache",
            per_call(|| {
                kbuf.clear();
                k.encode_to::<Binary>(&mut kbuf);
            }),
            per_call(|| {
                abuf.clear();
                apache_io::encode_binary(&a, &mut abuf);
            }),
            Some(per_call(|| {
                plbuf.clear();
                pilota_io::encode_binary(&pl, &mut plbuf);
            })),
        );
        row(
            m,
            "thrift compact encode (reused buffer)",
            "Apache",
            per_call(|| {
                kbuf.clear();
                k.encode_to::<Compact>(&mut kbuf);
            }),
            per_call(|| {
                abuf.clear();
                apache_io::encode_compact(&a, &mut abuf);
            }),
            Some(per_call(|| {
                plbuf.clear();
                pilota_io::encode_compact(&pl, &mut plbuf);
            })),
        );
    }};
}

fn main() {
    kit_codec_bench::check::all();
    println!(
        "Heap allocations per call (alloc + realloc) and bytes requested, mean of {N} calls.\n"
    );
    println!("| message | op | kit allocs | kit bytes | peer | peer allocs | peer bytes | Pilota allocs | Pilota bytes |");
    println!("|---|---|---:|---:|---|---:|---:|---:|---:|");
    rows!(small, Small);
    rows!(text, Text);
    rows!(order, Order);
}
