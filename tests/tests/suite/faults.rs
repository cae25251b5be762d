//! Faults, on both frameworks over real sockets: clients that hang up, handlers that panic,
//! bodies that stream, fail or are abandoned; those a client can cause over HTTP/2 as well
//! (h2c, prior knowledge), where hanging up is resetting the request's stream.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use http_metrics_core::HttpMetrics;
use tests::servers::{self, Server};
use tests::{conformance, Exposition};

/// Both frameworks serving the fault-injection app over `metrics`.
async fn both(metrics: (&HttpMetrics, &HttpMetrics)) -> [(&'static str, Server); 2] {
    [
        (
            "axum",
            servers::axum(tests::faults::axum_app(metrics.0)).await,
        ),
        // actix-web keeps serving a request whose client half-closed the connection unless
        // told otherwise; with this setting it drops the request, as hyper does.
        (
            "actix",
            servers::actix_with(metrics.1, 1, false, tests::faults::actix_app),
        ),
    ]
}

/// An HTTP/1.1 client and an HTTP/2 one (prior knowledge), with the name of each.
fn clients() -> [(&'static str, reqwest::Client); 2] {
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("an HTTP/2 client");
    [("HTTP/1.1", reqwest::Client::new()), ("HTTP/2", h2)]
}

async fn scrape(server: &Server) -> Exposition {
    conformance::scrape(&reqwest::Client::new(), &server.base)
        .await
        .1
}

fn in_flight(m: &Exposition, route: &str) -> Option<f64> {
    m.get(
        "http_requests_in_flight",
        &[("method", "GET"), ("route", route)],
    )
}

fn total(m: &Exposition, route: &str, status: &str) -> Option<f64> {
    m.get(
        "http_requests_total",
        &[("method", "GET"), ("route", route), ("status", status)],
    )
}

/// Polls the server's metrics until `done` holds (at most 10 s), returning the last scrape.
async fn until(server: &Server, done: impl Fn(&Exposition) -> bool) -> Exposition {
    for _ in 0..200 {
        let m = scrape(server).await;
        if done(&m) {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    scrape(server).await
}

/// Opens a connection, sends `GET path`, and returns the open socket.
fn send_raw(server: &Server, path: &str) -> TcpStream {
    let mut socket = TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    write!(socket, "GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    socket
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_before_the_response_is_a_499_and_leaves_in_flight() {
    let (a, b) = (HttpMetrics::new(), HttpMetrics::new());
    for (name, server) in both((&a, &b)).await {
        let socket = send_raw(&server, "/hang");
        let m = until(&server, |m| in_flight(m, "/hang") == Some(1.0)).await;
        assert_eq!(
            in_flight(&m, "/hang"),
            Some(1.0),
            "{name}: the request is in flight"
        );
        drop(socket);
        let m = until(&server, |m| total(m, "/hang", "499").is_some()).await;
        assert_eq!(total(&m, "/hang", "499"), Some(1.0), "{name}");
        assert_eq!(in_flight(&m, "/hang"), Some(0.0), "{name}");
        assert_eq!(
            m.series("http_requests_total").len(),
            1,
            "{name}: counted once"
        );
    }
}

/// By default actix-web treats a client's FIN as a half-close and finishes the request: it is
/// recorded when the handler returns, with the handler's status. hyper drops it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_half_closes_allowed_actix_finishes_the_request_first() {
    let (a, b) = (HttpMetrics::new(), HttpMetrics::new());
    let servers = [
        (
            "axum",
            "499",
            servers::axum(tests::faults::axum_app(&a)).await,
        ),
        (
            "actix",
            "200",
            servers::actix(&b, 1, tests::faults::actix_app),
        ),
    ];
    for (name, status, server) in servers {
        let socket = send_raw(&server, "/slow");
        // Hang up only once the server has the request, or there is nothing to record.
        let m = until(&server, |m| in_flight(m, "/slow") == Some(1.0)).await;
        assert_eq!(in_flight(&m, "/slow"), Some(1.0), "{name}");
        drop(socket);
        let m = until(&server, |m| total(m, "/slow", status).is_some()).await;
        assert_eq!(total(&m, "/slow", status), Some(1.0), "{name}");
        assert_eq!(in_flight(&m, "/slow"), Some(0.0), "{name}");
        assert_eq!(
            m.series("http_requests_total").len(),
            1,
            "{name}: counted once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_is_in_flight_until_it_ends_and_a_dropped_one_keeps_its_status() {
    for (protocol, client) in clients() {
        let (a, b) = (HttpMetrics::new(), HttpMetrics::new());
        for (name, server) in both((&a, &b)).await {
            let name = format!("{name} {protocol}");
            let mut response = client.get(server.url("/events")).send().await.unwrap();
            assert_eq!(response.status(), 200);
            let first = response.chunk().await.unwrap().unwrap();
            assert!(first.starts_with(b"data: tick"), "{name}");
            response.chunk().await.unwrap().unwrap();

            let m = scrape(&server).await;
            assert_eq!(in_flight(&m, "/events"), Some(1.0), "{name}: streaming");
            assert_eq!(
                total(&m, "/events", "200"),
                None,
                "{name}: not recorded before the end"
            );

            // Over HTTP/1.1 the connection closes; over HTTP/2 the stream is reset.
            drop(response);
            let m = until(&server, |m| total(m, "/events", "200").is_some()).await;
            assert_eq!(
                total(&m, "/events", "200"),
                Some(1.0),
                "{name}: recorded at the drop"
            );
            assert_eq!(in_flight(&m, "/events"), Some(0.0), "{name}");
            let duration = m
                .get(
                    "http_request_duration_seconds_sum",
                    &[("method", "GET"), ("route", "/events"), ("status", "200")],
                )
                .unwrap();
            assert!(
                duration >= 0.04,
                "{name}: the duration covers the stream ({duration} s)"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_fails_is_recorded_once_with_its_status() {
    for (protocol, client) in clients() {
        let (a, b) = (HttpMetrics::new(), HttpMetrics::new());
        for (name, server) in both((&a, &b)).await {
            let name = format!("{name} {protocol}");
            let response = client.get(server.url("/broken")).send().await.unwrap();
            assert_eq!(response.status(), 200, "{name}: the head was sent");
            assert!(
                response.bytes().await.is_err(),
                "{name}: the body breaks off"
            );
            let m = until(&server, |m| total(m, "/broken", "200").is_some()).await;
            assert_eq!(total(&m, "/broken", "200"), Some(1.0), "{name}");
            assert_eq!(in_flight(&m, "/broken"), Some(0.0), "{name}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_a_500_on_both_frameworks() {
    for (protocol, client) in clients() {
        let (a, b) = (HttpMetrics::new(), HttpMetrics::new());
        for (name, server) in both((&a, &b)).await {
            assert!(
                client.get(server.url("/panic")).send().await.is_err(),
                "{name} {protocol}: connection (or stream) dropped"
            );
            let m = until(&server, |m| total(m, "/panic", "500").is_some()).await;
            assert_eq!(total(&m, "/panic", "500"), Some(1.0), "{name} {protocol}");
            assert_eq!(in_flight(&m, "/panic"), Some(0.0), "{name} {protocol}");
        }
    }
}

/// Over HTTP/2 a client hangs up on one request by resetting its stream (`RST_STREAM`):
/// hyper drops the request at once, as it does when an HTTP/1.1 connection closes; actix-web
/// runs the handler to its end and records what it answered, as with a half-closed HTTP/1.1
/// connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_reset_before_the_response_leaves_in_flight_balanced() {
    let [_, (_, client)] = clients();
    let (a, b) = (HttpMetrics::new(), HttpMetrics::new());
    for ((name, server), status) in both((&a, &b)).await.into_iter().zip(["499", "200"]) {
        let url = server.url("/slow");
        let pending = tokio::spawn({
            let client = client.clone();
            async move { client.get(url).send().await }
        });
        let m = until(&server, |m| in_flight(m, "/slow") == Some(1.0)).await;
        assert_eq!(in_flight(&m, "/slow"), Some(1.0), "{name}: in flight");
        // Dropping the request's future resets its stream; the connection stays open.
        pending.abort();
        let m = until(&server, |m| total(m, "/slow", status).is_some()).await;
        assert_eq!(total(&m, "/slow", status), Some(1.0), "{name}");
        assert_eq!(in_flight(&m, "/slow"), Some(0.0), "{name}");
        assert_eq!(
            m.series("http_requests_total").len(),
            1,
            "{name}: counted once"
        );
    }
}

/// tower-http's `CatchPanicLayer` turns the panic into a 500 response. Inside the metrics
/// layer, that response is what is recorded; outside it, the panic unwinds through the
/// metrics layer first. Either way: one 500, in-flight balanced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_caught_inside_or_outside_the_layer_is_one_500() {
    use tower_http::catch_panic::CatchPanicLayer;
    let (inside, outside) = (HttpMetrics::new(), HttpMetrics::new());
    let apps = [
        (
            "inside",
            tests::faults::axum_routes()
                .layer(CatchPanicLayer::new())
                .merge(tower_metrics::metrics_router_with(&inside))
                .layer(tower_metrics::MetricsLayer::with_metrics(&inside)),
        ),
        (
            "outside",
            tests::faults::axum_routes()
                .merge(tower_metrics::metrics_router_with(&outside))
                .layer(tower_metrics::MetricsLayer::with_metrics(&outside))
                .layer(CatchPanicLayer::new()),
        ),
    ];
    for (name, app) in apps {
        let server = servers::axum(app).await;
        let response = reqwest::get(server.url("/panic")).await.unwrap();
        assert_eq!(response.status(), 500, "{name}: caught");
        let m = scrape(&server).await;
        assert_eq!(total(&m, "/panic", "500"), Some(1.0), "{name}");
        assert_eq!(in_flight(&m, "/panic"), Some(0.0), "{name}");
    }
}
