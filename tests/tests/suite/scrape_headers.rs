//! `/metrics` reads its request headers as RFC 9110 says, on both frameworks alike: repeated
//! `Accept` and `Accept-Encoding` lines are one list, and `Authorization` is a single value,
//! so a request carrying it twice is refused whichever line would match.

use axum::body::Body;
use http_body_util::BodyExt;
use http_metrics_core::HttpMetrics;
use tower::ServiceExt;

/// (status, content type, content encoding) of a scrape with these header lines, from axum
/// and from actix-web.
async fn scrape(metrics: &HttpMetrics, headers: &[(&str, &str)]) -> [(u16, String, String); 2] {
    exchange(metrics, headers).await.map(|(answer, _)| answer)
}

/// [`scrape`]'s answers with the bodies.
async fn exchange(
    metrics: &HttpMetrics,
    headers: &[(&str, &str)],
) -> [((u16, String, String), Vec<u8>); 2] {
    let axum_app: axum::Router = axum::Router::new()
        .route("/metrics", tower_metrics::metrics_handler_with(metrics))
        .layer(tower_metrics::MetricsLayer::with_metrics(metrics));
    let mut request = http::Request::get("/metrics");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = axum_app
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let header = |name: &str| {
        let value = response.headers().get(name);
        value.map_or(String::new(), |v| v.to_str().unwrap().to_owned())
    };
    let axum = (
        response.status().as_u16(),
        header("content-type"),
        header("content-encoding"),
    );
    let axum = (
        axum,
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    );

    let actix_app = actix_web::test::init_service(
        actix_web::App::new()
            .wrap(actix_metrics::Metrics::with_metrics(metrics))
            .service(actix_metrics::metrics_service_with(metrics)),
    )
    .await;
    let mut request = actix_web::test::TestRequest::get().uri("/metrics");
    for (name, value) in headers {
        request = request.append_header((*name, *value));
    }
    let response = actix_web::test::call_service(&actix_app, request.to_request()).await;
    let header = |name: &str| {
        let value = response.headers().get(name);
        value.map_or(String::new(), |v| v.to_str().unwrap().to_owned())
    };
    let actix = (
        response.status().as_u16(),
        header("content-type"),
        header("content-encoding"),
    );
    let actix = (actix, actix_web::test::read_body(response).await.to_vec());
    [axum, actix]
}

const TEXT: &str = "text/plain; charset=utf-8";
const PROMETHEUS: &str = "text/plain; version=0.0.4; charset=utf-8";
const OPENMETRICS: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores";

#[actix_web::test]
async fn more_than_one_authorization_line_is_refused_in_either_order() {
    let metrics = HttpMetrics::builder()
        .bearer_token("secret")
        .build()
        .unwrap();
    let refused = (400, TEXT.to_owned(), String::new());
    let pairs = [
        [
            ("authorization", "Bearer wrong"),
            ("authorization", "Bearer secret"),
        ],
        [
            ("authorization", "Bearer secret"),
            ("authorization", "Bearer wrong"),
        ],
        [
            ("authorization", "Bearer secret"),
            ("authorization", "Bearer secret"),
        ],
    ];
    for headers in pairs {
        let answers = scrape(&metrics, &headers).await;
        assert_eq!(answers, [refused.clone(), refused.clone()], "{headers:?}");
    }
    let one = scrape(&metrics, &[("authorization", "Bearer secret")]).await;
    let admitted = (200, PROMETHEUS.to_owned(), String::new());
    assert_eq!(one, [admitted.clone(), admitted]);
    let wrong = scrape(&metrics, &[("authorization", "Bearer wrong")]).await;
    let unauthorized = (401, TEXT.to_owned(), String::new());
    assert_eq!(wrong, [unauthorized.clone(), unauthorized.clone()]);
    assert_eq!(
        scrape(&metrics, &[]).await,
        [unauthorized.clone(), unauthorized]
    );
}

#[actix_web::test]
async fn repeated_accept_and_accept_encoding_lines_are_one_list() {
    let metrics = HttpMetrics::new();
    // OpenMetrics is listed only on the second `Accept` line, gzip only on the second
    // `Accept-Encoding` line: read as one list each, both apply.
    let headers = [
        ("accept", "text/plain;version=0.0.4;q=0.5"),
        ("accept", "application/openmetrics-text;version=1.0.0"),
        ("accept-encoding", "identity"),
        ("accept-encoding", "gzip"),
    ];
    let both = (200, OPENMETRICS.to_owned(), "gzip".to_owned());
    assert_eq!(scrape(&metrics, &headers).await, [both.clone(), both]);
    // The first line alone chooses the classic format, uncompressed.
    let first = scrape(&metrics, &headers[..1]).await;
    let classic = (200, PROMETHEUS.to_owned(), String::new());
    assert_eq!(first, [classic.clone(), classic]);
}

