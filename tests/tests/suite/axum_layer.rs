//! The tower layer on a real axum `Router`, driven in-process, read back through `/metrics`.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Path;
use axum::http::{Request, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use http_body_util::BodyExt;
use http_metrics_core::{HttpMetrics, StatusLabel};
use prometheus_client::metrics::counter::Counter;
use tests::Exposition;
use tower::ServiceExt;
use tower_metrics::{metrics_handler_with, metrics_router_with, MetricsLayer};

use http_metrics_core::prometheus_client;

const TOTAL: &str = "http_requests_total";
const IN_FLIGHT: &str = "http_requests_in_flight";

async fn send(app: &Router, method: &str, uri: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, body)
}

async fn scrape(app: &Router) -> Exposition {
    let (status, body) = send(app, "GET", "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    Exposition::parse(&String::from_utf8(body).unwrap())
}

fn app(metrics: &HttpMetrics) -> Router {
    let api = Router::new().route("/orders/{order_id}", get(|| async { "order" }));
    Router::new()
        .route(
            "/api/users/{user_id}",
            get(|Path(id): Path<String>| async move { id }),
        )
        .route(
            "/api/users",
            post(|| async { (StatusCode::CREATED, "created") }).get(|| async { "list" }),
        )
        .route(
            "/fail",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down") }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                "slow"
            }),
        )
        .nest("/api/v2", api)
        .merge(metrics_router_with(metrics))
        .layer(MetricsLayer::with_metrics(metrics))
}

fn labels<'a>(method: &'a str, route: &'a str, status: &'a str) -> [(&'a str, &'a str); 3] {
    [("method", method), ("route", route), ("status", status)]
}

#[tokio::test]
async fn requests_are_counted_under_their_route_template() {
    let metrics = HttpMetrics::new();
    let app = app(&metrics);
    for id in ["1", "2", "alice"] {
        assert_eq!(
            send(&app, "GET", &format!("/api/users/{id}")).await.0,
            StatusCode::OK
        );
    }
    assert_eq!(
        send(&app, "POST", "/api/users").await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        send(&app, "GET", "/fail").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );

    let m = scrape(&app).await;
    assert_eq!(
        m.get(TOTAL, &labels("GET", "/api/users/{user_id}", "200")),
        Some(3.0)
    );
    assert_eq!(
        m.get(TOTAL, &labels("POST", "/api/users", "201")),
        Some(1.0)
    );
    assert_eq!(m.get(TOTAL, &labels("GET", "/fail", "503")), Some(1.0));
    assert_eq!(
        m.series(TOTAL).len(),
        3,
        "no other series: {:?}",
        m.series(TOTAL)
    );
    assert_eq!(
        m.get(
            "http_request_duration_seconds_count",
            &labels("GET", "/api/users/{user_id}", "200")
        ),
        Some(3.0)
    );
    m.assert_idle(&[
        ("GET", "/api/users/{user_id}"),
        ("POST", "/api/users"),
        ("GET", "/fail"),
    ]);
}

#[tokio::test]
async fn each_observation_lands_in_its_bucket() {
    let metrics = HttpMetrics::builder()
        .buckets([0.05, 60.0])
        .build()
        .unwrap();
    let app = app(&metrics);
    send(&app, "GET", "/slow").await;
    send(&app, "GET", "/api/users/1").await;

    let m = scrape(&app).await;
    let bucket = |route: &str, le: &str| {
        m.get(
            "http_request_duration_seconds_bucket",
            &[
                ("le", le),
                ("method", "GET"),
                ("route", route),
                ("status", "200"),
            ],
        )
    };
    // The slow handler sleeps 100 ms, so its request cannot take less than that: it is in
    // no bucket below 0.05 s, whatever the machine's load. (No upper bound is asserted: a
    // loaded machine may take any time.)
    assert_eq!(bucket("/slow", "0.05"), Some(0.0));
    assert_eq!(bucket("/slow", "+Inf"), Some(1.0));
    assert_eq!(bucket("/api/users/{user_id}", "+Inf"), Some(1.0));
    let sum = m
        .get(
            "http_request_duration_seconds_sum",
            &labels("GET", "/slow", "200"),
        )
        .unwrap();
    assert!(sum >= 0.05, "sum {sum} covers the 100 ms sleep");
}

