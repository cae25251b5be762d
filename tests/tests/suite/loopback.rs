//! The users example served on a real loopback socket, exercised with a real HTTP client,
//! and its Prometheus text output checked by the real `promtool`.

use http_metrics_core::prometheus_client::metrics::{
    counter::Counter, family::Family, gauge::Gauge,
};
use http_metrics_core::HttpMetrics;
use tests::Exposition;

async fn serve(metrics: &HttpMetrics) -> tests::servers::Server {
    tests::servers::axum(examples::users::axum::router(metrics)).await
}

#[tokio::test]
async fn counts_over_a_real_socket() {
    let metrics = HttpMetrics::new();
    let server = serve(&metrics).await;
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{}/api/users", server.base))
        .json(&serde_json::json!({"name": "Ada", "source": "api"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    for _ in 0..3 {
        let r = client
            .get(format!("{}/api/users/1", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = client
        .get(format!("{}/does/not/exist", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let response = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let m = Exposition::parse(&response.text().await.unwrap());
    let total = |method: &str, route: &str, status: &str| {
        m.get(
            "http_requests_total",
            &[("method", method), ("route", route), ("status", status)],
        )
    };
    assert_eq!(total("POST", "/api/users", "201"), Some(1.0));
    assert_eq!(total("GET", "/api/users/{user_id}", "200"), Some(3.0));
    assert_eq!(total("GET", "unmatched", "404"), Some(1.0));
    assert_eq!(m.series("http_requests_total").len(), 3);
    m.assert_idle(&[
        ("POST", "/api/users"),
        ("GET", "/api/users/{user_id}"),
        ("GET", "unmatched"),
    ]);
    assert_eq!(
        m.get("users_created_total", &[("source", "api")]),
        Some(1.0)
    );
    assert_eq!(
        m.get(
            "cache_operations_total",
            &[("operation", "get"), ("result", "hit")]
        ),
        Some(2.0)
    );
}

#[tokio::test]
async fn promtool_accepts_the_prometheus_text_output() {
    let metrics = HttpMetrics::builder()
        .const_label("service", "users \"east\"\\n")
        .build()
        .unwrap();
    // Application metrics whose label values need every kind of escaping.
    let tricky: Family<Vec<(String, String)>, Counter> = Family::default();
    metrics
        .register(
            "tricky_events",
            "Events with awkward labels",
            tricky.clone(),
        )
        .unwrap();
    for value in [
        "quote \" here",
        "back\\slash",
        "new\nline",
        "ünïcödé ✓",
        "} # {",
        "",
    ] {
        tricky
            .get_or_create(&vec![("value".to_owned(), value.to_owned())])
            .inc();
    }
    let temperature: Gauge<f64, std::sync::atomic::AtomicU64> = Gauge::default();
    temperature.set(-3.5);
    metrics
        .register("temperature_celsius", "A float gauge", temperature)
        .unwrap();

    let server = serve(&metrics).await;
    let client = reqwest::Client::new();
    client
        .post(format!("{}/api/users", server.base))
        .json(&serde_json::json!({"name": "Ada"}))
        .send()
        .await
        .unwrap();
    client
        .get(format!("{}/api/users/1", server.base))
        .send()
        .await
        .unwrap();
    client
        .post(format!("{}/api/users", server.base))
        .body("{")
        .send()
        .await
        .unwrap();

    let url = format!("{}/metrics", server.base);
    let text = tests::conformance::fetch_text(&client, &url, "text/plain").await;
    let parsed = Exposition::parse(&text);
    assert_eq!(
        parsed.get("tricky_events_total", &[("value", "new\nline")]),
        Some(1.0)
    );

    if let Err(report) = tests::promtool_check(&text) {
        panic!("promtool rejected the output:\n{report}\n---\n{text}");
    }
}
