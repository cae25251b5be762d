//! The latency histograms: what they measure, and their exposition.

use super::*;

#[test]
fn histogram_exposition_is_exact() {
    let metrics = HttpMetrics::builder().buckets([0.5, 1.0]).build().unwrap();
    start(&metrics, MethodLabel::Get, Some("/x"))
        .unwrap()
        .finish_with_status(200);
    let out = text(&metrics);
    let series: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("http_request_duration_seconds"))
        .collect();
    let labels = r#"method="GET",route="/x",status="200""#;
    assert_eq!(series.len(), 5, "{out}");
    assert!(series[0].starts_with(&format!("http_request_duration_seconds_sum{{{labels}}} ")));
    assert_eq!(
        series[1],
        format!("http_request_duration_seconds_count{{{labels}}} 1")
    );
    assert_eq!(
        series[2],
        format!("http_request_duration_seconds_bucket{{le=\"0.5\",{labels}}} 1")
    );
    assert_eq!(
        series[3],
        format!("http_request_duration_seconds_bucket{{le=\"1.0\",{labels}}} 1")
    );
    assert_eq!(
        series[4],
        format!("http_request_duration_seconds_bucket{{le=\"+Inf\",{labels}}} 1")
    );
}

#[test]
fn prefix_and_const_labels_apply_to_http_metrics_only() {
    let metrics = HttpMetrics::builder()
        .prefix("shop")
        .const_label("svc", "a\"b")
        .build()
        .unwrap();
    let c = prometheus_client::metrics::counter::Counter::<u64>::default();
    metrics.register("app_events", "Events", c.clone()).unwrap();
    c.inc();
    start(&metrics, MethodLabel::Get, Some("/x"))
        .unwrap()
        .finish_with_status(200);
    let out = text(&metrics);
    assert!(
        out.contains(
            r#"shop_http_requests_total{svc="a\"b",method="GET",route="/x",status="200"} 1"#
        ),
        "{out}"
    );
    assert!(out.contains("\napp_events_total 1\n"), "{out}");
}

#[test]
fn the_duration_ends_at_the_body_by_default_or_at_the_head() {
    use crate::base::test_clock::advance;
    use std::time::Duration;
    let sum = |end| {
        let metrics = HttpMetrics::builder().duration_end(end).build().unwrap();
        let mut guard = start(&metrics, MethodLabel::Get, Some("/s")).unwrap();
        advance(Duration::from_millis(50)); // the handler, to the response head
        guard.set_status(200);
        advance(Duration::from_millis(200)); // the body
        guard.finish();
        let series = r#"http_request_duration_seconds_sum{method="GET",route="/s",status="200"}"#;
        sample(&metrics, series).unwrap()
    };
    assert_eq!(sum(crate::DurationEnd::Body), "0.25");
    assert_eq!(sum(crate::DurationEnd::Head), "0.05");
}

#[test]
fn both_durations_at_once_under_the_same_labels() {
    use crate::base::test_clock::advance;
    use std::time::Duration;
    let metrics = HttpMetrics::builder()
        .duration_end(crate::DurationEnd::Both)
        .build()
        .unwrap();
    let mut guard = start(&metrics, MethodLabel::Get, Some("/s")).unwrap();
    advance(Duration::from_millis(50));
    guard.set_status(200);
    advance(Duration::from_millis(10));
    guard.set_status(200); // a second head-time call records nothing more
    advance(Duration::from_millis(190));
    guard.finish();
    // Dropped before its head: in the body histogram (as 499) only.
    let cancelled = start(&metrics, MethodLabel::Get, Some("/s")).unwrap();
    advance(Duration::from_millis(30));
    drop(cancelled);
    let labels = r#"{method="GET",route="/s",status="200"}"#;
    let get = |name: &str| sample(&metrics, &format!("{name}{labels}"));
    assert_eq!(
        get("http_request_duration_seconds_sum").as_deref(),
        Some("0.25")
    );
    assert_eq!(
        get("http_request_head_duration_seconds_sum").as_deref(),
        Some("0.05")
    );
    assert_eq!(
        get("http_request_head_duration_seconds_count").as_deref(),
        Some("1")
    );
    let cancelled = r#"{method="GET",route="/s",status="499"}"#;
    assert_eq!(
        sample(
            &metrics,
            &format!("http_request_duration_seconds_count{cancelled}")
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(
            &metrics,
            &format!("http_request_head_duration_seconds_count{cancelled}")
        ),
        None,
        "a request without a head has no head duration"
    );
    // Off by default: no such family.
    let plain = HttpMetrics::new()
        .encode(crate::Format::Prometheus)
        .unwrap();
    assert!(!plain.contains("head_duration"), "{plain}");
}
