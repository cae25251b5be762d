//! Every scrape is self-consistent under load: for each series, `http_requests_total`, the
//! histogram's `_count` and its `+Inf` bucket are the same number, on both frameworks, in
//! both text formats, while requests are being recorded on other connections. (Read at
//! different moments, as prometheus-client's families were, they differed by the requests
//! recorded in between.)

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_metrics_core::HttpMetrics;
use tests::conformance;
use tests::servers::{self, Server};
use tests::Exposition;

/// Concurrent client connections sending requests.
const CONNECTIONS: usize = 16;
/// How long the load lasts.
const LOAD: Duration = Duration::from_secs(2);

/// Checks one scrape: returns how many series it compared.
fn check(exposition: &Exposition, what: &str) -> usize {
    let mut compared = 0;
    for (labels, total) in exposition
        .samples
        .get("http_requests_total")
        .into_iter()
        .flatten()
    {
        let pairs: Vec<(&str, &str)> = labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let count = exposition.get("http_request_duration_seconds_count", &pairs);
        let mut with_le = pairs.clone();
        with_le.push(("le", "+Inf"));
        let inf = exposition.get("http_request_duration_seconds_bucket", &with_le);
        assert_eq!(
            (count, inf),
            (Some(*total), Some(*total)),
            "{what}: {labels:?} counted {total}, histogram {count:?} / +Inf {inf:?}"
        );
        compared += 1;
    }
    compared
}

async fn load_and_scrape(server: &Server, name: &str) {
    let client = reqwest::Client::new();
    let stop = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    for i in 0..CONNECTIONS {
        let (client, base, stop) = (client.clone(), server.base.clone(), stop.clone());
        senders.push(tokio::spawn(async move {
            let mut sent = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let path = match (i + sent as usize) % 4 {
                    0 => "/api/users/7".to_owned(),
                    1 => "/api/users/missing".to_owned(),
                    2 => "/bad".to_owned(),
                    _ => format!("/nowhere/{sent}"),
                };
                let response = client.get(format!("{base}{path}")).send().await.unwrap();
                response.bytes().await.unwrap();
                sent += 1;
            }
            sent
        }));
    }
    // The load's first requests of each kind, before scrapes are counted: a scrape before
    // them has fewer series, and is no less consistent for it.
    let metrics_url = format!("{}/metrics", server.base);
    let warm_up = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = conformance::fetch_text(&client, &metrics_url, "text/plain").await;
        let exposition = Exposition::parse(&text);
        let series = exposition
            .samples
            .get("http_requests_total")
            .map_or(0, |s| s.len());
        if series >= 4 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < warm_up,
            "{name}: {series} series after 10 s of load"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut scrapes = 0;
    let mut compared = 0;
    let deadline = tokio::time::Instant::now() + LOAD;
    while tokio::time::Instant::now() < deadline {
        for accept in ["application/openmetrics-text; version=1.0.0", "text/plain"] {
            let text = conformance::fetch_text(&client, &metrics_url, accept).await;
            compared += check(&Exposition::parse(&text), &format!("{name}, {accept}"));
            scrapes += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut sent = 0;
    for sender in senders {
        sent += sender.await.unwrap();
    }
    // Enough scrapes, series and requests that an inconsistency had its chances.
    assert!(scrapes >= 20, "{name}: {scrapes} scrapes");
    assert!(
        compared >= 4 * scrapes,
        "{name}: {compared} series in {scrapes} scrapes"
    );
    assert!(sent >= 1_000, "{name}: {sent} requests");
    println!("{name}: {scrapes} scrapes of {compared} series in all, {sent} requests meanwhile");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scrape_under_load_counts_each_series_once() {
    let axum_metrics = HttpMetrics::new();
    let axum = servers::axum(conformance::axum_app(&axum_metrics)).await;
    load_and_scrape(&axum, "axum").await;
    let actix_metrics = HttpMetrics::new();
    let actix = servers::actix(&actix_metrics, 2, conformance::actix_app);
    load_and_scrape(&actix, "actix-web").await;
}
