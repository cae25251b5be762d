//! Recording: each request counted once, in flight until it ends, whatever the ending.

use super::*;

#[test]
fn a_finished_request_is_counted_once_and_leaves_in_flight() {
    let metrics = HttpMetrics::new();
    let route = RouteHandle::resolve(&metrics, "/users/{id}");
    let mut guard = route.start(MethodLabel::Get).unwrap();
    assert_eq!(
        sample(
            &metrics,
            r#"http_requests_in_flight{method="GET",route="/users/{id}"}"#
        )
        .as_deref(),
        Some("1")
    );
    guard.set_status(404);
    guard.finish();
    let labels = r#"{method="GET",route="/users/{id}",status="404"}"#;
    assert_eq!(
        sample(&metrics, &format!("http_requests_total{labels}")).as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(
            &metrics,
            &format!("http_request_duration_seconds_count{labels}")
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(
            &metrics,
            r#"http_requests_in_flight{method="GET",route="/users/{id}"}"#
        )
        .as_deref(),
        Some("0")
    );
}

#[test]
fn a_dropped_guard_without_status_is_cancelled_and_with_status_keeps_it() {
    let metrics = HttpMetrics::new();
    drop(start(&metrics, MethodLabel::Post, Some("/a")));
    let mut guard = start(&metrics, MethodLabel::Post, Some("/a")).unwrap();
    guard.set_status(200);
    drop(guard);
    assert_eq!(
        sample(
            &metrics,
            r#"http_requests_total{method="POST",route="/a",status="499"}"#
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(
            &metrics,
            r#"http_requests_total{method="POST",route="/a",status="200"}"#
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(
            &metrics,
            r#"http_requests_in_flight{method="POST",route="/a"}"#
        )
        .as_deref(),
        Some("0")
    );
}

#[test]
fn a_guard_dropped_by_a_panic_is_a_500() {
    let metrics = HttpMetrics::new();
    let m = metrics.clone();
    let result = std::thread::spawn(move || {
        let _guard = start(&m, MethodLabel::Get, Some("/boom"));
        panic!("handler panicked");
    })
    .join();
    assert!(result.is_err());
    assert_eq!(
        sample(
            &metrics,
            r#"http_requests_total{method="GET",route="/boom",status="500"}"#
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(
            &metrics,
            r#"http_requests_in_flight{method="GET",route="/boom"}"#
        )
        .as_deref(),
        Some("0")
    );
}

#[test]
fn error_outcome_and_unmatched_and_other_method() {
    let metrics = HttpMetrics::new();
    start(&metrics, MethodLabel::from_token("BREW"), None)
        .unwrap()
        .finish_error();
    assert_eq!(
        sample(
            &metrics,
            r#"http_requests_total{method="_OTHER",route="unmatched",status="500"}"#
        )
        .as_deref(),
        Some("1")
    );
}

#[test]
fn excluded_routes_record_nothing() {
    let metrics = HttpMetrics::builder()
        .exclude_route("/health")
        .build()
        .unwrap();
    assert!(start(&metrics, MethodLabel::Get, Some("/health")).is_none());
    assert!(start(&metrics, MethodLabel::Get, Some("/metrics")).is_none());
    assert!(!text(&metrics).contains("/health"));
    let counted = HttpMetrics::builder()
        .count_metrics_path(true)
        .build()
        .unwrap();
    assert!(start(&counted, MethodLabel::Get, Some("/metrics")).is_some());
}

#[test]
fn status_classes_share_a_series() {
    let metrics = HttpMetrics::builder()
        .status_label(StatusLabel::Class)
        .build()
        .unwrap();
    for code in [200, 201, 204, 404] {
        start(&metrics, MethodLabel::Get, Some("/x"))
            .unwrap()
            .finish_with_status(code);
    }
    let out = text(&metrics);
    assert!(
        out.contains(r#"http_requests_total{method="GET",route="/x",status="2xx"} 3"#),
        "{out}"
    );
    assert!(
        out.contains(r#"http_requests_total{method="GET",route="/x",status="4xx"} 1"#),
        "{out}"
    );
}

#[test]
fn concurrent_requests_are_counted_exactly() {
    let metrics = HttpMetrics::new();
    let route = RouteHandle::resolve(&metrics, "/hot");
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for i in 0..10_000u32 {
                    let status = if i % 10 == 0 { 500 } else { 200 };
                    route
                        .start(MethodLabel::Get)
                        .unwrap()
                        .finish_with_status(status);
                }
            });
        }
    });
    assert_eq!(
        sample(
            &metrics,
            r#"http_requests_total{method="GET",route="/hot",status="200"}"#
        )
        .as_deref(),
        Some("36000")
    );
    assert_eq!(
        sample(
            &metrics,
            r#"http_requests_total{method="GET",route="/hot",status="500"}"#
        )
        .as_deref(),
        Some("4000")
    );
    assert_eq!(
        sample(
            &metrics,
            r#"http_requests_in_flight{method="GET",route="/hot"}"#
        )
        .as_deref(),
        Some("0")
    );
}

#[test]
fn a_rerouted_request_moves_to_its_final_route_and_is_counted_there() {
    let metrics = HttpMetrics::builder()
        .exclude_route("/hidden")
        .build()
        .unwrap();
    let in_flight = |route: &str| {
        sample(
            &metrics,
            &format!(r#"http_requests_in_flight{{method="GET",route="{route}"}}"#),
        )
    };
    let mut guard = start(&metrics, MethodLabel::Get, Some("/a/{x}")).unwrap();
    assert_eq!(in_flight("/a/{x}").as_deref(), Some("1"));
    guard.set_route(&RouteHandle::resolve(&metrics, "/a/{y}"));
    assert_eq!(guard.route(), "/a/{y}");
    assert_eq!(in_flight("/a/{x}").as_deref(), Some("0"));
    assert_eq!(in_flight("/a/{y}").as_deref(), Some("1"));
    guard.finish_with_status(200);
    assert_eq!(in_flight("/a/{y}").as_deref(), Some("0"));

    // Moved to an excluded route: out of the gauge at once, and recorded nowhere...
    let mut hidden = start(&metrics, MethodLabel::Get, Some("/a/{x}")).unwrap();
    hidden.set_route(&RouteHandle::resolve(&metrics, "/hidden"));
    assert!(hidden.is_excluded());
    assert_eq!(in_flight("/a/{x}").as_deref(), Some("0"));
    hidden.finish_with_status(200);
    // ...unless moved on to a recorded route, where it is in flight and recorded.
    let hidden = RouteHandle::resolve(&metrics, "/hidden");
    let mut routed_away = hidden.start_before_routing(MethodLabel::Get);
    assert_eq!(in_flight("/a/{x}").as_deref(), Some("0"));
    routed_away.set_route(&RouteHandle::resolve(&metrics, "/a/{x}"));
    assert_eq!(in_flight("/a/{x}").as_deref(), Some("1"));
    routed_away.finish_with_status(200);
    assert_eq!(in_flight("/a/{x}").as_deref(), Some("0"));
    // A discarded request leaves the gauge and is not recorded.
    start(&metrics, MethodLabel::Get, Some("/a/{x}"))
        .unwrap()
        .discard();
    assert_eq!(in_flight("/a/{x}").as_deref(), Some("0"));

    let out = text(&metrics);
    assert!(
        out.contains(r#"http_requests_total{method="GET",route="/a/{y}",status="200"} 1"#),
        "{out}"
    );
    assert!(
        out.contains(r#"http_requests_total{method="GET",route="/a/{x}",status="200"} 1"#),
        "{out}"
    );
    assert!(!out.contains("/hidden"), "{out}");
}

#[test]
fn series_past_the_cap_fold_into_one_overflow_series() {
    let metrics = HttpMetrics::builder().max_series(2).build().unwrap();
    for code in [200, 201, 202, 203, 200] {
        start(&metrics, MethodLabel::Get, Some("/x"))
            .unwrap()
            .finish_with_status(code);
    }
    let out = text(&metrics);
    assert!(
        out.contains(r#"http_requests_total{method="GET",route="/x",status="200"} 2"#),
        "{out}"
    );
    assert!(
        out.contains(r#"http_requests_total{method="GET",route="/x",status="201"} 1"#),
        "{out}"
    );
    assert!(!out.contains(r#"status="202""#), "{out}");
    assert!(
        out.contains("http_requests_total{otel_metric_overflow=\"true\"} 2\n"),
        "{out}"
    );
    assert!(
        out.contains("http_request_duration_seconds_count{otel_metric_overflow=\"true\"} 2\n"),
        "{out}"
    );
    assert!(
        out.contains("metrics_series_folded_total{metric=\"http_requests\"} 2\n"),
        "{out}"
    );
    let fresh = text(&HttpMetrics::new());
    assert!(
        fresh.contains("metrics_series_folded_total{metric=\"http_requests\"} 0\n"),
        "{fresh}"
    );
}

#[test]
fn a_request_that_ends_on_another_thread_leaves_the_gauge_it_entered() {
    use std::sync::mpsc;
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let route = RouteHandle::resolve(&metrics, "/moves");
    let in_flight = |metrics: &HttpMetrics| {
        sample(
            metrics,
            r#"http_requests_in_flight{method="GET",route="/moves"}"#,
        )
        .map(|v| v.parse::<i64>().unwrap())
    };
    const REQUESTS: usize = 20_000;
    let (tx, rx) = mpsc::sync_channel::<RequestGuard>(64);
    std::thread::scope(|s| {
        // Requests start on one thread and end on another, as a request may on a
        // work-stealing runtime, while scrapes read the gauge.
        let route = &route;
        s.spawn(move || {
            for _ in 0..REQUESTS {
                tx.send(route.start(MethodLabel::Get).unwrap()).unwrap();
            }
        });
        let ender = s.spawn(move || {
            for guard in rx {
                guard.finish_with_status(200);
            }
        });
        while !ender.is_finished() {
            let n = in_flight(&metrics).unwrap_or(0);
            assert!((0..=66).contains(&n), "in flight: {n}");
        }
    });
    assert_eq!(in_flight(&metrics), Some(0));
    assert_eq!(
        sample(
            &metrics,
            r#"http_requests_total{method="GET",route="/moves",status="200"}"#
        )
        .as_deref(),
        Some("20000")
    );
}
