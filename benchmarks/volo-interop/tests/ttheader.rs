//! kit ⇄ Volo over TTHeader, both ways, with header values round-tripping:
//! * kit client → Volo server: the Volo handler reads the persistent and transient values the
//!   kit client sent (`RPC_PERSIST_…`, `RPC_TRANSIT_…`) and the kit client reads the value the
//!   Volo handler set backward (`RPC_BACKWARD_…` on the reply);
//! * Volo client → kit server: the kit handler reads the values the Volo client put in its
//!   `METAINFO`, and the Volo client finds the kit server's backward value in its `METAINFO`.
//!
//! Plus declared exceptions and many concurrent calls each way.

use kit_runtime::thrift::rpc::{Channel, ProtocolKind, TransportKind};
use kit_volo_interop::kit_gen::interop as k;
use kit_volo_interop::*;

fn kit_client(
    addr: std::net::SocketAddr,
    persist: &str,
    transit: &str,
) -> (
    k::InteropClient<CaptureReplyHeaders<Channel>>,
    CaptureReplyHeaders<Channel>,
) {
    let ch = CaptureReplyHeaders::new(Channel::new(addr.to_string(), TransportKind::Header));
    let c = k::InteropClient::new(ch.clone(), ProtocolKind::Binary)
        .with_header(persist_header(), persist)
        .with_header(transit_header(), transit);
    (c, ch)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kit_client_calls_volo_server_with_headers_both_ways() {
    let server = start_volo_server("back-from-volo").await;
    let (c, capture) = kit_client(server.addr, "trace-from-kit", "hop-from-kit");

    let pong = c
        .ping(k::Ping {
            text: "hello volo".into(),
        })
        .await
        .expect("kit → volo ping");
    assert_eq!(&*pong.text, "hello volo");
    assert_eq!(
        pong.header_seen.as_deref(),
        Some("trace-from-kit|hop-from-kit"),
        "the Volo handler must see the headers the kit client sent"
    );
    let back = capture.last.lock().unwrap().clone().expect("a reply");
    assert_eq!(
        back.get(&back_header()),
        Some("back-from-volo"),
        "the kit client must see the header the Volo handler sent back: {back:?}"
    );

    // A declared exception crosses as that exception.
    match c.fail(42).await {
        Err(k::InteropFailError::Oops(o)) => {
            assert_eq!(o.code, 42);
            assert_eq!(&*o.reason, "as asked");
        }
        other => panic!("expected Oops(42), got {other:?}"),
    }
    assert_eq!(&*c.fail(0).await.expect("fail(0)").text, "ok");

    // Many calls in flight (several pooled connections, seq ids matched per reply).
    let mut calls = Vec::new();
    for i in 0..200 {
        let c = c.clone();
        calls.push(tokio::spawn(async move {
            let text = format!("call {i}");
            let p = c
                .ping(k::Ping {
                    text: text.clone().into(),
                })
                .await
                .unwrap();
            assert_eq!(&*p.text, text);
        }));
    }
    for t in calls {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volo_client_calls_kit_server_with_headers_both_ways() {
    let server = start_kit_server("back-from-kit").await;
    let addr = server.local_addr();
    let client = volo_client(addr);

    let (pong, back) = with_volo_metainfo("trace-from-volo", "hop-from-volo", async {
        client
            .ping(v::Ping {
                text: "hello kit".into(),
            })
            .await
    })
    .await;
    let pong = pong.expect("volo → kit ping");
    assert_eq!(&*pong.text, "hello kit");
    assert_eq!(
        pong.header_seen.as_deref(),
        Some("trace-from-volo|hop-from-volo"),
        "the kit handler must see the headers the Volo client sent"
    );
    assert_eq!(
        back.as_deref(),
        Some("back-from-kit"),
        "the Volo client must see the header the kit server sent back"
    );

    // A declared exception thrown by kit arrives at Volo as that exception.
    let r = client.fail(7).await.expect("transport ok");
    match r {
        volo_thrift::MaybeException::Exception(v::InteropFailException::Oops(o)) => {
            assert_eq!(o.code, Some(7));
            assert_eq!(o.reason.as_deref(), Some("as asked"));
        }
        volo_thrift::MaybeException::Ok(p) => panic!("expected Oops(7), got Ok({p:?})"),
    }

    // Many calls in flight through Volo's pool.
    let mut calls = Vec::new();
    for i in 0..200 {
        let client = client.clone();
        calls.push(tokio::spawn(async move {
            let text = format!("call {i}");
            let p = client
                .ping(v::Ping {
                    text: text.clone().into(),
                })
                .await
                .unwrap();
            assert_eq!(&*p.text, text);
        }));
    }
    for t in calls {
        t.await.unwrap();
    }
    server.shutdown().await;
}
