//! A closed-loop load generator: `concurrency` tasks each issue one call at a time, back to
//! back, for `warmup + measure`; calls that start after the warmup and finish before the end
//! are timed. The same code drives every system, so only the RPC stack differs.

use std::future::Future;
use std::time::{Duration, Instant};

/// What one client run measured.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Timed calls (or streamed messages) per second.
    pub rate: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    /// Timed calls.
    pub calls: u64,
    /// Failed calls (a run with errors is reported as such, never silently averaged in).
    pub errors: u64,
    /// First error seen, for the log.
    pub first_error: Option<String>,
}

impl Stats {
    /// One tab-separated line: rate p50 p99 p999 calls errors.
    pub fn line(&self) -> String {
        format!(
            "{:.1}\t{:.1}\t{:.1}\t{:.1}\t{}\t{}",
            self.rate, self.p50_us, self.p99_us, self.p999_us, self.calls, self.errors
        )
    }

    pub fn parse(line: &str) -> Option<Stats> {
        let f: Vec<&str> = line.trim().split('\t').collect();
        if f.len() < 6 {
            return None;
        }
        Some(Stats {
            rate: f[0].parse().ok()?,
            p50_us: f[1].parse().ok()?,
            p99_us: f[2].parse().ok()?,
            p999_us: f[3].parse().ok()?,
            calls: f[4].parse().ok()?,
            errors: f[5].parse().ok()?,
            first_error: None,
        })
    }
}

/// Runs `concurrency` loops of `call()`; `call` resolves to how many units it completed
/// (1 for a unary call, the message count for a stream) or an error.
pub async fn run<F, Fut>(concurrency: usize, warmup: Duration, measure: Duration, call: F) -> Stats
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<u64, String>> + Send + 'static,
{
    let start = Instant::now();
    let warm_end = start + warmup;
    let end = warm_end + measure;
    // BENCH_SLOW_US=N: print every timed call slower than N µs to stderr as
    // `slow <start ms since warm-up end> <latency µs> <task>`, to tell a stall of the whole
    // connection (many tasks, one start time) from one slow call.
    let slow_us: Option<u64> = std::env::var("BENCH_SLOW_US")
        .ok()
        .and_then(|v| v.parse().ok());
    let mut tasks = Vec::with_capacity(concurrency);
    for task in 0..concurrency {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat: Vec<u32> = Vec::with_capacity(1 << 16);
            let mut units = 0u64;
            let mut errors = 0u64;
            let mut first_error = None;
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                let r = call().await;
                let t1 = Instant::now();
                match r {
                    Ok(n) => {
                        if t0 >= warm_end && t1 <= end {
                            let d = t1 - t0;
                            if slow_us.is_some_and(|s| d.as_micros() as u64 >= s) {
                                eprintln!(
                                    "slow {:.3} {} {task}",
                                    (t0 - warm_end).as_secs_f64() * 1e3,
                                    d.as_micros()
                                );
                            }
                            lat.push(d.as_nanos().min(u32::MAX as u128) as u32);
                            units += n;
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        if first_error.is_none() {
                            first_error = Some(e);
                        }
                        // Don't spin on a dead server.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            (lat, units, errors, first_error)
        }));
    }
    let mut all = Vec::new();
    let mut units = 0;
    let mut errors = 0;
    let mut first_error = None;
    for t in tasks {
        let (lat, u, e, fe) = t.await.expect("load task panicked");
        all.extend(lat);
        units += u;
        errors += e;
        if first_error.is_none() {
            first_error = fe;
        }
    }
    all.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.is_empty() {
            return 0.0;
        }
        let i = ((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1;
        all[i] as f64 / 1000.0
    };
    Stats {
        rate: units as f64 / measure.as_secs_f64(),
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        p999_us: pct(0.999),
        calls: all.len() as u64,
        errors,
        first_error,
    }
}
