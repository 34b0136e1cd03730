//! The whole comparison: for each round, each concurrency level and each protocol group, run
//! kit and its peers one after another (order flipped every other step so drift hits both),
//! each run a fresh server process (CPU 0) and a fresh client process (CPU 1). Writes
//! `rpc_runs.tsv` (every run), `rpc_concurrency.tsv` and `rpc_summary.tsv` into `out`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::load::Stats;

const LEVELS: &[usize] = &[1, 10, 100, 400];
/// The concurrency the headline rows (and the RSS rows) are taken at.
const HEADLINE: usize = 100;
const STREAM_CONCURRENCY: usize = 10;
const STREAM_COUNT: u32 = 1000;

struct Group {
    /// Metric prefix in rpc_summary.tsv.
    metric: &'static str,
    /// kit first, then its peers.
    systems: &'static [&'static str],
}

const GROUPS: &[Group] = &[
    Group {
        metric: "thrift_framed_echo_1k",
        systems: &["kit-thrift-framed", "volo-thrift-framed"],
    },
    Group {
        metric: "thrift_ttheader_echo_1k",
        systems: &["kit-thrift-ttheader", "volo-thrift-ttheader"],
    },
    Group {
        metric: "grpc_unary_echo_1k",
        systems: &["kit-grpc", "tonic", "volo-grpc"],
    },
];

const STREAM_SYSTEMS: &[&str] = &["kit-grpc", "tonic", "volo-grpc"];

#[derive(Debug, Clone)]
struct Run {
    round: usize,
    system: &'static str,
    kind: &'static str,
    concurrency: usize,
    stats: Stats,
    rss_kib: u64,
}

struct Plan {
    /// Rounds of every level and the stream runs.
    rounds: usize,
    /// Rounds of the headline level (>= `rounds`): its p99 decides a target, and on a VM that
    /// loses its CPUs for milliseconds at a time (see `gaps`) one round's p99 is mostly luck.
    headline_rounds: usize,
    warmup: f64,
    measure: f64,
    pin: bool,
}