#[tokio::test]
async fn in_flight_counts_a_running_request_and_returns_to_zero() {
    let metrics = HttpMetrics::new();
    let (entered_tx, entered_rx) = tokio::sync::oneshot::channel::<()>();
    let release = std::sync::Arc::new(tokio::sync::Notify::new());
    let entered = std::sync::Mutex::new(Some(entered_tx));
    let entered = std::sync::Arc::new(entered);
    let r = release.clone();
    let app = Router::new()
        .route(
            "/wait",
            get(move || {
                let (entered, release) = (entered.clone(), r.clone());
                async move {
                    entered.lock().unwrap().take().unwrap().send(()).unwrap();
                    release.notified().await;
                    "done"
                }
            }),
        )
        .layer(MetricsLayer::with_metrics(&metrics))
        .merge(metrics_router_with(&metrics));

    let running = tokio::spawn({
        let app = app.clone();
        async move { send(&app, "GET", "/wait").await }
    });
    entered_rx.await.unwrap();
    let during = scrape(&app).await;
    assert_eq!(
        during.get(IN_FLIGHT, &[("method", "GET"), ("route", "/wait")]),
        Some(1.0)
    );
    assert_eq!(during.get(TOTAL, &labels("GET", "/wait", "200")), None);

    release.notify_one();
    assert_eq!(running.await.unwrap().0, StatusCode::OK);
    let after = scrape(&app).await;
    assert_eq!(
        after.get(IN_FLIGHT, &[("method", "GET"), ("route", "/wait")]),
        Some(0.0)
    );
    assert_eq!(after.get(TOTAL, &labels("GET", "/wait", "200")), Some(1.0));
}

