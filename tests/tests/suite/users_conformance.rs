//! `users-axum` and `users-actix`: the same requests give the same `/metrics` series.

use http_metrics_core::HttpMetrics;
use tests::conformance;
use tests::servers;

const JSON: &str = "application/json";

/// (method, path, content type, body, expected status)
const SCRIPT: &[(&str, &str, Option<&str>, &str, u16)] = &[
    ("POST", "/api/users", Some(JSON), r#"{"name": "Ada"}"#, 201),
    (
        "POST",
        "/api/users",
        Some(JSON),
        r#"{"name": "Grace", "source": "mobile"}"#,
        201,
    ),
    (
        "POST",
        "/api/users",
        Some(JSON),
        r#"{"name": "Eve", "source": "x\"}\n"}"#,
        201,
    ),
    ("GET", "/api/users/1", None, "", 200),
    ("GET", "/api/users/1", None, "", 200),
    ("GET", "/api/users/2", None, "", 200),
    ("GET", "/api/users/99", None, "", 404),
    ("GET", "/health", None, "", 200),
    ("POST", "/api/users", Some(JSON), "{oops", 400),
    (
        "POST",
        "/api/users",
        Some(JSON),
        r#"{"source": "web"}"#,
        422,
    ),
    (
        "POST",
        "/api/users",
        Some("text/plain"),
        r#"{"name": "Ada"}"#,
        415,
    ),
    ("DELETE", "/api/users/1", None, "", 405),
    ("GET", "/no/such/page", None, "", 404),
];

async fn drive(client: &reqwest::Client, base: &str) {
    for (method, path, content_type, body, status) in SCRIPT {
        let mut request = client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{base}{path}"),
            )
            .body(*body);
        if let Some(ct) = content_type {
            request = request.header("content-type", *ct);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status().as_u16(),
            *status,
            "{base} {method} {path} {body}"
        );
        response.bytes().await.unwrap();
    }
    let too_big = format!(r#"{{"name": "{}"}}"#, "x".repeat(100_000));
    let response = client
        .post(format!("{base}/api/users"))
        .header("content-type", JSON)
        .body(too_big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413, "{base}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_axum_and_users_actix_expose_the_same_series() {
    let client = reqwest::Client::new();
    let axum_metrics = HttpMetrics::new();
    let axum = servers::axum(examples::users::axum::router(&axum_metrics)).await;
    let actix_metrics = HttpMetrics::new();
    let actix = servers::users_actix(&actix_metrics, 2);

    drive(&client, &axum.base).await;
    drive(&client, &actix.base).await;
    let (axum_text, axum_m) = conformance::scrape(&client, &axum.base).await;
    let (actix_text, actix_m) = conformance::scrape(&client, &actix.base).await;

    for (name, m) in [("axum", &axum_m), ("actix", &actix_m)] {
        let total = |method, route, status| {
            m.get(
                "http_requests_total",
                &[("method", method), ("route", route), ("status", status)],
            )
        };
        assert_eq!(total("POST", "/api/users", "201"), Some(3.0), "{name}");
        assert_eq!(total("POST", "/api/users", "400"), Some(1.0), "{name}");
        assert_eq!(total("POST", "/api/users", "413"), Some(1.0), "{name}");
        assert_eq!(total("POST", "/api/users", "415"), Some(1.0), "{name}");
        assert_eq!(total("POST", "/api/users", "422"), Some(1.0), "{name}");
        assert_eq!(
            total("GET", "/api/users/{user_id}", "200"),
            Some(3.0),
            "{name}"
        );
        assert_eq!(
            total("GET", "/api/users/{user_id}", "404"),
            Some(1.0),
            "{name}"
        );
        assert_eq!(
            total("DELETE", "/api/users/{user_id}", "405"),
            Some(1.0),
            "{name}"
        );
        assert_eq!(total("GET", "/health", "200"), Some(1.0), "{name}");
        assert_eq!(total("GET", "unmatched", "404"), Some(1.0), "{name}");
        assert_eq!(
            m.get("users_created_total", &[("source", "web")]),
            Some(1.0),
            "{name}"
        );
        assert_eq!(
            m.get("users_created_total", &[("source", "mobile")]),
            Some(1.0),
            "{name}"
        );
        assert_eq!(
            m.get("users_created_total", &[("source", "other")]),
            Some(1.0),
            "{name}"
        );
        let cache = |op, result| {
            m.get(
                "cache_operations_total",
                &[("operation", op), ("result", result)],
            )
        };
        assert_eq!(
            (
                cache("get", "hit"),
                cache("get", "miss"),
                cache("set", "success")
            ),
            (Some(1.0), Some(3.0), Some(2.0)),
            "{name}"
        );
    }
    assert_eq!(
        conformance::comparable(&axum_m),
        conformance::comparable(&actix_m),
        "\n--- axum ---\n{axum_text}\n--- actix ---\n{actix_text}"
    );
}
