//! Does a remote-write sender slow requests down, even when its receiver stalls? Serves a
//! trivial route with 10,000 HTTP series recorded, drives it over loopback with 32
//! connections, and alternates three phases on both frameworks, in one run: no sender; a
//! sender pushing every 100 ms to a receiver that answers at once; the same sender to a
//! receiver that accepts every request and never answers. Prints a markdown table.
//!
//! Usage: `cargo run --release -p tests --bin push-under-load [SECONDS_PER_PHASE] [SERIES]`

use std::time::{Duration, Instant};

use http_metrics_core::HttpMetrics;
use http_metrics_push::RemoteWrite;
use tests::load::{drive, latency_columns};
use tests::remote_write::{Fault, FaultProxy};

const CONNECTIONS: usize = 32;
const PUSH_EVERY: Duration = Duration::from_millis(100);

#[derive(Clone, Copy, PartialEq)]
enum Receiver {
    None,
    Answering,
    Stalled,
}

impl Receiver {
    fn label(self) -> &'static str {
        match self {
            Self::None => "no sender",
            Self::Answering => "answering receiver",
            Self::Stalled => "stalled receiver",
        }
    }
}

struct Phase {
    latencies_us: Vec<u32>,
    elapsed: Duration,
    pushes: String,
}

async fn run_phase(base: &str, metrics: &HttpMetrics, seconds: f64, receiver: Receiver) -> Phase {
    let proxy = FaultProxy::new("http://127.0.0.1:1/unused");
    proxy.up().await;
    proxy.fail_all(Some(match receiver {
        Receiver::Stalled => Fault::Stall,
        _ => Fault::answer(204, None, ""),
    }));
    let writer = (receiver != Receiver::None).then(|| {
        RemoteWrite::new(&proxy.url())
            .unwrap()
            .interval(PUSH_EVERY)
            .timeout(Duration::from_secs(3600))
            .shutdown_timeout(Duration::ZERO)
            .start(metrics)
            .unwrap()
    });
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let latencies_us = drive(&format!("{base}/api/users/42"), CONNECTIONS, deadline).await;
    let elapsed = started.elapsed();
    let pushes = match writer {
        None => "—".to_owned(),
        Some(writer) => {
            let stats = writer.stats();
            drop(writer);
            format!(
                "{} snapshots, {} samples sent, {} pending, {} dropped",
                stats.snapshots, stats.sent, stats.pending, stats.dropped
            )
        }
    };
    Phase {
        latencies_us,
        elapsed,
        pushes,
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let (seconds, series) = tests::load::args();
    println!(
        "{series} HTTP series, {CONNECTIONS} connections, a push every {PUSH_EVERY:?}, \
         2 × {seconds} s per row (phases alternated)\n"
    );
    println!("| framework | remote-write | requests/s | p50 ms | p99 ms | p99.9 ms | max ms | last phase's sender |");
    println!("|---|---|---|---|---|---|---|---|");
    let receivers = [Receiver::None, Receiver::Answering, Receiver::Stalled];
    for framework in tests::load::FRAMEWORKS {
        let (metrics, server) = tests::load::server(framework, series).await;
        run_phase(&server.base, &metrics, 0.5, Receiver::None).await; // warm-up
        let mut phases: Vec<Vec<Phase>> = receivers.iter().map(|_| Vec::new()).collect();
        for _ in 0..2 {
            for (i, receiver) in receivers.iter().enumerate() {
                phases[i].push(run_phase(&server.base, &metrics, seconds, *receiver).await);
            }
        }
        for (receiver, phases) in receivers.iter().zip(phases) {
            let mut latencies: Vec<u32> = phases
                .iter()
                .flat_map(|p| p.latencies_us.iter().copied())
                .collect();
            let elapsed = phases.iter().map(|p| p.elapsed).sum();
            println!(
                "| {framework} | {} | {} | {} |",
                receiver.label(),
                latency_columns(&mut latencies, elapsed),
                phases.last().map_or("", |p| p.pushes.as_str())
            );
        }
    }
}
