//! The dashboards and rules of `examples/monitoring` against a real Prometheus that scrapes
//! the example services under scripted traffic (`examples::traffic`): every panel's query
//! parses and returns data, every rule loads and evaluates, and the golden-signal panels
//! show exactly what the traffic was.
//!
//! "Exactly": the scripted traffic is tallied by the client, by method, route and status.
//! Over the window of the measured traffic, each counter series Prometheus stored must have
//! grown by exactly its tally; each golden-signal panel must then return, for the job, the
//! value PromQL's own per-series `rate` of those series gives once aggregated as the panel
//! says (summed by route or status, divided, or read through `histogram_quantile`), and the
//! in-flight panel exactly the one request the test holds open.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use examples::traffic::{orders_round, users_round, Tally};
use http_metrics_core::{HttpMetrics, Naming};
use serde_json::{Map, Value};
use tests::dashboard::{self, Query};
use tests::prometheus::{histogram_quantile, Prometheus};
use tests::servers::{self, Server};

/// Concurrent writes in each round's burst: more than the pool's 10 connections.
const BURST: usize = 24;

/// The names a dashboard's golden signals use.
struct Names {
    dashboard: &'static str,
    requests: &'static str,
    duration: &'static str,
    in_flight: &'static str,
    method: &'static str,
    route: &'static str,
    status: &'static str,
}

const DEFAULT: Names = Names {
    dashboard: "http-metrics.json",
    requests: "http_requests_total",
    duration: "http_request_duration_seconds",
    in_flight: "http_requests_in_flight",
    method: "method",
    route: "route",
    status: "status",
};

const OPENTELEMETRY: Names = Names {
    dashboard: "http-metrics-otel.json",
    requests: "http_server_request_duration_seconds_count",
    duration: "http_server_request_duration_seconds",
    in_flight: "http_server_active_requests",
    method: "http_request_method",
    route: "http_route",
    status: "http_response_status_code",
};

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after the epoch")
        .as_secs_f64()
}

fn label<'a>(labels: &'a Map<String, Value>, name: &str) -> &'a str {
    labels.get(name).and_then(Value::as_str).unwrap_or_default()
}

fn close(found: f64, expected: f64) -> bool {
    found == expected || (found - expected).abs() <= 1e-9 * expected.abs().max(1e-12)
}

/// Opens a request that stays in flight: `POST /api/users` whose body never finishes.
fn hold_request(server: &Server) -> std::net::TcpStream {
    let mut socket =
        std::net::TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    write!(
        socket,
        "POST /api/users HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{"
    )
    .unwrap();
    socket
}

/// The panel titled `title`'s queries.
fn panel<'a>(queries: &'a [Query], title: &str) -> Vec<&'a Query> {
    let found: Vec<&Query> = queries.iter().filter(|q| q.panel == title).collect();
    assert!(!found.is_empty(), "no panel {title:?}");
    found
}

/// Results of `promql` at `time`, by the values of `by` (joined with a space).
async fn by_labels(
    prometheus: &Prometheus,
    promql: &str,
    time: f64,
    by: &[&str],
) -> BTreeMap<String, f64> {
    prometheus
        .query_at(promql, time)
        .await
        .into_iter()
        .map(|(labels, value)| {
            let key: Vec<&str> = by.iter().map(|b| label(&labels, b)).collect();
            (key.join(" "), value)
        })
        .collect()
}

#[track_caller]
fn assert_close(what: &str, found: &BTreeMap<String, f64>, expected: &BTreeMap<String, f64>) {
    let keys = |m: &BTreeMap<String, f64>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(found),
        keys(expected),
        "{what}: found {found:?}, expected {expected:?}"
    );
    for (key, value) in expected {
        assert!(
            close(found[key], *value),
            "{what} {key}: found {}, expected {value}\nfound {found:?}",
            found[key]
        );
    }
}