/// Prometheus 3's `scrape_protocols`, each as the `Accept` it sends for it alone, and all of
/// them as its default header, with the `Content-Type` each gets (the content-negotiation
/// page of the Prometheus documentation). client_python 0.26's `choose_encoder` answers the
/// same for each single element but OpenMetrics 0.0.1, which it serves as the text format
/// 0.0.4, and the `allow-utf8` spelling (Prometheus' too), which it reads as no scheme.
#[actix_web::test]
async fn every_scrape_protocol_of_prometheus_3_gets_its_format_and_escaping() {
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let cases = [
        (
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8",
        ),
        (
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8",
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8",
        ),
        (
            "application/openmetrics-text;version=0.0.1",
            "application/openmetrics-text; version=0.0.1; charset=utf-8",
        ),
        (
            "text/plain;version=1.0.0;escaping=allow-utf-8",
            "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8",
        ),
        ("text/plain;version=0.0.4", PROMETHEUS),
        (
            "text/plain;version=1.0.0",
            "text/plain; version=1.0.0; charset=utf-8; escaping=underscores",
        ),
        (
            "application/openmetrics-text;version=1.0.0;escaping=dots",
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=dots",
        ),
        (
            "application/openmetrics-text;version=1.0.0;escaping=values",
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=values",
        ),
        (
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf8",
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8",
        ),
        // By quality, whatever the order.
        (
            "text/plain;version=0.0.4;q=0.2,text/plain;version=1.0.0;escaping=dots;q=0.9",
            "text/plain; version=1.0.0; charset=utf-8; escaping=dots",
        ),
        // Nothing servable: the documented fallback.
        ("application/json", PROMETHEUS),
        ("", PROMETHEUS),
    ];
    for (accept, content_type) in cases {
        let expected = (200, content_type.to_owned(), String::new());
        let answers = scrape(&metrics, &[("accept", accept)]).await;
        assert_eq!(answers, [expected.clone(), expected], "{accept}");
        if [",", "0.0.1", "json", "allow-utf8"]
            .iter()
            .any(|s| accept.contains(s))
            || accept.is_empty()
        {
            continue;
        }
        assert_eq!(
            python_content_type(accept),
            content_type,
            "client_python, {accept}"
        );
    }
}

/// What client_python's `choose_encoder` answers `accept` with.
fn python_content_type(accept: &str) -> String {
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys; from prometheus_client import exposition; print(exposition.choose_encoder(sys.argv[1])[1])",
            accept,
        ])
        .output()
        .expect("python3 with prometheus_client: run scripts/test.sh, which installs it");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A family named the OpenTelemetry way, served quoted to a scraper that allows UTF-8 and
/// escaped to one that does not, on both frameworks; client_python's parser reads each back
/// to the names the scheme promises.
#[actix_web::test]
async fn utf8_names_are_served_quoted_or_escaped_as_the_scraper_asks() {
    use http_metrics_core::prometheus_client::metrics::counter::Counter;
    use http_metrics_core::prometheus_client::metrics::family::Family;
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let payments = Family::<Vec<(String, String)>, Counter>::default();
    metrics
        .register("payments.processed", "Payments", payments.clone())
        .unwrap();
    payments
        .get_or_create(&vec![("payment.method".to_owned(), "card".to_owned())])
        .inc();
    let cases = [
        (
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8",
            "openmetrics",
            "payments.processed_total",
            "payment.method",
        ),
        (
            "text/plain;version=1.0.0;escaping=allow-utf-8",
            "prometheus",
            "payments.processed_total",
            "payment.method",
        ),
        (
            "application/openmetrics-text;version=1.0.0",
            "openmetrics",
            "payments_processed_total",
            "payment_method",
        ),
        (
            "application/openmetrics-text;version=1.0.0;escaping=dots",
            "openmetrics",
            "payments_dot_processed__total",
            "payment_dot_method",
        ),
        (
            "text/plain;version=1.0.0;escaping=values",
            "prometheus",
            "U__payments_2e_processed__total",
            "U__payment_2e_method",
        ),
        (
            "text/plain;version=0.0.4",
            "prometheus",
            "payments_processed_total",
            "payment_method",
        ),
    ];
    for (accept, parser, sample, label) in cases {
        for (_, body) in exchange(&metrics, &[("accept", accept)]).await {
            let text = String::from_utf8(body).unwrap();
            let parsed = tests::python_parse(&text, parser)
                .unwrap_or_else(|e| panic!("{accept}: {e}\n{text}"));
            let found = parsed["families"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|f| f["samples"].as_array().unwrap().iter())
                .find(|s| s["name"] == sample)
                .unwrap_or_else(|| panic!("{accept}: no {sample}\n{text}"));
            assert_eq!(found["labels"][label], "card", "{accept}\n{text}");
            assert_eq!(found["value"], 1.0, "{accept}");
        }
    }
}