pub fn run(quick: bool, out: &Path) -> Result<(), String> {
    let pin = Command::new("taskset")
        .args(["-c", "0", "true"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
        && std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2;
    let plan = if quick {
        Plan {
            rounds: 1,
            headline_rounds: 1,
            warmup: 1.0,
            measure: 3.0,
            pin,
        }
    } else {
        Plan {
            rounds: 3,
            headline_rounds: 5,
            warmup: 2.0,
            measure: 10.0,
            pin,
        }
    };
    eprintln!(
        "rpc suite: {} round(s), {}s warmup + {}s measured per run, pinned: {}",
        plan.rounds, plan.warmup, plan.measure, plan.pin
    );
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    // What else was running matters on a shared 2-core machine: record the load averages
    // before and after, next to the figures.
    let load_before = loadavg();
    let mut runs = Vec::new();
    let mut step = 0usize;
    let host_before = host_gaps(&exe, plan.pin);
    debug_assert!(plan.headline_rounds >= plan.rounds);
    for round in 0..plan.headline_rounds {
        // Past `rounds`, only the headline level runs (no other level, no streams).
        let every_level = round < plan.rounds;
        let levels: &[usize] = if every_level { LEVELS } else { &[HEADLINE] };
        for &c in levels {
            for g in GROUPS {
                let mut order: Vec<&'static str> = g.systems.to_vec();
                if (round + step) % 2 == 1 {
                    order.reverse();
                }
                step += 1;
                for sys in order {
                    runs.push(one(&exe, &plan, round, sys, "unary", c, 0)?);
                }
            }
        }
        if !every_level {
            continue;
        }
        let mut order = STREAM_SYSTEMS.to_vec();
        if round % 2 == 1 {
            order.reverse();
        }
        for sys in order {
            runs.push(one(
                &exe,
                &plan,
                round,
                sys,
                "stream",
                STREAM_CONCURRENCY,
                STREAM_COUNT,
            )?);
        }
    }
    let env = format!(
        "pinned (server CPU 0, client CPU 1): {}\nrounds: {} (c={HEADLINE}: {})\nwarmup_s: {}\nmeasure_s: {}\nhost_gaps_before: {}\nhost_gaps_after: {}\nloadavg_before: {}\nloadavg_after: {}\ncpu: {}\n",
        plan.pin,
        plan.rounds,
        plan.headline_rounds,
        plan.warmup,
        plan.measure,
        host_before,
        host_gaps(&exe, plan.pin),
        load_before,
        loadavg(),
        cpu_model()
    );
    eprint!("{env}");
    write(out, "rpc_env.txt", &env)?;
    write_outputs(out, &runs, &plan)
}

/// How often the machine itself takes a CPU away: `kit-bench-rpc gaps` spins on each CPU for
/// [`GAP_SECS`] (both at once, pinned as the servers and clients are) and counts the pauses in
/// its clock readings. Every pause stalls every call in flight on that CPU, whatever the RPC
/// stack, so a run's p99 can't be read without this figure.
fn host_gaps(exe: &Path, pin: bool) -> String {
    let cpus: &[Option<&str>] = if pin {
        &[Some("0"), Some("1")]
    } else {
        &[None]
    };
    let children: Vec<_> = cpus
        .iter()
        .map(|cpu| spawn(exe, *cpu, &["gaps", &GAP_SECS.to_string()], Stdio::piped()))
        .collect();
    let mut parts = Vec::new();
    for (cpu, child) in cpus.iter().zip(children) {
        let line = child
            .and_then(|c| c.wait_with_output().map_err(|e| e.to_string()))
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|e| format!("probe failed: {e}"));
        parts.push(format!("cpu {}: {line}", cpu.unwrap_or("any")));
    }
    parts.join("; ")
}

const GAP_SECS: f64 = 5.0;

/// `kit-bench-rpc gaps SECS`: spin for SECS reading the monotonic clock; print the pauses
/// (readings further apart than 1 ms) as `N pauses >1ms, M >5ms, longest X ms, Y ms lost`.
pub fn gaps(secs: f64) -> String {
    let span = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut last = start;
    let (mut over1, mut over5, mut longest, mut lost) =
        (0u32, 0u32, Duration::ZERO, Duration::ZERO);
    loop {
        let now = Instant::now();
        let d = now - last;
        if d > Duration::from_millis(1) {
            over1 += 1;
            if d > Duration::from_millis(5) {
                over5 += 1;
            }
            longest = longest.max(d);
            lost += d;
        }
        last = now;
        if now - start >= span {
            break;
        }
    }
    format!(
        "{over1} pauses >1ms, {over5} >5ms, longest {:.1} ms, {:.1} ms lost in {secs}s",
        longest.as_secs_f64() * 1e3,
        lost.as_secs_f64() * 1e3
    )
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_default()
}

fn one(
    exe: &Path,
    plan: &Plan,
    round: usize,
    system: &'static str,
    kind: &'static str,
    concurrency: usize,
    stream_count: u32,
) -> Result<Run, String> {
    let port = free_port()?;
    let mut server = spawn(
        exe,
        plan.pin.then_some("0"),
        &["server", system, "--port", &port.to_string()],
        Stdio::null(),
    )?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if Instant::now() > deadline {
            let _ = server.kill();
            return Err(format!("{system} server never listened on {port}"));
        }
        if let Ok(Some(st)) = server.try_wait() {
            return Err(format!("{system} server exited: {st}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let args = vec![
        "client".to_string(),
        system.to_string(),
        "--port".into(),
        port.to_string(),
        "-c".into(),
        concurrency.to_string(),
        "--warmup".into(),
        plan.warmup.to_string(),
        "--secs".into(),
        plan.measure.to_string(),
        "--stream-count".into(),
        stream_count.to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let client = spawn(exe, plan.pin.then_some("1"), &args, Stdio::piped())?;
    let output = client.wait_with_output().map_err(|e| e.to_string())?;
    let rss_kib = vm_hwm_kib(server.id()).unwrap_or(0);
    let _ = server.kill();
    let _ = server.wait();
    let text = String::from_utf8_lossy(&output.stdout);
    let stats = text.lines().rev().find_map(Stats::parse).ok_or_else(|| {
        format!(
            "{system} client printed no result (status {})",
            output.status
        )
    })?;
    if stats.errors > 0 {
        eprintln!(
            "  WARNING: {system} c={concurrency}: {} failed calls",
            stats.errors
        );
    }
    eprintln!(
        "  r{round} {kind:6} {system:22} c={concurrency:<4} rate={:>10.0}/s p50={:>8.1}us p99={:>8.1}us p999={:>8.1}us rss={}KiB",
        stats.rate, stats.p50_us, stats.p99_us, stats.p999_us, rss_kib
    );
    Ok(Run {
        round,
        system,
        kind,
        concurrency,
        stats,
        rss_kib,
    })
}

fn spawn(exe: &Path, cpu: Option<&str>, args: &[&str], stdout: Stdio) -> Result<Child, String> {
    let mut cmd = match cpu {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", cpu]).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.args(args)
        .stdout(stdout)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", exe.display()))
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// Peak resident set (`VmHWM`) of a live process, in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Agg {
    rate: f64,
    p50: f64,
    p99: f64,
    p999: f64,
    rss_kib: f64,
}

fn write_outputs(out: &Path, runs: &[Run], plan: &Plan) -> Result<(), String> {
    // Every run, for the record.
    let mut t = String::from(
        "round\tsystem\tkind\tconcurrency\trate_per_s\tp50_us\tp99_us\tp999_us\tcalls\terrors\tserver_vmhwm_kib\n",
    );
    for r in runs {
        let _ = writeln!(
            t,
            "{}\t{}\t{}\t{}\t{}\t{}",
            r.round,
            r.system,
            r.kind,
            r.concurrency,
            r.stats.line(),
            r.rss_kib
        );
    }
    write(out, "rpc_runs.tsv", &t)?;

    // Medians over rounds per (kind, system, concurrency).
    let mut agg: BTreeMap<(&str, &str, usize), Agg> = BTreeMap::new();
    let mut keys: Vec<(&str, &str, usize)> = runs
        .iter()
        .map(|r| (r.kind, r.system, r.concurrency))
        .collect();
    keys.dedup();
    for k in keys {
        let sel: Vec<&Run> = runs
            .iter()
            .filter(|r| (r.kind, r.system, r.concurrency) == k)
            .collect();
        agg.insert(
            k,
            Agg {
                rate: median(sel.iter().map(|r| r.stats.rate).collect()),
                p50: median(sel.iter().map(|r| r.stats.p50_us).collect()),
                p99: median(sel.iter().map(|r| r.stats.p99_us).collect()),
                p999: median(sel.iter().map(|r| r.stats.p999_us).collect()),
                rss_kib: median(sel.iter().map(|r| r.rss_kib as f64).collect()),
            },
        );
    }

    let mut t = String::from("system\tconcurrency\tqps\tp50_us\tp99_us\tp999_us\n");
    for g in GROUPS {
        for &sys in g.systems {
            for &c in LEVELS {
                if let Some(a) = agg.get(&("unary", sys, c)) {
                    let _ = writeln!(
                        t,
                        "{sys}\t{c}\t{:.0}\t{:.1}\t{:.1}\t{:.1}",
                        a.rate, a.p50, a.p99, a.p999
                    );
                }
            }
        }
    }
    write(out, "rpc_concurrency.tsv", &t)?;

    let mut t = String::from("metric\tunit\tkit\tpeer_name\tpeer\tratio\n");
    let mut row = |metric: String, unit: &str, kit: f64, peer_name: &str, peer: f64| {
        let ratio = if peer > 0.0 { kit / peer } else { f64::NAN };
        let _ = writeln!(
            t,
            "{metric}\t{unit}\t{kit:.1}\t{peer_name}\t{peer:.1}\t{ratio:.3}"
        );
    };
    fn peer_label(sys: &str) -> &str {
        match sys {
            "volo-thrift-framed" | "volo-thrift-ttheader" => "volo-thrift",
            s => s,
        }
    }
    for g in GROUPS {
        let kit_sys = g.systems[0];
        let Some(kit) = agg.get(&("unary", kit_sys, HEADLINE)).copied() else {
            continue;
        };
        for &peer_sys in &g.systems[1..] {
            let Some(p) = agg.get(&("unary", peer_sys, HEADLINE)).copied() else {
                continue;
            };
            let m = g.metric;
            let pn = peer_label(peer_sys);
            row(
                format!("{m}_c{HEADLINE}_qps"),
                "qps (higher better)",
                kit.rate,
                pn,
                p.rate,
            );
            row(
                format!("{m}_c{HEADLINE}_p50_us"),
                "us (lower better)",
                kit.p50,
                pn,
                p.p50,
            );
            row(
                format!("{m}_c{HEADLINE}_p99_us"),
                "us (lower better)",
                kit.p99,
                pn,
                p.p99,
            );
            row(
                format!("{m}_c{HEADLINE}_p999_us"),
                "us (lower better)",
                kit.p999,
                pn,
                p.p999,
            );
            row(
                format!("{m}_c{HEADLINE}_server_peak_rss_mib"),
                "MiB VmHWM (lower better)",
                kit.rss_kib / 1024.0,
                pn,
                p.rss_kib / 1024.0,
            );
        }
    }
    if let Some(kit) = agg
        .get(&("stream", "kit-grpc", STREAM_CONCURRENCY))
        .copied()
    {
        for &peer in &STREAM_SYSTEMS[1..] {
            if let Some(p) = agg.get(&("stream", peer, STREAM_CONCURRENCY)).copied() {
                row(
                    format!(
                        "grpc_server_stream_1k_x{STREAM_COUNT}_c{STREAM_CONCURRENCY}_msgs_per_s"
                    ),
                    "msgs/s (higher better)",
                    kit.rate,
                    peer,
                    p.rate,
                );
            }
        }
    }
    write(out, "rpc_summary.tsv", &t)?;
    eprintln!(
        "rpc suite: wrote rpc_summary.tsv, rpc_concurrency.tsv, rpc_runs.tsv in {} ({} rounds, {}s per run)",
        out.display(),
        plan.rounds,
        plan.measure
    );
    std::io::stderr().write_all(t.as_bytes()).ok();
    Ok(())
}

fn write(dir: &Path, name: &str, text: &str) -> Result<(), String> {
    let p = dir.join(name);
    std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))
}
