//! The README's actix-web lines, exactly, on the process-wide default metrics, configured once
//! at start-up with `install()`. (A file of its own: the default is per process.)

use actix_metrics::{metrics_service, ConfigError, HttpMetrics, Metrics};
use actix_web::{web, App, HttpResponse};
use tests::Exposition;

#[actix_web::test]
async fn installed_options_apply_to_the_no_argument_constructors() {
    let installed = HttpMetrics::builder().prefix("shop").install().unwrap();
    assert!(std::ptr::eq(installed, HttpMetrics::global()));
    let again = HttpMetrics::builder().install();
    assert_eq!(again.unwrap_err(), ConfigError::GlobalInUse);

    let app = actix_web::test::init_service(
        App::new()
            .wrap(Metrics::new())
            .service(metrics_service())
            .route("/api/users/{user_id}", web::get().to(HttpResponse::Ok)),
    )
    .await;
    for uri in ["/api/users/7", "/api/users/8", "/nowhere"] {
        let request = actix_web::test::TestRequest::get().uri(uri).to_request();
        actix_web::test::call_service(&app, request).await;
    }
    let request = actix_web::test::TestRequest::get()
        .uri("/metrics")
        .to_request();
    let body = actix_web::test::call_and_read_body(&app, request).await;
    let text = String::from_utf8(body.to_vec()).unwrap();
    let m = Exposition::parse(&text);
    let labels = [
        ("method", "GET"),
        ("route", "/api/users/{user_id}"),
        ("status", "200"),
    ];
    assert_eq!(
        m.get("shop_http_requests_total", &labels),
        Some(2.0),
        "{text}"
    );
    let count = m.get("shop_http_request_duration_seconds_count", &labels);
    assert_eq!(count, Some(2.0), "{text}");
    let unmatched = [("method", "GET"), ("route", "unmatched"), ("status", "404")];
    assert_eq!(
        m.get("shop_http_requests_total", &unmatched),
        Some(1.0),
        "{text}"
    );
    let in_flight = [("method", "GET"), ("route", "/api/users/{user_id}")];
    assert_eq!(
        m.get("shop_http_requests_in_flight", &in_flight),
        Some(0.0),
        "{text}"
    );
    assert!(
        !text.contains("\nhttp_requests_total"),
        "only the prefixed names: {text}"
    );
}
