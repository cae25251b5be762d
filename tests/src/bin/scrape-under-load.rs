//! Does scraping a large registry stall requests? Serves a trivial route with 10,000 HTTP
//! series already recorded, drives it over loopback with 32 connections, and alternates
//! phases without and with a scraper fetching `/metrics` every 100 ms (OpenMetrics, gzip, as
//! Prometheus asks), on both frameworks, in one run. Prints a markdown table.
//!
//! The process' CPU time in each phase (from `/proc/self/stat`) gives the scrapes' share of
//! it: what the phase with scrapes used beyond what its requests cost in the phase without.
//!
//! A series is one sample line, as Prometheus counts them: each route recorded here adds 19
//! (a counter, a histogram of 14 buckets with `+Inf`, `_sum` and `_count`, and a gauge).
//!
//! Usage: `cargo run --release -p tests --bin scrape-under-load [SECONDS_PER_PHASE] [SERIES]`

use std::time::{Duration, Instant};

use http_metrics_core::HttpMetrics;
use tests::load::{drive, latency_columns, populate};

const CONNECTIONS: usize = 32;
const SCRAPE_EVERY: Duration = Duration::from_millis(100);

#[derive(Default)]
struct Phase {
    latencies_us: Vec<u32>,
    scrapes_ms: Vec<f64>,
    scrape_bytes: usize,
    elapsed: Duration,
    /// The process' CPU time (user and system) in the phase, in seconds.
    cpu: f64,
}

/// The process' CPU time so far, user and system, in seconds (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    examples::system::process_cpu_seconds().unwrap_or(0.0)
}

async fn run_phase(base: &str, seconds: f64, scrape: bool) -> Phase {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let cpu = cpu_seconds();
    let load = drive(&format!("{base}/api/users/42"), CONNECTIONS, deadline);
    let scraper = scrape.then(|| {
        let url = format!("{base}/metrics");
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let (mut times, mut bytes) = (Vec::new(), 0);
            let mut tick = tokio::time::interval(SCRAPE_EVERY);
            while Instant::now() < deadline {
                tick.tick().await;
                let t = Instant::now();
                let response = client
                    .get(&url)
                    .header("accept", "application/openmetrics-text;version=1.0.0")
                    .header("accept-encoding", "gzip")
                    .send()
                    .await
                    .expect("scrape");
                bytes = response.bytes().await.expect("scrape body").len();
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            (times, bytes)
        })
    });
    let mut phase = Phase {
        latencies_us: load.await,
        ..Phase::default()
    };
    if let Some(scraper) = scraper {
        (phase.scrapes_ms, phase.scrape_bytes) = scraper.await.expect("scraper");
    }
    phase.elapsed = started.elapsed();
    phase.cpu = cpu_seconds() - cpu;
    phase
}

/// CPU seconds per request in `phases`.
fn cpu_per_request(phases: &[Phase]) -> f64 {
    let requests: usize = phases.iter().map(|p| p.latencies_us.len()).sum();
    phases.iter().map(|p| p.cpu).sum::<f64>() / requests.max(1) as f64
}

/// Prints a row; `baseline`, the CPU a request took without scrapes, gives the scrapes'
/// share of the CPU in a phase with them.
fn report(framework: &str, scraping: bool, phases: &[Phase], baseline: f64) {
    let mut latencies: Vec<u32> = phases
        .iter()
        .flat_map(|p| p.latencies_us.iter().copied())
        .collect();
    let elapsed: Duration = phases.iter().map(|p| p.elapsed).sum();
    let mut scrapes: Vec<f64> = phases
        .iter()
        .flat_map(|p| p.scrapes_ms.iter().copied())
        .collect();
    scrapes.sort_by(f64::total_cmp);
    let scrape = if scrapes.is_empty() {
        "—".to_owned()
    } else {
        let bytes = phases.iter().map(|p| p.scrape_bytes).max().unwrap_or(0);
        format!(
            "{} scrapes, median {:.1} ms, max {:.1} ms, {} KiB gzipped",
            scrapes.len(),
            scrapes[scrapes.len() / 2],
            scrapes[scrapes.len() - 1],
            bytes / 1024
        )
    };
    let cpu: f64 = phases.iter().map(|p| p.cpu).sum();
    let share = if scraping {
        let requests = latencies.len() as f64;
        format!(
            "{:.0} %",
            100.0 * (cpu - requests * baseline).max(0.0) / cpu
        )
    } else {
        "—".to_owned()
    };
    println!(
        "| {framework} | {} | {} | {:.0} % | {share} | {scrape} |",
        if scraping { "every 100 ms" } else { "none" },
        latency_columns(&mut latencies, elapsed),
        100.0 * cpu / elapsed.as_secs_f64(),
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let (seconds, series) = tests::load::args();
    let probe = HttpMetrics::new();
    populate(&probe, series);
    let lines = probe
        .encode(http_metrics_core::Format::OpenMetrics)
        .expect("encodes");
    let lines = lines.lines().filter(|l| !l.starts_with('#')).count();
    println!(
        "{lines} series, {CONNECTIONS} connections, 2 × {seconds} s per row (phases alternated)\n"
    );
    println!(
        "| framework | scraping | requests/s | p50 ms | p99 ms | p99.9 ms | max ms | CPU | scrapes' share of it | scrapes |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for framework in tests::load::FRAMEWORKS {
        let (_metrics, server) = tests::load::server(framework, series).await;
        run_phase(&server.base, 0.5, false).await; // warm-up
        let (mut off, mut on) = (Vec::new(), Vec::new());
        for _ in 0..2 {
            off.push(run_phase(&server.base, seconds, false).await);
            on.push(run_phase(&server.base, seconds, true).await);
        }
        let baseline = cpu_per_request(&off);
        report(framework, false, &off, baseline);
        report(framework, true, &on, baseline);
    }
}
