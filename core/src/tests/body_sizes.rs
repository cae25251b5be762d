//! The body-size histograms.

use super::*;

#[cfg(feature = "body-sizes")]
fn sized_metrics() -> HttpMetrics {
    HttpMetrics::builder()
        .body_sizes(true)
        .body_size_buckets([10.0, 1000.0])
        .exclude_status(418)
        .max_series(3)
        .process_metrics(false)
        .build()
        .unwrap()
}

#[cfg(feature = "body-sizes")]
#[test]
fn body_sizes_are_observed_once_per_request_however_it_ends() {
    let metrics = sized_metrics();
    let route = RouteHandle::resolve(&metrics, "/files");
    let sizes = |method, request: u64, response: u64, status: Option<u16>| {
        let mut active = crate::adapter::ActiveRequest::from(route.start(method));
        let counter = active.guard_mut().unwrap().request_body_counter().unwrap();
        counter.add(request);
        if let Some(status) = status {
            let mut body = active.respond(status);
            body.sent(response as usize);
            body.polled(true);
        }
    };
    sizes(MethodLabel::Put, 5, 20, Some(201));
    sizes(MethodLabel::Put, 2000, 0, Some(201));
    // A response to HEAD sends no body, whatever passed through.
    sizes(MethodLabel::Head, 0, 700, Some(200));
    // Cancelled before its response: what was read, and nothing sent.
    sizes(MethodLabel::Put, 7, 0, None);
    // An excluded status records nothing at all.
    sizes(MethodLabel::Put, 9, 9, Some(418));
    // Past the series cap: into the overflow series, sizes too.
    sizes(MethodLabel::Get, 1, 1, Some(200));
    let put = r#"method="PUT",route="/files",status="201""#;
    let expect = [
        (format!("http_request_size_bytes_count{{{put}}}"), "2"),
        (format!("http_request_size_bytes_sum{{{put}}}"), "2005.0"),
        (
            format!(r#"http_request_size_bytes_bucket{{le="10.0",{put}}}"#),
            "1",
        ),
        (
            format!(r#"http_request_size_bytes_bucket{{le="1000.0",{put}}}"#),
            "1",
        ),
        (
            format!(r#"http_request_size_bytes_bucket{{le="+Inf",{put}}}"#),
            "2",
        ),
        (format!("http_response_size_bytes_sum{{{put}}}"), "20.0"),
        (
            r#"http_response_size_bytes_sum{method="HEAD",route="/files",status="200"}"#.into(),
            "0.0",
        ),
        (
            r#"http_request_size_bytes_sum{method="PUT",route="/files",status="499"}"#.into(),
            "7.0",
        ),
        (
            r#"http_response_size_bytes_count{method="PUT",route="/files",status="499"}"#.into(),
            "1",
        ),
        (
            r#"http_request_size_bytes_sum{otel_metric_overflow="true"}"#.into(),
            "1.0",
        ),
    ];
    let text = text(&metrics);
    for (series, value) in &expect {
        assert_eq!(
            sample(&metrics, series).as_deref(),
            Some(*value),
            "{series}\n{text}"
        );
    }
    assert!(!text.contains("418"), "{text}");
}

#[cfg(feature = "body-sizes")]
#[test]
fn body_size_families_carry_their_unit_in_openmetrics() {
    let open = sized_metrics().encode(Format::OpenMetrics).unwrap();
    assert!(
        open.contains(
            "# TYPE http_response_size_bytes histogram\n# UNIT http_response_size_bytes bytes\n"
        ),
        "{open}"
    );
}

#[test]
fn without_body_sizes_there_is_no_counter_and_no_family() {
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let guard = RouteHandle::resolve(&metrics, "/files")
        .start(MethodLabel::Get)
        .unwrap();
    #[cfg(feature = "body-sizes")]
    assert!(guard.request_body_counter().is_none());
    assert!(!metrics.recorder().body_sizes_enabled());
    guard.finish_with_status(200);
    assert!(!text(&metrics).contains("size_bytes"));
}
