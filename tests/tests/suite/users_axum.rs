//! The users example on axum: business behaviour and the exact metrics it leaves behind.

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use http_body_util::BodyExt;
use http_metrics_core::HttpMetrics;
use serde_json::{json, Value};
use tests::Exposition;
use tower::ServiceExt;

async fn call(app: &Router, method: &str, uri: &str, ct: Option<&str>, body: &str) -> (u16, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(ct) = ct {
        request = request.header("content-type", ct);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = if uri == "/metrics" {
        Value::String(String::from_utf8(bytes.to_vec()).unwrap())
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    (status, value)
}

async fn post_user(app: &Router, body: &str) -> (u16, Value) {
    call(app, "POST", "/api/users", Some("application/json"), body).await
}

async fn scrape(app: &Router) -> Exposition {
    let (status, text) = call(app, "GET", "/metrics", None, "").await;
    assert_eq!(status, 200);
    Exposition::parse(text.as_str().unwrap())
}

fn http(method: &str, route: &str, status: &str) -> [(&'static str, String); 3] {
    [
        ("method", method.into()),
        ("route", route.into()),
        ("status", status.into()),
    ]
}

fn total(m: &Exposition, labels: [(&'static str, String); 3]) -> Option<f64> {
    let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
    m.get("http_requests_total", &labels)
}

#[tokio::test]
async fn create_then_read_through_the_cache() {
    let metrics = HttpMetrics::new();
    let app = examples::users::axum::router(&metrics);

    let (status, user) = post_user(&app, r#"{"name": "Ada"}"#).await;
    assert_eq!(status, 201);
    assert_eq!(user, json!({"id": "1", "name": "Ada", "source": "web"}));
    let (status, user) = post_user(&app, r#"{"name": "Grace", "source": "mobile"}"#).await;
    assert_eq!((status, &user["id"]), (201, &json!("2")));

    assert_eq!(
        call(&app, "GET", "/api/users/1", None, "").await,
        (200, json!({"id": "1", "name": "Ada", "source": "web"}))
    );
    assert_eq!(call(&app, "GET", "/api/users/1", None, "").await.0, 200);
    assert_eq!(
        call(&app, "GET", "/api/users/99", None, "").await,
        (404, json!({"error": "user not found"}))
    );
    assert_eq!(
        call(&app, "GET", "/health", None, "").await,
        (200, json!({"status": "healthy"}))
    );

    let m = scrape(&app).await;
    assert_eq!(
        m.get("users_created_total", &[("source", "web")]),
        Some(1.0)
    );
    assert_eq!(
        m.get("users_created_total", &[("source", "mobile")]),
        Some(1.0)
    );
    let cache = |op, result| {
        m.get(
            "cache_operations_total",
            &[("operation", op), ("result", result)],
        )
    };
    assert_eq!(cache("get", "miss"), Some(2.0), "first read of 1, and 99");
    assert_eq!(cache("get", "hit"), Some(1.0));
    assert_eq!(cache("set", "success"), Some(1.0));
    let db = |name: &str, op, le: Option<&str>| {
        let mut labels = vec![("operation", op), ("table", "users")];
        if let Some(le) = le {
            labels.insert(0, ("le", le));
        }
        m.get(name, &labels)
    };
    assert_eq!(
        db("db_query_latency_seconds_count", "INSERT", None),
        Some(2.0)
    );
    assert_eq!(
        db("db_query_latency_seconds_count", "SELECT", None),
        Some(2.0)
    );
    // Inserts sleep 50 ms and selects 20 ms: never in a bucket below that.
    assert_eq!(
        db("db_query_latency_seconds_bucket", "INSERT", Some("0.025")),
        Some(0.0)
    );
    assert_eq!(
        db("db_query_latency_seconds_bucket", "SELECT", Some("0.01")),
        Some(0.0)
    );
    assert_eq!(m.types["db_query_latency_seconds"], "histogram");

    assert_eq!(total(&m, http("POST", "/api/users", "201")), Some(2.0));
    assert_eq!(
        total(&m, http("GET", "/api/users/{user_id}", "200")),
        Some(2.0)
    );
    assert_eq!(
        total(&m, http("GET", "/api/users/{user_id}", "404")),
        Some(1.0)
    );
    assert_eq!(total(&m, http("GET", "/health", "200")), Some(1.0));
    assert_eq!(m.series("http_requests_total").len(), 4);
}

#[tokio::test]
async fn bad_input_is_a_4xx_with_a_json_error_and_is_counted() {
    let metrics = HttpMetrics::new();
    let app = examples::users::axum::router(&metrics);
    let cases: [(Option<&str>, &str, u16); 8] = [
        (Some("application/json"), "{not json", 400),
        (Some("application/json"), "", 400),
        (Some("application/json"), r#"{"source": "web"}"#, 422),
        (Some("application/json"), r#"{"name": 42}"#, 422),
        (Some("application/json"), r#"{"name": "   "}"#, 422),
        (Some("application/json"), r#"[1, 2]"#, 422),
        (Some("text/plain"), r#"{"name": "Ada"}"#, 415),
        (None, r#"{"name": "Ada"}"#, 415),
    ];
    for (ct, body, expected) in cases {
        let (status, error) = call(&app, "POST", "/api/users", ct, body).await;
        assert_eq!(status, expected, "{ct:?} {body:?}");
        assert!(
            error["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{error}"
        );
    }
    let too_big = format!(r#"{{"name": "{}"}}"#, "x".repeat(70_000));
    assert_eq!(post_user(&app, &too_big).await.0, 413);

    let m = scrape(&app).await;
    assert_eq!(total(&m, http("POST", "/api/users", "400")), Some(2.0));
    assert_eq!(total(&m, http("POST", "/api/users", "422")), Some(4.0));
    assert_eq!(total(&m, http("POST", "/api/users", "415")), Some(2.0));
    assert_eq!(total(&m, http("POST", "/api/users", "413")), Some(1.0));
    assert!(
        m.series("users_created_total").is_empty(),
        "nothing was created"
    );
    assert_eq!(
        m.get(
            "db_query_latency_seconds_count",
            &[("operation", "INSERT"), ("table", "users")]
        ),
        None
    );
}

#[tokio::test]
async fn hostile_sources_are_kept_on_the_user_but_not_in_labels() {
    let metrics = HttpMetrics::new();
    let app = examples::users::axum::router(&metrics);
    let hostile = "evil\"}\n# EOF\\ ünïcode";
    let body = json!({"name": "Mallory", "source": hostile}).to_string();
    let (status, user) = post_user(&app, &body).await;
    assert_eq!(status, 201);
    assert_eq!(user["source"], hostile);
    let m = scrape(&app).await;
    assert_eq!(m.label_values("users_created_total", "source"), ["other"]);
}