#[tokio::test]
async fn unmatched_paths_share_one_route_value() {
    let metrics = HttpMetrics::new();
    let app = app(&metrics);
    for path in [
        "/nope",
        "/nope/1",
        "/api/users/1/extra",
        "/%F0%9F%92%A5",
        "/a?b=c",
    ] {
        assert_eq!(
            send(&app, "GET", path).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let m = scrape(&app).await;
    assert_eq!(m.get(TOTAL, &labels("GET", "unmatched", "404")), Some(5.0));
    assert_eq!(
        m.label_values(TOTAL, "route"),
        ["unmatched"],
        "raw paths never become label values"
    );
}

/// Every order of the documented calls — the application's routes, the layer, and `/metrics`
/// mounted with `route(metrics_handler)` or `merge(metrics_router)` — records the same series.
/// (`Router::merge` replaces a default fallback with the merged router's: the merged router
/// records its own 404s, and an outer layer over the same metrics leaves them to it.)
#[tokio::test]
async fn every_order_of_layer_and_metrics_endpoint_records_the_same_series() {
    type Build = fn(&HttpMetrics) -> Router;
    fn routes() -> Router {
        Router::new().route("/", get(|| async { "home" }))
    }
    let orders: [(&str, Build); 4] = [
        ("route(handler) then layer", |m| {
            routes()
                .route("/metrics", metrics_handler_with(m))
                .layer(MetricsLayer::with_metrics(m))
        }),
        ("layer then route(handler)", |m| {
            routes()
                .layer(MetricsLayer::with_metrics(m))
                .route("/metrics", metrics_handler_with(m))
        }),
        ("merge(router) then layer", |m| {
            routes()
                .merge(metrics_router_with(m))
                .layer(MetricsLayer::with_metrics(m))
        }),
        ("layer then merge(router)", |m| {
            routes()
                .layer(MetricsLayer::with_metrics(m))
                .merge(metrics_router_with(m))
        }),
    ];
    for (order, build) in orders {
        for count_scrapes in [false, true] {
            let metrics = HttpMetrics::builder()
                .count_metrics_path(count_scrapes)
                .build()
                .unwrap();
            let app = build(&metrics);
            assert_eq!(send(&app, "GET", "/").await.0, StatusCode::OK, "{order}");
            for path in ["/missing", "/missing/too"] {
                let status = send(&app, "GET", path).await.0;
                assert_eq!(status, StatusCode::NOT_FOUND, "{order}");
            }
            scrape(&app).await;
            let m = scrape(&app).await;
            let case = format!("{order}, count_metrics_path({count_scrapes})");
            assert_eq!(
                m.get(TOTAL, &labels("GET", "/", "200")),
                Some(1.0),
                "{case}"
            );
            let unmatched = m.get(TOTAL, &labels("GET", "unmatched", "404"));
            assert_eq!(unmatched, Some(2.0), "{case}");
            let mut in_flight = vec![("GET", "/", 0.0), ("GET", "unmatched", 0.0)];
            // Counted scrapes are recorded where `/metrics` was mounted before the layer:
            // axum wraps only the routes added before a layer.
            let counted = count_scrapes && order.ends_with("then layer");
            if counted {
                // The first scrape is recorded, once; the second is in flight as it reads.
                let scrapes = m.get(TOTAL, &labels("GET", "/metrics", "200"));
                assert_eq!(scrapes, Some(1.0), "{case}");
                in_flight.push(("GET", "/metrics", 1.0));
            }
            let series = if counted { 3 } else { 2 };
            assert_eq!(
                m.series(TOTAL).len(),
                series,
                "{case}: {:?}",
                m.series(TOTAL)
            );
            m.assert_in_flight(&in_flight);
        }
    }
}

#[tokio::test]
async fn unknown_methods_are_other_and_wrong_methods_keep_the_route() {
    let metrics = HttpMetrics::new();
    let app = app(&metrics);
    assert_eq!(
        send(&app, "BREW", "/api/users/1").await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        send(&app, "PURGE", "/api/users/1").await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        send(&app, "DELETE", "/api/users/1").await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        send(&app, "BREW", "/nowhere").await.0,
        StatusCode::NOT_FOUND
    );

    let m = scrape(&app).await;
    assert_eq!(
        m.get(TOTAL, &labels("_OTHER", "/api/users/{user_id}", "405")),
        Some(2.0)
    );
    assert_eq!(
        m.get(TOTAL, &labels("DELETE", "/api/users/{user_id}", "405")),
        Some(1.0)
    );
    assert_eq!(
        m.get(TOTAL, &labels("_OTHER", "unmatched", "404")),
        Some(1.0)
    );
    assert_eq!(m.label_values(TOTAL, "method"), ["DELETE", "_OTHER"]);
}

#[tokio::test]
async fn nested_routers_concatenate_templates() {
    let metrics = HttpMetrics::new();
    let app = app(&metrics);
    send(&app, "GET", "/api/v2/orders/7").await;
    let m = scrape(&app).await;
    assert_eq!(
        m.get(TOTAL, &labels("GET", "/api/v2/orders/{order_id}", "200")),
        Some(1.0)
    );
}

#[tokio::test]
async fn a_nested_router_layered_before_nesting_sees_the_full_template() {
    let metrics = HttpMetrics::new();
    let inner = Router::new()
        .route("/items/{id}", get(|| async { "item" }))
        .layer(MetricsLayer::with_metrics(&metrics));
    let app = Router::new()
        .nest("/shop", inner)
        .merge(metrics_router_with(&metrics));
    send(&app, "GET", "/shop/items/3").await;
    let m = scrape(&app).await;
    assert_eq!(
        m.get(TOTAL, &labels("GET", "/shop/items/{id}", "200")),
        Some(1.0)
    );
}

#[tokio::test]
async fn fallbacks_record_the_unmatched_route_with_their_status() {
    let metrics = HttpMetrics::new();
    let app = Router::new()
        .route("/", get(|| async { "home" }))
        .fallback(|| async { (StatusCode::IM_A_TEAPOT, "fallback") })
        .layer(MetricsLayer::with_metrics(&metrics))
        .merge(metrics_router_with(&metrics));
    assert_eq!(
        send(&app, "GET", "/missing/42").await.0,
        StatusCode::IM_A_TEAPOT
    );
    let m = scrape(&app).await;
    assert_eq!(m.get(TOTAL, &labels("GET", "unmatched", "418")), Some(1.0));
    assert_eq!(m.series(TOTAL).len(), 1);
}

/// axum does not expose a `nest_service`'s prefix to layers outside it: requests below the
/// prefix carry no `MatchedPath` and are recorded like a fallback's, while the prefix itself
/// is an ordinary route. This test pins that documented behaviour.
#[tokio::test]
async fn nest_service_paths_below_the_prefix_are_unmatched() {
    let metrics = HttpMetrics::new();
    let files = tower::service_fn(|_req: Request<Body>| async {
        Ok::<_, std::convert::Infallible>(axum::response::Response::new(Body::from("file")))
    });
    let app = Router::new()
        .nest_service("/static", files)
        .layer(MetricsLayer::with_metrics(&metrics))
        .merge(metrics_router_with(&metrics));
    for path in ["/static/app.js", "/static/css/site.css", "/static"] {
        assert_eq!(send(&app, "GET", path).await.0, StatusCode::OK, "{path}");
    }
    let m = scrape(&app).await;
    assert_eq!(m.get(TOTAL, &labels("GET", "unmatched", "200")), Some(2.0));
    assert_eq!(m.get(TOTAL, &labels("GET", "/static", "200")), Some(1.0));
}

#[tokio::test]
async fn metrics_endpoint_does_not_count_itself_by_default() {
    let metrics = HttpMetrics::new();
    // Layer added after merging, so the metrics route is wrapped too.
    let app = Router::new()
        .route("/", get(|| async { "home" }))
        .merge(metrics_router_with(&metrics))
        .layer(MetricsLayer::with_metrics(&metrics));
    scrape(&app).await;
    let m = scrape(&app).await;
    assert!(
        m.label_values(TOTAL, "route").is_empty(),
        "{:?}",
        m.series(TOTAL)
    );

    let counted = HttpMetrics::builder()
        .count_metrics_path(true)
        .build()
        .unwrap();
    let app = Router::new()
        .merge(metrics_router_with(&counted))
        .layer(MetricsLayer::with_metrics(&counted));
    scrape(&app).await;
    let m = scrape(&app).await;
    assert_eq!(m.get(TOTAL, &labels("GET", "/metrics", "200")), Some(1.0));
}

#[tokio::test]
async fn excluded_routes_and_status_classes() {
    let metrics = HttpMetrics::builder()
        .exclude_route("/fail")
        .status_label(StatusLabel::Class)
        .build()
        .unwrap();
    let app = app(&metrics);
    send(&app, "GET", "/fail").await;
    send(&app, "GET", "/api/users/1").await;
    send(&app, "POST", "/api/users").await;
    let m = scrape(&app).await;
    assert_eq!(
        m.label_values(TOTAL, "route"),
        ["/api/users", "/api/users/{user_id}"]
    );
    assert_eq!(
        m.get(TOTAL, &labels("POST", "/api/users", "2xx")),
        Some(1.0)
    );
    assert_eq!(
        m.get(TOTAL, &labels("GET", "/api/users/{user_id}", "2xx")),
        Some(1.0)
    );
}

#[tokio::test]
async fn application_metrics_share_the_endpoint() {
    let metrics = HttpMetrics::new();
    let logins: Counter = Counter::default();
    metrics
        .register("logins", "Successful logins", logins.clone())
        .unwrap();
    logins.inc_by(3);
    let m = scrape(&app(&metrics)).await;
    assert_eq!(m.get("logins_total", &[]), Some(3.0));
    assert_eq!(m.types["logins_total"], "counter");
    assert_eq!(m.types["http_requests_total"], "counter");
    assert_eq!(m.types["http_request_duration_seconds"], "histogram");
    assert_eq!(m.types["http_requests_in_flight"], "gauge");
}

#[tokio::test]
async fn exposition_is_negotiated_and_compressed() {
    use std::io::Read;
    let metrics = HttpMetrics::new();
    let app = app(&metrics);
    send(&app, "GET", "/api/users/1").await;

    let request = |accept: &str, encoding: &str| {
        Request::get("/metrics")
            .header("accept", accept)
            .header("accept-encoding", encoding)
            .body(Body::empty())
            .unwrap()
    };
    let om = app
        .clone()
        .oneshot(request("application/openmetrics-text", "identity"))
        .await
        .unwrap();
    assert_eq!(
        om.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"
    );
    let body = om.into_body().collect().await.unwrap().to_bytes();
    assert!(body.ends_with(b"# EOF\n"));
    assert!(std::str::from_utf8(&body)
        .unwrap()
        .contains("# TYPE http_requests counter\n"));

    let text = app
        .clone()
        .oneshot(request("text/plain", "gzip"))
        .await
        .unwrap();
    assert_eq!(
        text.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(text.headers()["content-encoding"], "gzip");
    assert_eq!(text.headers()["vary"], "accept, accept-encoding");
    let gz = text.into_body().collect().await.unwrap().to_bytes();
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut plain)
        .unwrap();
    let m = Exposition::parse(&plain);
    assert_eq!(
        m.get(TOTAL, &labels("GET", "/api/users/{user_id}", "200")),
        Some(1.0)
    );
    assert!(!plain.contains("# EOF"));
}

#[tokio::test]
async fn the_metrics_route_answers_head_and_refuses_post() {
    let metrics = HttpMetrics::new();
    let app = app(&metrics);
    assert_eq!(send(&app, "HEAD", "/metrics").await.0, StatusCode::OK);
    assert_eq!(
        send(&app, "POST", "/metrics").await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_and_leaves_in_flight_balanced() {
    let metrics = HttpMetrics::new();
    let app: Router = Router::new()
        .route(
            "/panic",
            get(|| async {
                if true {
                    panic!("handler bug");
                }
                "unreachable"
            }),
        )
        .merge(metrics_router_with(&metrics))
        .layer(MetricsLayer::with_metrics(&metrics));
    let task = tokio::spawn({
        let app = app.clone();
        async move { send(&app, "GET", "/panic").await }
    });
    assert!(task.await.unwrap_err().is_panic());
    let m = scrape(&app).await;
    assert_eq!(m.get(TOTAL, &labels("GET", "/panic", "500")), Some(1.0));
    assert_eq!(
        m.get(IN_FLIGHT, &[("method", "GET"), ("route", "/panic")]),
        Some(0.0)
    );
}

#[tokio::test]
async fn a_request_dropped_before_its_response_is_a_499() {
    let metrics = HttpMetrics::new();
    let app: Router = Router::new()
        .route("/hang", get(std::future::pending::<&'static str>))
        .merge(metrics_router_with(&metrics))
        .layer(MetricsLayer::with_metrics(&metrics));
    let request = Request::get("/hang").body(Body::empty()).unwrap();
    let timed_out =
        tokio::time::timeout(Duration::from_millis(20), app.clone().oneshot(request)).await;
    assert!(timed_out.is_err(), "the handler never answers");
    let m = scrape(&app).await;
    assert_eq!(m.get(TOTAL, &labels("GET", "/hang", "499")), Some(1.0));
    assert_eq!(
        m.get(IN_FLIGHT, &[("method", "GET"), ("route", "/hang")]),
        Some(0.0)
    );
}

/// A tower service that routes itself names the route with `RouteTemplate`, which may be
/// built at run time.
#[tokio::test]
async fn a_route_template_built_at_run_time_labels_a_plain_tower_service() {
    let metrics = HttpMetrics::new();
    let template = tower_metrics::RouteTemplate::new(format!("/api/{}/{{id}}", "orders"));
    let service = tower::service_fn(|_: Request<Body>| async {
        Ok::<_, std::convert::Infallible>(axum::response::Response::new(Body::from("ok")))
    });
    let service = tower_metrics::Metrics::new(service, &metrics);
    for id in ["1", "2"] {
        let mut request = Request::get(format!("/api/orders/{id}"))
            .body(Body::empty())
            .unwrap();
        request.extensions_mut().insert(template.clone());
        let response = service.clone().oneshot(request).await.unwrap();
        response.into_body().collect().await.unwrap();
    }
    // The wrapped service stays reachable, as with tower-http's middleware; unwrapped, it
    // records nothing.
    let inner = service.into_inner();
    let response = inner.oneshot(Request::new(Body::empty())).await.unwrap();
    assert_eq!(response.status(), 200);
    let text = metrics
        .encode(http_metrics_core::Format::Prometheus)
        .unwrap();
    let m = Exposition::parse(&text);
    let total = m.get(TOTAL, &labels("GET", "/api/orders/{id}", "200"));
    assert_eq!(total, Some(2.0), "{text}");
    assert_eq!(m.series(TOTAL).len(), 1, "{text}");
}
