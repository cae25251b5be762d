//! The four example services scraped by a real Prometheus: what it stores is what happened.

use http_metrics_core::HttpMetrics;
use tests::prometheus::Prometheus;
use tests::servers::{self, Server};

const JSON: &str = "application/json";
/// Both traffic scripts send eight requests.
const REQUESTS_PER_SERVICE: f64 = 8.0;

async fn start_services() -> Vec<(&'static str, Server)> {
    let users_axum = servers::axum(examples::users::axum::router(&HttpMetrics::new())).await;
    let orders_axum =
        servers::axum(examples::orders::axum::router(&HttpMetrics::new(), "e2e")).await;

    let users_actix = servers::users_actix(&HttpMetrics::new(), 2);
    let orders_actix = servers::orders_actix(&HttpMetrics::new(), "e2e", 2);
    vec![
        ("tricky", servers::axum(tricky_app()).await),
        ("users-axum", users_axum),
        ("users-actix", users_actix),
        ("orders-axum", orders_axum),
        ("orders-actix", orders_actix),
    ]
}

/// Label values a real Prometheus must store exactly as the application set them.
const TRICKY_VALUES: [&str; 6] = [
    "quote \" here",
    "back\\slash",
    "new\nline",
    "ünïcödé ✓ 日本",
    "} # {",
    "a=\"b\",c=\"d\"",
];

/// An app whose metrics need every kind of escaping.
fn tricky_app() -> axum::Router {
    use http_metrics_core::prometheus_client::metrics::{counter::Counter, family::Family};
    let metrics = HttpMetrics::new();
    let events: Family<Vec<(String, String)>, Counter> = Family::default();
    metrics
        .register(
            "tricky_events",
            "Help with \"quotes\", a back\\slash,\na newline",
            events.clone(),
        )
        .unwrap();
    for (i, value) in TRICKY_VALUES.iter().enumerate() {
        events
            .get_or_create(&vec![("value".to_owned(), (*value).to_owned())])
            .inc_by(i as u64 + 1);
    }
    axum::Router::new()
        .merge(tower_metrics::metrics_router_with(&metrics))
        .layer(tower_metrics::MetricsLayer::with_metrics(&metrics))
}

async fn request(client: &reqwest::Client, method: &str, url: String, body: &str, status: u16) {
    let response = client
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            &url,
        )
        .header("content-type", JSON)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), status, "{method} {url} {body}");
    response.bytes().await.unwrap();
}

async fn users_traffic(client: &reqwest::Client, s: &Server) {
    request(
        client,
        "POST",
        s.url("/api/users"),
        r#"{"name": "Ada"}"#,
        201,
    )
    .await;
    request(
        client,
        "POST",
        s.url("/api/users"),
        r#"{"name": "Bob", "source": "mobile"}"#,
        201,
    )
    .await;
    request(
        client,
        "POST",
        s.url("/api/users"),
        r#"{"name": "Cy"}"#,
        201,
    )
    .await;
    request(client, "GET", s.url("/api/users/1"), "", 200).await;
    request(client, "GET", s.url("/api/users/1"), "", 200).await;
    request(client, "GET", s.url("/api/users/99"), "", 404).await;
    request(client, "POST", s.url("/api/users"), "{bad", 400).await;
    request(client, "GET", s.url("/nope"), "", 404).await;
}

