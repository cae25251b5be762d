//! Where a scrape's time goes: encoding (OpenMetrics, Prometheus text) and gzip, for a
//! registry of N HTTP series. Usage: `scrape-cost [N]`.

use std::time::Instant;

use http_metrics_core::{Format, HttpMetrics, MethodLabel, ScrapeRequest};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let metrics = HttpMetrics::new();
    for i in 0..n {
        let route = format!("/synthetic/{i}/{{id}}");
        metrics
            .start(MethodLabel::Get, Some(&route))
            .expect("recorded")
            .finish_with_status(200);
    }
    let time = |what: &str, f: &dyn Fn() -> usize| {
        f();
        let runs = 5;
        let t = Instant::now();
        let mut size = 0;
        for _ in 0..runs {
            size = f();
        }
        println!(
            "{what:<28} {:>8.2} ms  {:>9} bytes",
            t.elapsed().as_secs_f64() * 1e3 / runs as f64,
            size
        );
    };
    time("encode OpenMetrics", &|| {
        metrics.encode(Format::OpenMetrics).unwrap().len()
    });
    time("encode Prometheus 0.0.4", &|| {
        metrics.encode(Format::Prometheus).unwrap().len()
    });
    let om = ScrapeRequest::new()
        .accept("application/openmetrics-text")
        .accept_encoding("gzip");
    time("scrape OpenMetrics + gzip", &|| {
        metrics.scrape(&om).body.len()
    });
}
