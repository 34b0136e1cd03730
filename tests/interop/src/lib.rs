//! ThriftTest over kit's Thrift RPC: the handler the `thrift-server` binary serves and the
//! checks the `thrift-client` binary runs, as `ThriftTest.thrift`'s comments specify.

#![allow(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/kit_gen.rs"));

use kit_runtime::{HashMap, HashMapExt, HashSet};
use std::time::Duration;

use kit_runtime::bytes::Bytes;
use kit_runtime::thrift::rpc::{self, CallService, ProtocolKind, TransportKind};
use kit_runtime::thrift::{ApplicationException, ApplicationExceptionKind};
use kit_runtime::ByteStr;

use thrift::test::*;

/// The ThriftTest handler.
#[derive(Debug, Default, Clone)]
pub struct Handler;

type R<T, E> = Result<T, E>;

impl ThriftTest for Handler {
    async fn test_void(&self) -> R<(), ThriftTestTestVoidError> {
        Ok(())
    }
    async fn test_string(&self, thing: ByteStr) -> R<ByteStr, ThriftTestTestStringError> {
        Ok(thing)
    }
    async fn test_bool(&self, thing: bool) -> R<bool, ThriftTestTestBoolError> {
        Ok(thing)
    }
    async fn test_byte(&self, thing: i8) -> R<i8, ThriftTestTestByteError> {
        Ok(thing)
    }
    async fn test_i32(&self, thing: i32) -> R<i32, ThriftTestTestI32Error> {
        Ok(thing)
    }
    async fn test_i64(&self, thing: i64) -> R<i64, ThriftTestTestI64Error> {
        Ok(thing)
    }
    async fn test_double(&self, thing: f64) -> R<f64, ThriftTestTestDoubleError> {
        Ok(thing)
    }
    async fn test_binary(&self, thing: Bytes) -> R<Bytes, ThriftTestTestBinaryError> {
        Ok(thing)
    }
    async fn test_struct(&self, thing: Xtruct) -> R<Xtruct, ThriftTestTestStructError> {
        Ok(thing)
    }
    async fn test_nest(&self, thing: Xtruct2) -> R<Xtruct2, ThriftTestTestNestError> {
        Ok(thing)
    }
    async fn test_map(
        &self,
        thing: HashMap<i32, i32>,
    ) -> R<HashMap<i32, i32>, ThriftTestTestMapError> {
        Ok(thing)
    }
    async fn test_string_map(
        &self,
        thing: HashMap<ByteStr, ByteStr>,
    ) -> R<HashMap<ByteStr, ByteStr>, ThriftTestTestStringMapError> {
        Ok(thing)
    }
    async fn test_set(&self, thing: HashSet<i32>) -> R<HashSet<i32>, ThriftTestTestSetError> {
        Ok(thing)
    }
    async fn test_list(&self, thing: Vec<i32>) -> R<Vec<i32>, ThriftTestTestListError> {
        Ok(thing)
    }
    async fn test_enum(&self, thing: Numberz) -> R<Numberz, ThriftTestTestEnumError> {
        Ok(thing)
    }
    async fn test_typedef(&self, thing: UserId) -> R<UserId, ThriftTestTestTypedefError> {
        Ok(thing)
    }
    async fn test_map_map(
        &self,
        _hello: i32,
    ) -> R<HashMap<i32, HashMap<i32, i32>>, ThriftTestTestMapMapError> {
        Ok(map_map())
    }
    async fn test_insanity(
        &self,
        argument: Insanity,
    ) -> R<HashMap<UserId, HashMap<Numberz, Insanity>>, ThriftTestTestInsanityError> {
        Ok(insanity(argument))
    }
    async fn test_multi(
        &self,
        arg0: i8,
        arg1: i32,
        arg2: i64,
        _arg3: HashMap<i16, ByteStr>,
        _arg4: Numberz,
        _arg5: UserId,
    ) -> R<Xtruct, ThriftTestTestMultiError> {
        Ok(Xtruct {
            string_thing: "Hello2".into(),
            byte_thing: arg0,
            i32_thing: arg1,
            i64_thing: arg2,
        })
    }
    async fn test_exception(&self, arg: ByteStr) -> R<(), ThriftTestTestExceptionError> {
        match &*arg {
            "Xception" => Err(ThriftTestTestExceptionError::Err1(Xception {
                error_code: 1001,
                message: arg,
            })),
            "TException" => Err(ThriftTestTestExceptionError::Application(
                ApplicationException::new(ApplicationExceptionKind::UNKNOWN, "TException"),
            )),
            _ => Ok(()),
        }
    }
    async fn test_multi_exception(
        &self,
        arg0: ByteStr,
        arg1: ByteStr,
    ) -> R<Xtruct, ThriftTestTestMultiExceptionError> {
        match &*arg0 {
            "Xception" => Err(ThriftTestTestMultiExceptionError::Err1(Xception {
                error_code: 1001,
                message: "This is an Xception".into(),
            })),
            "Xception2" => Err(ThriftTestTestMultiExceptionError::Err2(Xception2 {
                error_code: 2002,
                struct_thing: Xtruct {
                    string_thing: "This is an Xception2".into(),
                    ..Default::default()
                },
            })),
            _ => Ok(Xtruct {
                string_thing: arg1,
                ..Default::default()
            }),
        }
    }
    async fn test_oneway(&self, seconds_to_sleep: i32) -> R<(), ThriftTestTestOnewayError> {
        tokio::time::sleep(Duration::from_secs(seconds_to_sleep.clamp(0, 10) as u64)).await;
        Ok(())
    }
}

