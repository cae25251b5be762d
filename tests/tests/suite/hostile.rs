//! Hostile and heavy traffic on both frameworks over real sockets: invented paths and
//! methods add no series, and every request is counted exactly once.

use http_metrics_core::HttpMetrics;
use tests::conformance;
use tests::servers::{self, Server};

/// A deterministic stream of pseudo-random numbers (no dependency, same every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn token(&mut self, alphabet: &[u8], max: u64) -> String {
        let len = 1 + self.next() % max;
        (0..len)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

/// RFC 9110 token characters, less `#$%&'`: actix-web's parser refuses methods with those
/// (400, before any middleware), while hyper accepts them.
const TCHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-.^_`|~";
const PATH: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-._~%20%F0%9F%92%A5";

/// Sends `requests` requests over `connections` connections; `request(i)` gives each one's
/// method and path. Returns how many requests got each status.
async fn load(
    server: &Server,
    connections: usize,
    requests: usize,
    request: impl Fn(usize) -> (String, String) + Send + Sync + 'static,
) -> std::collections::BTreeMap<u16, usize> {
    let request = std::sync::Arc::new(request);
    let tasks: Vec<_> = (0..connections)
        .map(|c| {
            let (base, request) = (server.base.clone(), request.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut statuses = std::collections::BTreeMap::new();
                for i in (c..requests).step_by(connections) {
                    let (method, path) = request(i);
                    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
                    let response = client
                        .request(method, format!("{base}{path}"))
                        .send()
                        .await
                        .unwrap();
                    *statuses.entry(response.status().as_u16()).or_insert(0) += 1;
                    response.bytes().await.unwrap();
                }
                statuses
            })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::new();
    for task in tasks {
        for (status, n) in task.await.unwrap() {
            *statuses.entry(status).or_insert(0) += n;
        }
    }
    statuses
}

fn servers_for(
    metrics: (&HttpMetrics, &HttpMetrics),
) -> impl std::future::Future<Output = [(&'static str, Server); 2]> {
    let (a, b) = (metrics.0.clone(), metrics.1.clone());
    async move {
        [
            ("axum", servers::axum(conformance::axum_app(&a)).await),
            ("actix", servers::actix(&b, 2, conformance::actix_app)),
        ]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifteen_thousand_invented_paths_and_methods_add_no_series() {
    const REQUESTS: usize = 15_000;
    let (a, b) = (conformance::metrics(), conformance::metrics());
    for (name, server) in servers_for((&a, &b)).await {
        // One request of each kind first, so the series they belong in exist.
        let warm = load(&server, 1, 2, |i| {
            if i == 0 {
                ("GET".into(), "/warm-up".into())
            } else {
                ("BREW".into(), "/warm-up".into())
            }
        })
        .await;
        assert_eq!(warm.get(&404), Some(&2), "{name}");
        let client = reqwest::Client::new();
        let (before_text, before) = conformance::scrape(&client, &server.base).await;

        let statuses = load(&server, 32, REQUESTS, |i| {
            let mut rng = Lcg(i as u64);
            let standard = [
                "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "CONNECT",
            ];
            let method = match rng.token(TCHARS, 12) {
                _ if i % 2 == 0 => "GET".to_owned(),
                token if standard.contains(&token.as_str()) => "BREW".to_owned(),
                token => token,
            };
            (
                method,
                format!("/{}/{}", rng.token(PATH, 24), rng.token(PATH, 40)),
            )
        })
        .await;
        assert_eq!(statuses.get(&404), Some(&REQUESTS), "{name}: {statuses:?}");

        let (after_text, after) = conformance::scrape(&client, &server.base).await;
        let count = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();
        assert_eq!(
            count(&after_text),
            count(&before_text),
            "{name}: the same series\n{after_text}"
        );
        let total = |m: &tests::Exposition, method: &str| {
            m.value(
                "http_requests_total",
                &[
                    ("method", method),
                    ("route", "unmatched"),
                    ("status", "404"),
                ],
            )
        };
        assert_eq!(
            total(&after, "GET") - total(&before, "GET"),
            (REQUESTS / 2) as f64,
            "{name}"
        );
        assert_eq!(
            total(&after, "_OTHER") - total(&before, "_OTHER"),
            (REQUESTS / 2) as f64,
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_requests_over_32_connections_are_counted_exactly() {
    const REQUESTS: usize = 20_000;
    let (a, b) = (conformance::metrics(), conformance::metrics());
    for (name, server) in servers_for((&a, &b)).await {
        let statuses = load(&server, 32, REQUESTS, |i| match i % 4 {
            0 => ("GET".into(), format!("/api/users/{i}")),
            1 => ("GET".into(), "/api/users/missing".into()),
            2 => ("POST".into(), "/api/users".into()),
            _ => ("GET".into(), "/bad".into()),
        })
        .await;
        let quarter = REQUESTS / 4;
        assert_eq!(statuses.values().sum::<usize>(), REQUESTS, "{name}");
        let m = conformance::scrape(&reqwest::Client::new(), &server.base)
            .await
            .1;
        let total = |method: &str, route: &str, status: &str| {
            m.get(
                "http_requests_total",
                &[("method", method), ("route", route), ("status", status)],
            )
        };
        let q = Some(quarter as f64);
        assert_eq!(total("GET", "/api/users/{user_id}", "200"), q, "{name}");
        assert_eq!(total("GET", "/api/users/{user_id}", "404"), q, "{name}");
        assert_eq!(total("POST", "/api/users", "201"), q, "{name}");
        assert_eq!(total("GET", "/bad", "400"), q, "{name}");
        m.assert_idle(&[
            ("GET", "/api/users/{user_id}"),
            ("POST", "/api/users"),
            ("GET", "/bad"),
        ]);
    }
}
