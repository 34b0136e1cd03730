//! Load balancing over kit Thrift servers on loopback: calls spread across endpoints, a dead
//! endpoint is skipped, discovery changes are followed, DNS discovery resolves.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kit_runtime::balance::{Balance, Dns, Policy, StaticList};
use kit_runtime::thrift::rpc::{
    BoxError, Channel, ClientCore, Error, ProtocolKind, Request, Server, ServerHandle,
    TransportKind,
};
use kit_runtime::thrift::{ApplicationException, ApplicationExceptionKind};
use tokio::net::TcpListener;

/// `n` servers; server `i` answers every call with its name `s{i}`, after sleeping `kind`
/// milliseconds.
async fn servers(n: usize) -> Vec<ServerHandle> {
    let mut v = Vec::new();
    for i in 0..n {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let name: Arc<str> = format!("s{i}").into();
        let named = tower::service_fn(move |req: Request| {
            let name = name.clone();
            async move {
                let a: ApplicationException = req.decode_args()?;
                tokio::time::sleep(Duration::from_millis(a.kind.0 as u64)).await;
                let r = ApplicationException::new(ApplicationExceptionKind(0), name.to_string());
                Ok::<_, BoxError>(Some(req.reply(&r)))
            }
        });
        v.push(Server::new().serve(l, named));
    }
    v
}

/// An address that refuses connections: a socket bound but not listening. Keep the socket
/// for the test's duration so no other test (they run in parallel) can take its port.
fn refusing_addr() -> (tokio::net::TcpSocket, String) {
    let s = tokio::net::TcpSocket::new_v4().unwrap();
    s.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let a = s.local_addr().unwrap().to_string();
    (s, a)
}

async fn who<S: kit_runtime::thrift::rpc::CallService>(
    c: &ClientCore<S>,
    delay_ms: i32,
) -> Result<String, Error> {
    let a = ApplicationException::new(ApplicationExceptionKind(delay_ms), "");
    let r: ApplicationException = c.call("who", &a).await?;
    Ok(r.message.to_string())
}

fn channel(t: TransportKind) -> impl Fn(&str) -> Channel + Send + Sync + 'static {
    move |addr: &str| Channel::new(addr, t)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_robin_spreads_calls_evenly() {
    let hs = servers(3).await;
    let list = StaticList::new(hs.iter().map(|h| h.local_addr().to_string()));
    let b = Balance::builder()
        .policy(Policy::RoundRobin)
        .build(list, channel(TransportKind::Framed));
    let c = ClientCore::new(b, ProtocolKind::Binary);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for _ in 0..30 {
        *seen.entry(who(&c, 0).await.unwrap()).or_default() += 1;
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen.values().all(|&n| n == 10), "{seen:?}");
    for h in hs {
        h.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn power_of_two_choices_spreads_concurrent_calls() {
    let hs = servers(3).await;
    let list = StaticList::new(hs.iter().map(|h| h.local_addr().to_string()));
    let b = Balance::new(list, channel(TransportKind::Header));
    let c = ClientCore::new(b, ProtocolKind::Compact);
    let mut tasks = Vec::new();
    for _ in 0..90 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move { who(&c, 20).await.unwrap() }));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for t in tasks {
        *seen.entry(t.await.unwrap()).or_default() += 1;
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    // By in-flight count, no endpoint gets most of the load.
    assert!(seen.values().all(|&n| n >= 10), "{seen:?}");
    for h in hs {
        h.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_is_skipped() {
    for policy in [Policy::RoundRobin, Policy::PowerOfTwoChoices] {
        for t in [TransportKind::Framed, TransportKind::Header] {
            let hs = servers(2).await;
            let mut addrs: Vec<String> = hs.iter().map(|h| h.local_addr().to_string()).collect();
            let (_reserved, dead) = refusing_addr();
            addrs.insert(1, dead);
            let b = Balance::builder()
                .policy(policy)
                .build(StaticList::new(addrs), channel(t));
            let c = ClientCore::new(b, ProtocolKind::Binary);
            let mut seen: HashMap<String, usize> = HashMap::new();
            for _ in 0..20 {
                // Never an error: the dead endpoint fails readiness, before the call is sent.
                *seen.entry(who(&c, 0).await.unwrap()).or_default() += 1;
            }
            assert_eq!(seen.len(), 2, "{policy:?} {t:?}: {seen:?}");
            for h in hs {
                h.shutdown().await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_whose_server_went_away_is_skipped_not_failed() {
    for t in [TransportKind::Framed, TransportKind::Header] {
        let mut hs = servers(3).await;
        let addrs: Vec<String> = hs.iter().map(|h| h.local_addr().to_string()).collect();
        let b = Balance::builder()
            .policy(Policy::RoundRobin)
            .build(StaticList::new(addrs), channel(t));
        let c = ClientCore::new(b, ProtocolKind::Binary);
        // Every endpoint now has an idle connection (a pooled one, or a multiplexed one).
        for _ in 0..6 {
            who(&c, 0).await.unwrap();
        }
        hs.remove(1).shutdown().await;
        // The client's idle connection to s1 is closed; give its FIN time to arrive, as it
        // would have long before the next call on an idle connection.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut seen: HashMap<String, usize> = HashMap::new();
        for _ in 0..20 {
            // Never an error: s1's closed idle connection fails readiness, so it is skipped.
            *seen.entry(who(&c, 0).await.unwrap()).or_default() += 1;
        }
        assert_eq!(
            seen.keys().filter(|k| *k == "s1").count(),
            0,
            "{t:?}: {seen:?}"
        );
        assert_eq!(seen.len(), 2, "{t:?}: {seen:?}");
        for h in hs {
            h.shutdown().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_changes_are_followed_and_no_endpoints_is_an_error() {
    let hs = servers(2).await;
    let list = Arc::new(StaticList::new([hs[0].local_addr().to_string()]));
    struct Shared(Arc<StaticList>);
    impl kit_runtime::balance::Discover for Shared {
        fn subscribe(&self) -> tokio::sync::watch::Receiver<kit_runtime::balance::Endpoints> {
            self.0.subscribe()
        }
    }
    let b = Balance::builder()
        .policy(Policy::RoundRobin)
        .wait_for_endpoints(Duration::from_millis(50))
        .build(Shared(list.clone()), channel(TransportKind::Framed));
    let c = ClientCore::new(b, ProtocolKind::Binary);
    assert_eq!(who(&c, 0).await.unwrap(), "s0");
    list.set([hs[1].local_addr().to_string()]);
    assert_eq!(who(&c, 0).await.unwrap(), "s1");
    list.set(Vec::<String>::new());
    match who(&c, 0).await {
        Err(Error::Other(e)) => assert!(e.to_string().contains("no endpoints"), "{e}"),
        other => panic!("expected no endpoints, got {other:?}"),
    }
    for h in hs {
        h.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_discovery_resolves_localhost() {
    let hs = servers(1).await;
    let port = hs[0].local_addr().port();
    // `localhost` may also resolve to ::1, where nothing listens: that endpoint is skipped.
    let dns = Dns::spawn(format!("localhost:{port}"), Duration::from_secs(30));
    let b = Balance::new(dns, channel(TransportKind::Framed));
    let c = ClientCore::new(b, ProtocolKind::Binary);
    for _ in 0..5 {
        assert_eq!(who(&c, 0).await.unwrap(), "s0");
    }
    for h in hs {
        h.shutdown().await;
    }
}