async fn orders_traffic(client: &reqwest::Client, s: &Server) {
    for (total, method) in [(20, "card"), (75, "paypal"), (75, "card"), (300, "bitcoin")] {
        let body = format!(r#"{{"total": {total}, "payment_method": "{method}"}}"#);
        request(client, "POST", s.url("/api/orders"), &body, 201).await;
    }
    request(
        client,
        "POST",
        s.url("/api/orders"),
        r#"{"total": -5, "payment_method": "card"}"#,
        422,
    )
    .await;
    request(
        client,
        "PUT",
        s.url("/api/inventory/sku-1?quantity=12"),
        "",
        200,
    )
    .await;
    request(
        client,
        "PUT",
        s.url("/api/inventory/sku-1?quantity=7&warehouse=east"),
        "",
        200,
    )
    .await;
    request(
        client,
        "PUT",
        s.url("/api/inventory/sku-1?quantity=-1"),
        "",
        422,
    )
    .await;
}

/// (PromQL with `$job`, expected value) for a users service after `users_traffic`.
const USERS: &[(&str, f64)] = &[
    (
        r#"http_requests_total{job="$job",method="POST",route="/api/users",status="201"}"#,
        3.0,
    ),
    (
        r#"http_requests_total{job="$job",method="POST",route="/api/users",status="400"}"#,
        1.0,
    ),
    (
        r#"http_requests_total{job="$job",method="GET",route="/api/users/{user_id}",status="200"}"#,
        2.0,
    ),
    (
        r#"http_requests_total{job="$job",method="GET",route="/api/users/{user_id}",status="404"}"#,
        1.0,
    ),
    (
        r#"http_requests_total{job="$job",method="GET",route="unmatched",status="404"}"#,
        1.0,
    ),
    (r#"count(http_requests_total{job="$job"})"#, 5.0),
    (r#"sum(http_requests_in_flight{job="$job"})"#, 0.0),
    (r#"users_created_total{job="$job",source="web"}"#, 2.0),
    (r#"users_created_total{job="$job",source="mobile"}"#, 1.0),
    (
        r#"cache_operations_total{job="$job",operation="get",result="miss"}"#,
        2.0,
    ),
    (
        r#"cache_operations_total{job="$job",operation="get",result="hit"}"#,
        1.0,
    ),
    (
        r#"cache_operations_total{job="$job",operation="set",result="success"}"#,
        1.0,
    ),
    (
        r#"db_query_latency_seconds_count{job="$job",operation="INSERT",table="users"}"#,
        3.0,
    ),
    (
        r#"db_query_latency_seconds_count{job="$job",operation="SELECT",table="users"}"#,
        2.0,
    ),
    // Inserts sleep 50 ms: none is in a bucket below that.
    (
        r#"db_query_latency_seconds_bucket{job="$job",operation="INSERT",le=~"0.025|0.025.*"}"#,
        0.0,
    ),
    // The guide's DatabaseMetricsCollector, read at each scrape.
    (r#"db_pool_size{job="$job",pool_name="primary"}"#, 10.0),
    (
        r#"db_active_connections{job="$job",pool_name="primary"}"#,
        0.0,
    ),
    (r#"db_queries_total{job="$job",operation="INSERT"}"#, 3.0),
    (r#"db_queries_total{job="$job",operation="SELECT"}"#, 2.0),
    // The Summary: every response of the script was JSON, each with three quantiles.
    (
        r#"response_size_bytes_count{job="$job",content_type="application/json"}"#,
        8.0,
    ),
    (
        r#"count(response_size_bytes{job="$job",content_type="application/json"})"#,
        3.0,
    ),
    (r#"count(process_cpu_seconds_total{job="$job"})"#, 1.0),
    (r#"count(process_start_time_seconds{job="$job"} > 0)"#, 1.0),
];

/// (PromQL with `$job`, expected value) for an orders service after `orders_traffic`.
const ORDERS: &[(&str, f64)] = &[
    (
        r#"http_requests_total{job="$job",method="POST",route="/api/orders",status="201"}"#,
        4.0,
    ),
    (
        r#"http_requests_total{job="$job",method="POST",route="/api/orders",status="422"}"#,
        1.0,
    ),
    (
        r#"http_requests_total{job="$job",method="PUT",route="/api/inventory/{product_id}",status="200"}"#,
        2.0,
    ),
    (
        r#"http_requests_total{job="$job",method="PUT",route="/api/inventory/{product_id}",status="422"}"#,
        1.0,
    ),
    (r#"count(http_requests_total{job="$job"})"#, 4.0),
    (
        r#"orders_total{job="$job",status="completed",payment_method="card"}"#,
        2.0,
    ),
    (
        r#"orders_total{job="$job",status="completed",payment_method="paypal"}"#,
        1.0,
    ),
    (
        r#"orders_total{job="$job",status="completed",payment_method="other"}"#,
        1.0,
    ),
    (
        r#"order_value_dollars_bucket{job="$job",le=~"25(\\.0)?"}"#,
        1.0,
    ),
    (
        r#"order_value_dollars_bucket{job="$job",le=~"100(\\.0)?"}"#,
        3.0,
    ),
    (
        r#"order_value_dollars_bucket{job="$job",le=~"250(\\.0)?"}"#,
        3.0,
    ),
    (r#"order_value_dollars_bucket{job="$job",le="+Inf"}"#, 4.0),
    (r#"order_value_dollars_sum{job="$job"}"#, 470.0),
    (
        r#"inventory_level{job="$job",product_id="sku-1",warehouse="main"}"#,
        12.0,
    ),
    (
        r#"inventory_level{job="$job",product_id="sku-1",warehouse="east"}"#,
        7.0,
    ),
    (
        r#"orders_service_info{job="$job",version="$version",environment="e2e"}"#,
        1.0,
    ),
    // The guide's e-commerce metrics: no order named a category.
    (
        r#"revenue_dollars_total{job="$job",product_category="other"}"#,
        470.0,
    ),
    (
        r#"cart_value_dollars_bucket{job="$job",le=~"25(\\.0)?"}"#,
        1.0,
    ),
    (
        r#"cart_value_dollars_bucket{job="$job",le=~"100(\\.0)?"}"#,
        3.0,
    ),
    (r#"cart_value_dollars_count{job="$job"}"#, 4.0),
    // sku-1 has 7 in the east warehouse: one (product, warehouse) below 10.
    (r#"low_stock_products{job="$job"}"#, 1.0),
    (r#"db_queries_total{job="$job",operation="INSERT"}"#, 4.0),
    (
        r#"response_size_bytes_count{job="$job",content_type="application/json"}"#,
        8.0,
    ),
    (
        r#"count(process_resident_memory_bytes{job="$job"} > 0)"#,
        1.0,
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_stores_exactly_what_the_services_did() {
    let services = start_services().await;
    let targets: Vec<(&str, String)> = services
        .iter()
        .map(|(job, s)| (*job, s.base.trim_start_matches("http://").to_owned()))
        .collect();
    let target_refs: Vec<(&str, &str)> = targets.iter().map(|(j, t)| (*j, t.as_str())).collect();
    let prometheus = Prometheus::start(&target_refs).await;

    let client = reqwest::Client::new();
    for (job, server) in &services {
        if job.starts_with("users") {
            users_traffic(&client, server).await;
        } else if job.starts_with("orders") {
            orders_traffic(&client, server).await;
        }
    }

    // Wait for a scrape that saw all of the traffic, on every target.
    prometheus
        .wait_until("Prometheus never saw all the traffic", || async {
            let mut done = true;
            for (job, _) in services.iter().filter(|(job, _)| *job != "tricky") {
                let got = prometheus
                    .value(&format!(r#"sum(http_requests_total{{job="{job}"}})"#))
                    .await;
                done &= got == Some(REQUESTS_PER_SERVICE);
            }
            let tricky = prometheus
                .value(r#"count(tricky_events_total{job="tricky"})"#)
                .await;
            done && tricky == Some(TRICKY_VALUES.len() as f64)
        })
        .await;

    // Every label value arrives exactly as set.
    let stored = prometheus
        .query(r#"tricky_events_total{job="tricky"}"#)
        .await;
    assert_eq!(
        stored.len(),
        TRICKY_VALUES.len(),
        "{stored:?}\n{}",
        prometheus.targets().await
    );
    for (i, value) in TRICKY_VALUES.iter().enumerate() {
        let found = stored.iter().find(|(labels, _)| labels["value"] == *value);
        let (labels, count) = found.unwrap_or_else(|| panic!("{value:?} not stored: {stored:?}"));
        assert_eq!(*count, i as f64 + 1.0, "{labels:?}");
    }

    for (job, _) in services.iter().filter(|(job, _)| *job != "tricky") {
        assert_eq!(
            prometheus.value(&format!(r#"up{{job="{job}"}}"#)).await,
            Some(1.0),
            "{job}"
        );
        // Stored under OpenMetrics family names: Prometheus negotiated OpenMetrics.
        assert_eq!(
            prometheus
                .metadata_type(job, "http_requests")
                .await
                .as_deref(),
            Some("counter"),
            "{job}"
        );
        assert_eq!(
            prometheus
                .metadata_type(job, "response_size_bytes")
                .await
                .as_deref(),
            Some("summary"),
            "{job}"
        );
        if job.starts_with("orders") {
            assert_eq!(
                prometheus
                    .metadata_type(job, "orders_service")
                    .await
                    .as_deref(),
                Some("info"),
                "{job}"
            );
        }
        let expectations = if job.starts_with("users") {
            USERS
        } else {
            ORDERS
        };
        for (query, expected) in expectations {
            let query = query
                .replace("$job", job)
                .replace("$version", env!("CARGO_PKG_VERSION"));
            assert_eq!(prometheus.value(&query).await, Some(*expected), "{query}");
        }
    }

    // The latency histogram places the simulated delays where they belong.
    for (job, route, low, high) in [
        ("orders-axum", "/api/orders", 0.1, 0.25),
        ("orders-actix", "/api/orders", 0.1, 0.25),
        ("users-axum", "/api/users", 0.05, 0.1),
        ("users-actix", "/api/users", 0.05, 0.1),
    ] {
        let query = format!(
            r#"histogram_quantile(0.5, sum by (le) (http_request_duration_seconds_bucket{{job="{job}",route="{route}",status="201"}}))"#
        );
        let median = prometheus.value(&query).await.expect("a median");
        assert!(
            (low..=high).contains(&median),
            "{job}: median {median} outside [{low}, {high}]"
        );
    }

    // Prometheus itself negotiated OpenMetrics; a plain client gets 0.0.4, which promtool checks.
    // A client of its own, with no connection kept from the traffic above: the servers close
    // idle connections after a few seconds, and a reused one may be closed as it is reused.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    for (job, server) in &services {
        let (text, _) = tests::conformance::scrape(&client, &server.base).await;
        if let Err(report) = tests::promtool_check(&text) {
            panic!("{job}: promtool rejected the output:\n{report}\n---\n{text}");
        }
    }
}

#[test]
fn the_shipped_scrape_configuration_is_valid() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/prometheus.yml");
    let output = std::process::Command::new(tests::promtool())
        .args(["check", "config", config])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let text = std::fs::read_to_string(config).unwrap();
    for job in ["users-axum", "users-actix", "orders-axum", "orders-actix"] {
        assert!(text.contains(&format!("job_name: {job}\n")), "{job}");
    }
}