fn map_map() -> HashMap<i32, HashMap<i32, i32>> {
    let neg = (1..=4).map(|i| (-i, -i)).collect();
    let pos = (1..=4).map(|i| (i, i)).collect();
    HashMap::from_iter([(-4, neg), (4, pos)])
}

fn insanity(argument: Insanity) -> HashMap<UserId, HashMap<Numberz, Insanity>> {
    HashMap::from_iter([
        (
            1,
            HashMap::from_iter([(Numberz::TWO, argument.clone()), (Numberz::THREE, argument)]),
        ),
        (2, HashMap::from_iter([(Numberz::SIX, Insanity::default())])),
    ])
}

/// Parses `--port N --protocol binary|compact --transport framed|buffered|header`.
pub fn parse_args() -> Result<(u16, ProtocolKind, TransportKind), String> {
    let mut port = 9090u16;
    let mut protocol = ProtocolKind::Binary;
    let mut transport = TransportKind::Buffered;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let (k, v) = match a.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (a.clone(), args.next().ok_or(format!("{a} needs a value"))?),
        };
        match k.as_str() {
            "--port" => port = v.parse().map_err(|e| format!("--port: {e}"))?,
            "--protocol" => protocol = v.parse()?,
            "--transport" => transport = v.parse()?,
            _ => return Err(format!("unknown argument {k}")),
        }
    }
    Ok((port, protocol, transport))
}

macro_rules! check {
    ($name:expr, $got:expr, $want:expr) => {{
        let got = $got;
        let want = $want;
        if got != want {
            return Err(format!("{}: got {:?}, want {:?}", $name, got, want));
        }
    }};
}

