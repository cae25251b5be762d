//! Does scraping a large registry stall requests? Serves a trivial route with 10,000 HTTP
//! series already recorded, drives it over loopback with 32 connections, and alternates
//! phases without and with a scraper fetching `/metrics` every 100 ms (OpenMetrics, gzip, as
//! Prometheus asks), on both frameworks, in one run. Prints a markdown table.
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
}

async fn run_phase(base: &str, seconds: f64, scrape: bool) -> Phase {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
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
    phase
}

fn report(framework: &str, scraping: bool, phases: &[Phase]) {
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
    println!(
        "| {framework} | {} | {} | {scrape} |",
        if scraping { "every 100 ms" } else { "none" },
        latency_columns(&mut latencies, elapsed),
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
        "| framework | scraping | requests/s | p50 ms | p99 ms | p99.9 ms | max ms | scrapes |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for framework in tests::load::FRAMEWORKS {
        let (_metrics, server) = tests::load::server(framework, series).await;
        run_phase(&server.base, 0.5, false).await; // warm-up
        let (mut off, mut on) = (Vec::new(), Vec::new());
        for _ in 0..2 {
            off.push(run_phase(&server.base, seconds, false).await);
            on.push(run_phase(&server.base, seconds, true).await);
        }
        report(framework, false, &off);
        report(framework, true, &on);
    }
}