/// Checks the golden-signal panels of `names.dashboard` for `job`, over the window `range`
/// ending at `time`, against the client's `tally` of the traffic in that window and the one
/// request held in flight on `/api/users`.
async fn check_golden_signals(
    prometheus: &Prometheus,
    names: &Names,
    job: &str,
    tally: &Tally,
    range: &str,
    time: f64,
) {
    let queries = dashboard::queries(&dashboard::load(names.dashboard));
    let expr = |q: &Query| dashboard::substitute(&q.expr, job, ".+", range);
    let selector = format!(r#"{{job="{job}"}}"#);

    // Each counter series grew by exactly what the client counted.
    let stored = prometheus
        .samples_at(&format!("{}{selector}[{range}]", names.requests), time)
        .await;
    let mut grown: BTreeMap<(String, String, u16), f64> = BTreeMap::new();
    for (labels, samples) in &stored {
        let delta = samples.last().unwrap().1 - samples.first().unwrap().1;
        let key = (
            label(labels, names.method).to_owned(),
            label(labels, names.route).to_owned(),
            label(labels, names.status).parse().unwrap(),
        );
        if delta > 0.0 {
            grown.insert(key, delta);
        }
    }
    let sent: BTreeMap<(String, String, u16), f64> = tally
        .0
        .iter()
        .map(|((m, r, s), n)| (((*m).to_owned(), (*r).to_owned(), *s), *n as f64))
        .collect();
    assert_eq!(
        grown, sent,
        "{job}: what Prometheus stored grew by what was sent"
    );
    assert!(
        tally.by_status("/api/users").contains_key(&503),
        "{job}: the burst was to find the pool exhausted: {tally:?}"
    );

    // PromQL's rate of each series over the window, aggregated as each panel says.
    let rates = prometheus
        .query_at(
            &format!("rate({}{selector}[{range}])", names.requests),
            time,
        )
        .await;
    let sum_by = |keep: &dyn Fn(&Map<String, Value>) -> bool, by: &str| {
        let mut out: BTreeMap<String, f64> = BTreeMap::new();
        for (labels, rate) in &rates {
            let entry = out.entry(label(labels, by).to_owned()).or_default();
            if keep(labels) {
                *entry += rate;
            }
        }
        out
    };
    let all = |_: &Map<String, Value>| true;
    let by_route = sum_by(&all, names.route);
    let traffic = panel(&queries, "Traffic: requests per second, by route");
    let found = by_labels(prometheus, &expr(traffic[0]), time, &[names.route]).await;
    assert_close(&format!("{job} traffic by route"), &found, &by_route);

    let by_status = sum_by(&all, names.status);
    let statuses = panel(&queries, "Traffic: responses per second, by status");
    let found = by_labels(prometheus, &expr(statuses[0]), time, &[names.status]).await;
    assert_close(&format!("{job} traffic by status"), &found, &by_status);

    let errors = sum_by(&|l| label(l, names.status).starts_with('5'), names.route);
    let ratio: BTreeMap<String, f64> = by_route
        .iter()
        .map(|(route, total)| (route.clone(), errors[route] / total))
        .collect();
    assert!(ratio["/api/users"] > 0.0, "{job}: {ratio:?}");
    let panel_errors = panel(&queries, "Errors: share of requests answered 5xx, by route");
    let found = by_labels(prometheus, &expr(panel_errors[0]), time, &[names.route]).await;
    assert_close(&format!("{job} error ratio by route"), &found, &ratio);

    // The latency quantiles, from the per-series rates of the buckets.
    let buckets = prometheus
        .query_at(
            &format!("rate({}_bucket{selector}[{range}])", names.duration),
            time,
        )
        .await;
    let quantile = |q: f64, route: Option<&str>| {
        let mut by_le: BTreeMap<String, f64> = BTreeMap::new();
        for (labels, rate) in &buckets {
            if route.is_none_or(|r| label(labels, names.route) == r) {
                *by_le.entry(label(labels, "le").to_owned()).or_default() += rate;
            }
        }
        let mut cumulative: Vec<(f64, f64)> = by_le
            .into_iter()
            .map(|(le, rate)| (le.replace("+Inf", "inf").parse::<f64>().unwrap(), rate))
            .collect();
        cumulative.sort_by(|a, b| a.0.total_cmp(&b.0));
        histogram_quantile(q, &cumulative)
    };
    // The quantile for a rank a hair under and over this one: when the rank falls exactly
    // on a bucket's count, PromQL's own sum of the rates (in another order) may land on
    // either side of it, and pick that bucket or the next.
    let quantiles_around =
        |q: f64, route: Option<&str>| [1.0 - 1e-12, 1.0 + 1e-12].map(|n| quantile(q * n, route));
    let either = |what: String, found: f64, expected: [f64; 2]| {
        assert!(
            expected
                .iter()
                .any(|e| close(found, *e) || (found.is_nan() && e.is_nan())),
            "{what}: found {found}, expected one of {expected:?}"
        );
    };
    let quantiles = panel(&queries, "Latency: p50, p90 and p99 of the selected routes");
    for (query, q) in quantiles.iter().zip([0.5, 0.9, 0.99]) {
        let found = by_labels(prometheus, &expr(query), time, &[]).await;
        assert_eq!(found.len(), 1, "{job} p{}: {found:?}", q * 100.0);
        either(
            format!("{job} p{}", q * 100.0),
            found[""],
            quantiles_around(q, None),
        );
    }
    let p99 = panel(&queries, "Latency: p99 by route");
    let found = by_labels(prometheus, &expr(p99[0]), time, &[names.route]).await;
    assert_eq!(
        found.keys().collect::<Vec<_>>(),
        by_route.keys().collect::<Vec<_>>(),
        "{job} p99 by route"
    );
    for (route, value) in &found {
        either(
            format!("{job} p99 of {route}"),
            *value,
            quantiles_around(0.99, Some(route)),
        );
    }

    // The one request held open, on its route; every other route idle.
    let in_flight = panel(&queries, "Saturation: requests in flight, by route");
    let found = by_labels(prometheus, &expr(in_flight[0]), time, &[names.route]).await;
    let expected: BTreeMap<String, f64> = found
        .keys()
        .map(|route| (route.clone(), if route == "/api/users" { 1.0 } else { 0.0 }))
        .collect();
    assert!(found.contains_key("/api/users"), "{job}: {found:?}");
    assert_close(&format!("{job} in flight"), &found, &expected);
}

/// Every query of `name` returns data, with the job and route variables at "All", and at
/// least one value that is a number.
async fn check_every_query_answers(prometheus: &Prometheus, name: &str, time: f64) {
    let queries = dashboard::queries(&dashboard::load(name));
    for query in queries {
        let promql = dashboard::substitute(&query.expr, ".+", ".+", "1m");
        let results = prometheus.query_at(&promql, time).await;
        assert!(
            results.iter().any(|(_, v)| v.is_finite()),
            "{name}: {:?} returned {results:?} for\n{promql}",
            query.panel
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_query_answers_and_the_golden_signals_are_what_the_traffic_was() {
    let client = reqwest::Client::new();
    let users_axum = servers::axum(examples::users::axum::router(&HttpMetrics::new())).await;
    let otel = HttpMetrics::builder()
        .naming(Naming::opentelemetry())
        .build()
        .unwrap();
    let users_otel = servers::axum(examples::users::axum::router(&otel)).await;
    let users_actix = servers::users_actix(&HttpMetrics::new(), 2);
    let orders_axum = servers::axum(examples::orders::axum::router(
        &HttpMetrics::new(),
        "dashboard",
    ))
    .await;
    let orders_actix = servers::orders_actix(&HttpMetrics::new(), "dashboard", 2);
    let users = [
        ("users-axum", &users_axum),
        ("users-actix", &users_actix),
        ("users-otel", &users_otel),
    ];
    let orders = [
        ("orders-axum", &orders_axum),
        ("orders-actix", &orders_actix),
    ];

    // Two rounds everywhere first, so that every series the measured round touches exists
    // before the window the panels are read over.
    for _ in 0..2 {
        for (_, server) in users {
            users_round(&client, &server.base, BURST).await.unwrap();
        }
        for (_, server) in orders {
            orders_round(&client, &server.base, BURST).await.unwrap();
        }
    }

    let targets: Vec<(&str, String)> = users
        .iter()
        .chain(orders.iter())
        .map(|(job, s)| (*job, s.base.trim_start_matches("http://").to_owned()))
        .collect();
    let targets: Vec<(&str, &str)> = targets.iter().map(|(j, t)| (*j, t.as_str())).collect();
    let rules_dir = tests::dashboard::monitoring_dir().join("rules");
    let rules: Vec<std::path::PathBuf> = [
        "http.rules.yml",
        "http-otel.rules.yml",
        "pipeline.rules.yml",
    ]
    .iter()
    .map(|f| rules_dir.join(f))
    .collect();
    let prometheus = Prometheus::start_with_rules(&targets, &rules).await;

    // Prometheus has the state before the measured round: the direct scrape's totals.
    let total = |names: &Names, job: &str| format!(r#"sum({}{{job="{job}"}})"#, names.requests);
    let measured = [
        ("users-axum", &users_axum, &DEFAULT),
        ("users-actix", &users_actix, &DEFAULT),
        ("users-otel", &users_otel, &OPENTELEMETRY),
    ];
    for (job, server, names) in measured {
        let (_, before) = tests::conformance::scrape(&client, &server.base).await;
        let sum: f64 = before.samples[names.requests].iter().map(|(_, v)| v).sum();
        let query = total(names, job);
        prometheus
            .wait_until(&format!("{job} never scraped"), || async {
                prometheus.value(&query).await == Some(sum)
            })
            .await;
    }
    // At least one scrape of that state inside the window that starts 1.5 s before the
    // measured round (scrapes are every second).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let start = now();
    let mut tallies = Vec::new();
    let mut held = Vec::new();
    for (job, server, names) in measured {
        let tally = users_round(&client, &server.base, BURST).await.unwrap();
        held.push(hold_request(server));
        tallies.push((job, names, tally));
    }
    // The orders services get traffic while scraped too, for their application panels.
    for (_, server) in orders {
        orders_round(&client, &server.base, BURST).await.unwrap();
    }
    for (job, server, names) in measured {
        let (_, after) = tests::conformance::scrape(&client, &server.base).await;
        let sum: f64 = after.samples[names.requests].iter().map(|(_, v)| v).sum();
        let in_flight = format!(
            r#"sum({}{{job="{job}", {}="/api/users"}})"#,
            names.in_flight, names.route
        );
        let query = total(names, job);
        let scraped = prometheus
            .poll(Duration::from_secs(30), || async {
                prometheus.value(&query).await == Some(sum)
                    && prometheus.value(&in_flight).await == Some(1.0)
            })
            .await;
        assert!(scraped, "{job}'s measured round never scraped");
    }
    let time = now();
    let range = format!("{}ms", ((time - start + 1.5) * 1000.0).round() as u64);

    for (job, names, tally) in &tallies {
        check_golden_signals(&prometheus, names, job, tally, &range, time).await;
    }
    check_every_query_answers(&prometheus, "http-metrics.json", time).await;
    check_every_query_answers(&prometheus, "http-metrics-otel.json", time).await;

    // Every rule loaded and evaluates without error; the recording rules have data.
    let evaluated = prometheus
        .poll(Duration::from_secs(30), || async {
            prometheus
                .rules()
                .await
                .iter()
                .all(|(_, health, _)| health == "ok")
        })
        .await;
    assert!(evaluated, "{:#?}", prometheus.rules().await);
    assert_eq!(prometheus.rules().await.len(), 47);
    for record in [
        r#"job_route:http_requests:rate5m{job="users-axum"}"#,
        r#"job_route:http_requests_errors:ratio_rate5m{job="users-actix"}"#,
        r#"job_route_quantile:http_request_duration_seconds:histogram_quantile_rate5m{job="orders-axum"}"#,
        r#"job:http_requests_errors:ratio_rate5m{job="users-axum"}"#,
        r#"job_http_route:http_server_requests:rate5m{job="users-otel"}"#,
        r#"job:http_server_request_duration_seconds_over_0_5s:ratio_rate5m{job="users-otel"}"#,
    ] {
        let results = prometheus.query(record).await;
        assert!(!results.is_empty(), "{record} has no data");
    }
    drop(held);
}
