//! `orders-axum` and `orders-actix`: exact business metrics, and the same series on both.

use http_metrics_core::HttpMetrics;
use tests::{conformance, servers, Exposition};

const JSON: &str = "application/json";

async fn send(
    client: &reqwest::Client,
    method: &str,
    url: String,
    body: &str,
) -> (u16, serde_json::Value) {
    let response = client
        .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url)
        .header("content-type", JSON)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

async fn drive(client: &reqwest::Client, server: &servers::Server) {
    let orders = [
        (r#"{"total": 5, "payment_method": "card"}"#, 201),
        (r#"{"total": 99.5, "payment_method": "paypal"}"#, 201),
        (r#"{"total": 100, "payment_method": "card"}"#, 201),
        (r#"{"total": 6000, "payment_method": "bitcoin"}"#, 201),
        (r#"{"total": -1, "payment_method": "card"}"#, 422),
        (r#"{"total": "12", "payment_method": "card"}"#, 422),
        (r#"{"payment_method": "card"}"#, 422),
        (r#"{"total": 5, "payment_method": ""}"#, 422),
        (r#"{"total": 5,"#, 400),
    ];
    for (i, (body, status)) in orders.iter().enumerate() {
        let (got, answer) = send(client, "POST", server.url("/api/orders"), body).await;
        assert_eq!(got, *status, "{} {body}", server.base);
        if *status == 201 {
            assert_eq!(
                answer,
                serde_json::json!({"order_id": format!("ord_{}", i + 1), "status": "completed"})
            );
        } else {
            assert!(answer["error"].is_string(), "{answer}");
        }
    }
    let inventory = [
        ("/api/inventory/sku-1?quantity=12", 200),
        ("/api/inventory/sku-1?quantity=7&warehouse=east", 200),
        ("/api/inventory/sku-1?quantity=-3", 422),
        ("/api/inventory/sku-1?quantity=many", 400),
        ("/api/inventory/sku-1?warehouse=east", 400),
        ("/api/inventory/sku-1?quantity=1&warehouse=no%20spaces", 422),
        ("/api/inventory/sku-2?quantity=0", 200),
    ];
    for (path, status) in inventory {
        assert_eq!(
            send(client, "PUT", server.url(path), "").await.0,
            status,
            "{} {path}",
            server.base
        );
    }
    let (status, answer) = send(
        client,
        "PUT",
        server.url("/api/inventory/sku-2?quantity=40"),
        "",
    )
    .await;
    assert_eq!(
        (status, answer),
        (
            200,
            serde_json::json!({"product_id": "sku-2", "warehouse": "main", "quantity": 40})
        )
    );
    assert_eq!(send(client, "GET", server.url("/health"), "").await.0, 200);
}

fn check(framework: &str, m: &Exposition) {
    let orders = |method| {
        m.get(
            "orders_total",
            &[("status", "completed"), ("payment_method", method)],
        )
    };
    assert_eq!(
        (orders("card"), orders("paypal"), orders("other")),
        (Some(2.0), Some(1.0), Some(1.0)),
        "{framework}"
    );
    let bucket = |le| m.get("order_value_dollars_bucket", &[("le", le)]);
    let expected = [
        ("10.0", 1.0),
        ("25.0", 1.0),
        ("50.0", 1.0),
        ("100.0", 3.0),
        ("250.0", 3.0),
        ("5000.0", 3.0),
        ("+Inf", 4.0),
    ];
    for (le, count) in expected {
        assert_eq!(bucket(le), Some(count), "{framework} le={le}");
    }
    assert_eq!(
        m.get("order_value_dollars_sum", &[]),
        Some(6204.5),
        "{framework}"
    );
    let level = |product, warehouse| {
        m.get(
            "inventory_level",
            &[("product_id", product), ("warehouse", warehouse)],
        )
    };
    assert_eq!(
        level("sku-1", "main"),
        Some(12.0),
        "{framework}: kept through the refused updates"
    );
    assert_eq!(level("sku-1", "east"), Some(7.0), "{framework}");
    assert_eq!(level("sku-2", "main"), Some(40.0), "{framework}");
    assert_eq!(m.series("inventory_level").len(), 3, "{framework}");
    assert_eq!(
        m.get(
            "orders_service_info",
            &[
                ("version", env!("CARGO_PKG_VERSION")),
                ("environment", "test")
            ]
        ),
        Some(1.0),
        "{framework}"
    );
    let total = |method, route, status| {
        m.get(
            "http_requests_total",
            &[("method", method), ("route", route), ("status", status)],
        )
    };
    assert_eq!(
        total("POST", "/api/orders", "201"),
        Some(4.0),
        "{framework}"
    );
    assert_eq!(
        total("POST", "/api/orders", "422"),
        Some(4.0),
        "{framework}"
    );
    assert_eq!(
        total("POST", "/api/orders", "400"),
        Some(1.0),
        "{framework}"
    );
    assert_eq!(
        total("PUT", "/api/inventory/{product_id}", "200"),
        Some(4.0),
        "{framework}"
    );
    assert_eq!(
        total("PUT", "/api/inventory/{product_id}", "422"),
        Some(2.0),
        "{framework}"
    );
    assert_eq!(
        total("PUT", "/api/inventory/{product_id}", "400"),
        Some(2.0),
        "{framework}"
    );
    assert_eq!(total("GET", "/health", "200"), Some(1.0), "{framework}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_on_axum_and_actix_record_the_same_business_metrics() {
    let client = reqwest::Client::new();
    let axum_metrics = HttpMetrics::new();
    let axum = servers::axum(examples::orders::axum::router(&axum_metrics, "test")).await;
    let actix_metrics = HttpMetrics::new();
    let actix = servers::orders_actix(&actix_metrics, "test", 2);
    drive(&client, &axum).await;
    drive(&client, &actix).await;
    let [(_, axum_m), (_, actix_m)] =
        conformance::scrape_alike(&client, &axum.base, &actix.base).await;
    check("axum", &axum_m);
    check("actix", &actix_m);
}