/// Calls every ThriftTest method with edge values; the first mismatch is the error.
pub async fn run_client<S: CallService>(c: &ThriftTestClient<S>) -> Result<(), String> {
    let e = |m: &str| {
        let m = m.to_string();
        move |e: &dyn std::fmt::Display| format!("{m}: {e}")
    };
    c.test_void().await.map_err(|x| e("testVoid")(&x))?;
    for s in ["", "Test", "ünïcödé ✓ 日本語", &"x".repeat(70_000)] {
        let got = c
            .test_string(ByteStr::copy_from_str(s))
            .await
            .map_err(|x| e("testString")(&x))?;
        check!("testString", &*got, s);
    }
    for b in [true, false] {
        check!(
            "testBool",
            c.test_bool(b).await.map_err(|x| e("testBool")(&x))?,
            b
        );
    }
    for v in [0i8, 1, -1, i8::MIN, i8::MAX] {
        check!(
            "testByte",
            c.test_byte(v).await.map_err(|x| e("testByte")(&x))?,
            v
        );
    }
    for v in [0i32, -1, i32::MIN, i32::MAX] {
        check!(
            "testI32",
            c.test_i32(v).await.map_err(|x| e("testI32")(&x))?,
            v
        );
    }
    for v in [0i64, -1, i64::MIN, i64::MAX, 1 << 40] {
        check!(
            "testI64",
            c.test_i64(v).await.map_err(|x| e("testI64")(&x))?,
            v
        );
    }
    for v in [0.0f64, -5.25, f64::MAX, f64::MIN_POSITIVE, 1e-300] {
        check!(
            "testDouble",
            c.test_double(v).await.map_err(|x| e("testDouble")(&x))?,
            v
        );
    }
    let bin = Bytes::from((0..=255u8).collect::<Vec<u8>>());
    check!(
        "testBinary",
        c.test_binary(bin.clone())
            .await
            .map_err(|x| e("testBinary")(&x))?,
        bin
    );
    check!(
        "testBinary(empty)",
        c.test_binary(Bytes::new())
            .await
            .map_err(|x| e("testBinary")(&x))?,
        Bytes::new()
    );
    let x = Xtruct {
        string_thing: "Zero".into(),
        byte_thing: 1,
        i32_thing: -3,
        i64_thing: -5,
    };
    check!(
        "testStruct",
        c.test_struct(x.clone())
            .await
            .map_err(|x| e("testStruct")(&x))?,
        x.clone()
    );
    let n = Xtruct2 {
        byte_thing: 1,
        struct_thing: x.clone(),
        i32_thing: 5,
    };
    check!(
        "testNest",
        c.test_nest(n.clone())
            .await
            .map_err(|x| e("testNest")(&x))?,
        n
    );
    let m: HashMap<i32, i32> = (0..5).map(|i| (i, i - 10)).collect();
    check!(
        "testMap",
        c.test_map(m.clone()).await.map_err(|x| e("testMap")(&x))?,
        m
    );
    check!(
        "testMap(empty)",
        c.test_map(HashMap::new())
            .await
            .map_err(|x| e("testMap")(&x))?,
        HashMap::new()
    );
    let sm: HashMap<ByteStr, ByteStr> = [("a", "2"), ("b", "blah"), ("some", "thing"), ("", "")]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    check!(
        "testStringMap",
        c.test_string_map(sm.clone())
            .await
            .map_err(|x| e("testStringMap")(&x))?,
        sm
    );
    let set: HashSet<i32> = HashSet::from_iter([-2, -1, 0, 1, 2]);
    check!(
        "testSet",
        c.test_set(set.clone())
            .await
            .map_err(|x| e("testSet")(&x))?,
        set
    );
    let list: Vec<i32> = (-2..3).collect();
    check!(
        "testList",
        c.test_list(list.clone())
            .await
            .map_err(|x| e("testList")(&x))?,
        list
    );
    for v in [Numberz::ONE, Numberz::TWO, Numberz::EIGHT] {
        check!(
            "testEnum",
            c.test_enum(v).await.map_err(|x| e("testEnum")(&x))?,
            v
        );
    }
    check!(
        "testTypedef",
        c.test_typedef(309858235082523)
            .await
            .map_err(|x| e("testTypedef")(&x))?,
        309858235082523
    );
    check!(
        "testMapMap",
        c.test_map_map(1).await.map_err(|x| e("testMapMap")(&x))?,
        map_map()
    );
    let ins = Insanity {
        user_map: HashMap::from_iter([(Numberz::FIVE, 5), (Numberz::EIGHT, 8)]),
        xtructs: vec![x.clone(), Xtruct::default()],
    };
    check!(
        "testInsanity",
        c.test_insanity(ins.clone())
            .await
            .map_err(|x| e("testInsanity")(&x))?,
        insanity(ins)
    );
    let got = c
        .test_multi(
            1,
            2,
            3,
            HashMap::from_iter([(1, "abc".into())]),
            Numberz::FIVE,
            6,
        )
        .await
        .map_err(|x| e("testMulti")(&x))?;
    check!(
        "testMulti",
        got,
        Xtruct {
            string_thing: "Hello2".into(),
            byte_thing: 1,
            i32_thing: 2,
            i64_thing: 3
        }
    );
    match c.test_exception("Xception".into()).await {
        Err(ThriftTestTestExceptionError::Err1(x)) => {
            check!(
                "testException(Xception)",
                (x.error_code, &*x.message),
                (1001, "Xception")
            )
        }
        other => return Err(format!("testException(Xception): {other:?}")),
    }
    match c.test_exception("TException".into()).await {
        Err(ThriftTestTestExceptionError::Application(_)) => {}
        other => return Err(format!("testException(TException): {other:?}")),
    }
    c.test_exception("success".into())
        .await
        .map_err(|x| e("testException(success)")(&x))?;
    match c
        .test_multi_exception("Xception".into(), "ignored".into())
        .await
    {
        Err(ThriftTestTestMultiExceptionError::Err1(x)) => check!(
            "testMultiException(Xception)",
            (x.error_code, &*x.message),
            (1001, "This is an Xception")
        ),
        other => return Err(format!("testMultiException(Xception): {other:?}")),
    }
    match c
        .test_multi_exception("Xception2".into(), "ignored".into())
        .await
    {
        Err(ThriftTestTestMultiExceptionError::Err2(x)) => check!(
            "testMultiException(Xception2)",
            (x.error_code, &*x.struct_thing.string_thing),
            (2002, "This is an Xception2")
        ),
        other => return Err(format!("testMultiException(Xception2): {other:?}")),
    }
    let got = c
        .test_multi_exception("Normal".into(), "Hello".into())
        .await
        .map_err(|x| e("testMultiException(Normal)")(&x))?;
    check!("testMultiException(Normal)", &*got.string_thing, "Hello");
    // Oneway: returns at once although the server sleeps.
    let t = std::time::Instant::now();
    c.test_oneway(1).await.map_err(|x| e("testOneway")(&x))?;
    if t.elapsed() > Duration::from_millis(900) {
        return Err(format!("testOneway took {:?}: not oneway", t.elapsed()));
    }
    // The connection is still usable after a oneway.
    c.test_void()
        .await
        .map_err(|x| e("testVoid after oneway")(&x))?;
    Ok(())
}

/// A client for `127.0.0.1:port`.
pub fn client(
    port: u16,
    protocol: ProtocolKind,
    transport: TransportKind,
) -> ThriftTestClient<rpc::Channel> {
    let ch = rpc::Channel::new(format!("127.0.0.1:{port}"), transport);
    ThriftTestClient::new(ch, protocol)
}
