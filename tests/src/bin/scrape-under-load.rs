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

use http_metrics_core::adapter::{MethodLabel, RouteHandle};
use http_metrics_core::HttpMetrics;
use tests::servers;

const CONNECTIONS: usize = 32;
/// Sample lines per recorded route: counter, 17 histogram lines, gauge.
const LINES_PER_ROUTE: usize = 19;
const SCRAPE_EVERY: Duration = Duration::from_millis(100);

/// Records one request on enough synthetic routes for `series` sample lines.
fn populate(metrics: &HttpMetrics, series: usize) {
    for i in 0..series.div_ceil(LINES_PER_ROUTE) {
        let route = RouteHandle::resolve(metrics, &format!("/synthetic/{i}/{{id}}"));
        let guard = route.start(MethodLabel::Get);
        guard.expect("not excluded").finish_with_status(200);
    }
}

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
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let url = format!("{base}/api/users/42");
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let response = client.get(&url).send().await.expect("request");
                    response.bytes().await.expect("body");
                    latencies.push(t.elapsed().as_micros() as u32);
                }
                latencies
            })
        })
        .collect();
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
    let mut phase = Phase::default();
    for worker in workers {
        phase.latencies_us.extend(worker.await.expect("worker"));
    }
    if let Some(scraper) = scraper {
        (phase.scrapes_ms, phase.scrape_bytes) = scraper.await.expect("scraper");
    }
    phase.elapsed = started.elapsed();
    phase
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1e3
}

fn report(framework: &str, scraping: bool, phases: &[Phase]) {
    let mut latencies: Vec<u32> = phases
        .iter()
        .flat_map(|p| p.latencies_us.iter().copied())
        .collect();
    latencies.sort_unstable();
    let seconds: f64 = phases.iter().map(|p| p.elapsed.as_secs_f64()).sum();
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
        "| {framework} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {scrape} |",
        if scraping { "every 100 ms" } else { "none" },
        latencies.len() as f64 / seconds,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&latencies, 0.999),
        f64::from(*latencies.last().unwrap_or(&0)) / 1e3,
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let series: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
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
    for framework in ["axum", "actix-web"] {
        let metrics = HttpMetrics::new();
        populate(&metrics, series);
        let server = match framework {
            "axum" => servers::axum(tests::conformance::axum_app(&metrics)).await,
            _ => servers::actix(&metrics, 2, tests::conformance::actix_app),
        };
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
