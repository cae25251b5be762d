//! Load on loopback for the measuring binaries: many connections sending one request after
//! another for a while, each request's latency kept.

use std::time::{Duration, Instant};

use http_metrics_core::adapter::{MethodLabel, RouteHandle};
use http_metrics_core::HttpMetrics;

/// Sample lines per recorded route: counter, 17 histogram lines, gauge.
pub const LINES_PER_ROUTE: usize = 19;

/// Records one request on enough synthetic routes for `series` sample lines.
pub fn populate(metrics: &HttpMetrics, series: usize) {
    for i in 0..series.div_ceil(LINES_PER_ROUTE) {
        let route = RouteHandle::resolve(metrics, &format!("/synthetic/{i}/{{id}}"));
        let guard = route.start(MethodLabel::Get);
        guard.expect("not excluded").finish_with_status(200);
    }
}

/// Starts sending `GET url` on each of `connections` connections (on the current tokio
/// runtime), one request after another, until `deadline`; the future gives every request's
/// latency in microseconds.
pub fn drive(
    url: &str,
    connections: usize,
    deadline: Instant,
) -> impl std::future::Future<Output = Vec<u32>> {
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let url = url.to_owned();
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
    async move {
        let mut latencies = Vec::new();
        for worker in workers {
            latencies.extend(worker.await.expect("worker"));
        }
        latencies
    }
}

/// The `p` quantile (0 to 1) of `sorted` microseconds, in milliseconds.
pub fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1e3
}

/// A row's latency columns: requests/s, p50, p99, p99.9 and max in milliseconds.
pub fn latency_columns(latencies: &mut [u32], elapsed: Duration) -> String {
    latencies.sort_unstable();
    format!(
        "{:.0} | {:.2} | {:.2} | {:.2} | {:.2}",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile_ms(latencies, 0.5),
        percentile_ms(latencies, 0.99),
        percentile_ms(latencies, 0.999),
        f64::from(*latencies.last().unwrap_or(&0)) / 1e3,
    )
}

/// The measuring binaries' arguments: seconds per phase (default 3) and series (default
/// 10,000).
pub fn args() -> (f64, usize) {
    let seconds = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let series = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    (seconds, series)
}

/// The frameworks the binaries measure, in order.
pub const FRAMEWORKS: [&str; 2] = ["axum", "actix-web"];

/// The conformance app on `framework`, its metrics holding `series` HTTP series already.
pub async fn server(framework: &str, series: usize) -> (HttpMetrics, crate::servers::Server) {
    let metrics = HttpMetrics::new();
    populate(&metrics, series);
    let server = match framework {
        "axum" => crate::servers::axum(crate::conformance::axum_app(&metrics)).await,
        _ => crate::servers::actix(&metrics, 2, crate::conformance::actix_app),
    };
    (metrics, server)
}
