//! The options that change which series exist, identical on both frameworks: the naming
//! presets (the conformance script through axum and actix-web with each preset gives the
//! same series under the preset's names, which promtool accepts), the exclusions, and both
//! durations at once.

use http_metrics_core::{HttpMetrics, Naming, RequestLabel, RequestLabelValue};
use tests::conformance::{self, EXPECTED_TOTALS, SCRIPT};
use tests::servers;

/// (preset, counter name, histogram name, in-flight name, label names, body-size histogram
/// names)
type Preset = (
    Naming,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
    [&'static str; 3],
    [&'static str; 2],
);

fn presets() -> Vec<Preset> {
    vec![
        (
            Naming::opentelemetry(),
            None,
            "http_server_request_duration_seconds",
            Some("http_server_active_requests"),
            [
                "http_request_method",
                "http_route",
                "http_response_status_code",
            ],
            [
                "http_server_request_body_size_bytes",
                "http_server_response_body_size_bytes",
            ],
        ),
        (
            Naming::axum_prometheus(None),
            Some("axum_http_requests_total"),
            "axum_http_requests_duration_seconds",
            Some("axum_http_requests_pending"),
            ["method", "endpoint", "status"],
            [
                "axum_http_request_body_size",
                "axum_http_response_body_size",
            ],
        ),
        (
            Naming::actix_web_prom("api"),
            Some("api_http_requests_total"),
            "api_http_requests_duration_seconds",
            None,
            ["method", "endpoint", "status"],
            [
                "api_http_request_size_bytes",
                "api_http_response_size_bytes",
            ],
        ),
    ]
}

/// Both frameworks with `metrics` built for each, after the conformance script: each one's
/// exposition text and parse, once checked to hold the same series.
async fn run_both(build: impl Fn() -> HttpMetrics) -> [(String, tests::Exposition); 2] {
    let client = reqwest::Client::new();
    let axum_metrics = build();
    let axum = servers::axum(conformance::axum_app(&axum_metrics)).await;
    let actix_metrics = build();
    let actix = servers::actix(&actix_metrics, 1, conformance::actix_app);
    conformance::run(&client, &axum.base, SCRIPT).await;
    conformance::run(&client, &actix.base, SCRIPT).await;
    conformance::scrape_alike(&client, &axum.base, &actix.base).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_preset_names_the_same_series_on_both_frameworks() {
    for (naming, counter, histogram, in_flight, [method, route, status], sizes) in presets() {
        let [(axum_text, axum), _] = run_both(|| {
            HttpMetrics::builder()
                .naming(naming.clone())
                .body_sizes(true)
                .exclude_route("/health")
                .build()
                .unwrap()
        })
        .await;
        for (m, r, s, count) in EXPECTED_TOTALS {
            let labels = [(method, *m), (route, *r), (status, *s)];
            let count = Some(*count);
            if let Some(counter) = counter {
                assert_eq!(axum.get(counter, &labels), count, "{counter} {labels:?}");
            }
            for histogram in [histogram, sizes[0], sizes[1]] {
                let histogram_count = format!("{histogram}_count");
                assert_eq!(axum.get(&histogram_count, &labels), count, "{labels:?}");
            }
        }
        let expected_families: Vec<String> =
            counter
                .map(str::to_owned)
                .into_iter()
                .chain([histogram, sizes[0], sizes[1]].into_iter().flat_map(|h| {
                    ["_bucket", "_count", "_sum"].map(|sample| format!("{h}{sample}"))
                }))
                .chain(in_flight.map(str::to_owned))
                .collect();
        let mut http_families: Vec<&String> = axum
            .samples
            .keys()
            .filter(|name| name.contains("http_"))
            .collect();
        http_families.sort();
        let mut expected: Vec<&String> = expected_families.iter().collect();
        expected.sort();
        assert_eq!(http_families, expected, "{naming:?}");
        if let Some(in_flight) = in_flight {
            let idle = [(method, "GET"), (route, "/api/users/{user_id}")];
            assert_eq!(axum.get(in_flight, &idle), Some(0.0), "{in_flight}");
        }
        tests::promtool_check(&axum_text).unwrap_or_else(|e| panic!("{naming:?}: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_and_route_patterns_are_excluded_alike() {
    let [(_, axum), _] = run_both(|| {
        HttpMetrics::builder()
            .exclude_route("/health")
            .exclude_status(404)
            .exclude_routes_matching("/api/v2/*")
            .build()
            .unwrap()
    })
    .await;
    let expected: Vec<_> = EXPECTED_TOTALS
        .iter()
        .filter(|(_, route, status, _)| *status != "404" && !route.starts_with("/api/v2/"))
        .collect();
    for (method, route, status, count) in &expected {
        let labels = [("method", *method), ("route", *route), ("status", *status)];
        assert_eq!(axum.get("http_requests_total", &labels), Some(*count));
    }
    assert_eq!(axum.series("http_requests_total").len(), expected.len());
    // A route left out by its pattern has no in-flight series either.
    assert!(axum
        .series("http_requests_in_flight")
        .iter()
        .all(|labels| !labels.iter().any(|(_, v)| v.starts_with("/api/v2/"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_durations_alike_on_both_frameworks() {
    let [(text, axum), _] = run_both(|| {
        HttpMetrics::builder()
            .exclude_route("/health")
            .duration_end(http_metrics_core::DurationEnd::Both)
            .build()
            .unwrap()
    })
    .await;
    // Every request of the script had a response head.
    for (method, route, status, count) in EXPECTED_TOTALS {
        let labels = [("method", *method), ("route", *route), ("status", *status)];
        assert_eq!(
            axum.get("http_request_head_duration_seconds_count", &labels),
            Some(*count),
            "{labels:?}"
        );
    }
    // The streamed response's head comes before the end of its body.
    let stream = [("method", "GET"), ("route", "/stream"), ("status", "200")];
    let head = axum.value("http_request_head_duration_seconds_sum", &stream);
    let body = axum.value("http_request_duration_seconds_sum", &stream);
    assert!(head <= body, "head {head} s, body {body} s");
    tests::promtool_check(&text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_label_is_bounded_alike_on_both_frameworks() {
    let label = RequestLabel::header("X-Tenant", "tenant");
    let axum_metrics = label_metrics(label.clone());
    let axum = servers::axum(conformance::axum_app(&axum_metrics)).await;
    let actix_metrics = label_metrics(label);
    let actix = servers::actix(&actix_metrics, 1, conformance::actix_app);
    request_label_alike(&axum, &actix).await;
}

/// The same, with the tenant put into the request's extensions by a middleware of the
/// application's (as an authentication layer would), outside the metrics layer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_label_from_an_extension_is_bounded_alike_on_both_frameworks() {
    let label = RequestLabel::extension("tenant");
    let axum_metrics = label_metrics(label.clone());
    let app = conformance::axum_app(&axum_metrics).layer(axum::middleware::from_fn(axum_tenant));
    let axum = servers::axum(app).await;
    let actix_metrics = label_metrics(label);
    let actix = servers::actix(&actix_metrics, 1, |metrics| {
        conformance::actix_app(metrics).wrap(actix_web::middleware::from_fn(actix_tenant))
    });
    request_label_alike(&axum, &actix).await;
}

/// The tenant of the `x-tenant` header, as an extension.
fn tenant(headers: &http::HeaderMap) -> Option<RequestLabelValue> {
    let tenant = headers.get("x-tenant")?.to_str().ok()?;
    Some(RequestLabelValue::new(tenant.to_owned()))
}

async fn axum_tenant(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if let Some(tenant) = tenant(req.headers()) {
        req.extensions_mut().insert(tenant);
    }
    next.run(req).await
}

async fn actix_tenant(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::HttpMessage as _;
    // actix-web's `HeaderMap` is its own; the header is read the same way.
    let value = req.headers().get("x-tenant").and_then(|v| v.to_str().ok());
    if let Some(tenant) = value.map(|t| RequestLabelValue::new(t.to_owned())) {
        req.extensions_mut().insert(tenant);
    }
    next.call(req).await
}

fn label_metrics(label: RequestLabel) -> HttpMetrics {
    HttpMetrics::builder()
        .exclude_route("/health")
        .request_label(
            label
                .allow(["acme", "globex"])
                .map(|v| Some(v.to_ascii_lowercase())),
        )
        .build()
        .unwrap()
}

/// Sends tenants allowed, allowed after mapping, unknown and missing to both servers, and
/// checks that both record them alike, every unknown one as `other`.
async fn request_label_alike(axum: &servers::Server, actix: &servers::Server) {
    let client = reqwest::Client::new();
    let tenants = [
        Some("acme"),
        Some("ACME"),
        Some("globex"),
        Some("evil"),
        None,
    ];
    let mut scraped = Vec::new();
    for base in [&axum.base, &actix.base] {
        for tenant in tenants {
            let mut request = client.get(format!("{base}/api/users/7"));
            if let Some(tenant) = tenant {
                request = request.header("x-tenant", tenant);
            }
            assert_eq!(request.send().await.unwrap().status(), 200);
        }
        // A route whose requests all have an allowed tenant.
        let request = client
            .get(format!("{base}/api/v2/orders/9"))
            .header("x-tenant", "acme");
        assert_eq!(request.send().await.unwrap().status(), 200);
        // A fresh value per request adds no series.
        for i in 0..20 {
            let request = client
                .get(format!("{base}/nowhere"))
                .header("x-tenant", format!("tenant-{i}"));
            assert_eq!(request.send().await.unwrap().status(), 404);
        }
        scraped.push(conformance::scrape(&client, base).await);
    }
    let [(axum_text, axum_m), (actix_text, actix_m)] = [scraped.remove(0), scraped.remove(0)];
    assert_eq!(
        conformance::comparable(&axum_m),
        conformance::comparable(&actix_m),
        "\n--- axum ---\n{axum_text}\n--- actix ---\n{actix_text}"
    );
    let series = |tenant| {
        [
            ("method", "GET"),
            ("route", "/api/users/{user_id}"),
            ("status", "200"),
            ("tenant", tenant),
        ]
    };
    assert_eq!(
        axum_m.get("http_requests_total", &series("acme")),
        Some(2.0)
    );
    assert_eq!(
        axum_m.get("http_requests_total", &series("globex")),
        Some(1.0)
    );
    assert_eq!(
        axum_m.get("http_requests_total", &series("other")),
        Some(2.0)
    );
    let unmatched = [
        ("method", "GET"),
        ("route", "unmatched"),
        ("status", "404"),
        ("tenant", "other"),
    ];
    assert_eq!(axum_m.get("http_requests_total", &unmatched), Some(20.0));
    assert_eq!(axum_m.series("http_requests_total").len(), 5);
    let in_flight = [
        ("method", "GET"),
        ("route", "/api/users/{user_id}"),
        ("tenant", "acme"),
    ];
    assert_eq!(axum_m.get("http_requests_in_flight", &in_flight), Some(0.0));
    // No `other` in-flight series for a route whose requests all had an allowed tenant
    // (they enter `other` before their header moves them); one where `other` requests were.
    let orders = |tenant| {
        [
            ("method", "GET"),
            ("route", "/api/v2/orders/{order_id}"),
            ("tenant", tenant),
        ]
    };
    assert_eq!(
        axum_m.get("http_requests_in_flight", &orders("acme")),
        Some(0.0)
    );
    assert_eq!(
        axum_m.get("http_requests_in_flight", &orders("other")),
        None
    );
    assert_eq!(axum_m.series("http_requests_in_flight").len(), 5);
    tests::promtool_check(&axum_text).unwrap();
}
