//! Behaviour of the recording path as seen through the exposition.

use crate::adapter::RequestGuard;
use crate::{Format, HttpMetrics, MethodLabel, RouteHandle, StatusLabel};

/// Starts a request on `route` (`None`: unmatched), as an adapter does.
fn start(metrics: &HttpMetrics, method: MethodLabel, route: Option<&str>) -> Option<RequestGuard> {
    match route {
        Some(template) => RouteHandle::resolve(metrics, template).start(method),
        None => RouteHandle::unmatched(metrics).start(method),
    }
}

fn text(metrics: &HttpMetrics) -> String {
    metrics.encode(Format::Prometheus).unwrap()
}

fn sample(metrics: &HttpMetrics, series: &str) -> Option<String> {
    text(metrics).lines().find_map(|line| {
        line.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .map(str::to_owned)
    })
}

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

#[cfg(feature = "exemplars")]
/// The same requests into metrics built by `build`, with and without exemplars (none
/// recorded): the OpenMetrics text, as sorted lines, of each.
fn with_and_without_exemplars(
    build: impl Fn() -> crate::HttpMetricsBuilder,
) -> (Vec<String>, Vec<String>) {
    use crate::base::test_clock::advance;
    use std::time::Duration;
    let run = |metrics: &HttpMetrics| {
        for (route, status, millis) in [
            (Some("/a/{id}"), 200, 3),
            (Some("/a/{id}"), 200, 70),
            (Some("/q\"uote\\d"), 503, 1200),
            (None, 404, 1),
            (Some("/b"), 201, 20_000),
        ] {
            let mut guard = start(metrics, MethodLabel::Get, route).unwrap();
            guard.set_request_label(Some(b"acme"));
            advance(Duration::from_millis(millis));
            guard.set_status(status);
            advance(Duration::from_millis(1));
            guard.finish();
        }
    };
    // Each family's block, its lines in order; the blocks sorted (the direct families come
    // after the registry's).
    let lines = |metrics: &HttpMetrics| {
        let text = metrics.encode(Format::OpenMetrics).unwrap();
        let mut blocks: Vec<String> = Vec::new();
        for line in text.lines().filter(|l| *l != "# EOF") {
            if line.starts_with("# HELP ") || blocks.is_empty() {
                blocks.push(String::new());
            }
            let block = blocks.last_mut().unwrap();
            block.push_str(line);
            block.push('\n');
        }
        blocks.sort();
        blocks
    };
    let plain = build().build().unwrap();
    let exemplars = build()
        .exemplars(crate::Exemplars::traceparent())
        .build()
        .unwrap();
    run(&plain);
    run(&exemplars);
    (lines(&plain), lines(&exemplars))
}

#[cfg(feature = "exemplars")]
#[test]
fn the_direct_encoding_is_prometheus_clients_line_for_line() {
    let builders: [fn() -> crate::HttpMetricsBuilder; 3] = [
        || HttpMetrics::builder().process_metrics(false),
        || {
            HttpMetrics::builder()
                .process_metrics(false)
                .prefix("shop")
                .const_label("region", "e\"u")
                .duration_end(crate::DurationEnd::Both)
                .request_label(crate::RequestLabel::header("x-tenant", "tenant").allow(["acme"]))
        },
        || {
            HttpMetrics::builder()
                .process_metrics(false)
                .naming(crate::Naming::opentelemetry())
                .max_series(2)
                .status_label(crate::StatusLabel::Class)
        },
    ];
    for build in builders {
        let (plain, exemplars) = with_and_without_exemplars(build);
        assert_eq!(plain, exemplars);
        assert!(plain.concat().lines().count() > 40, "{plain:#?}");
    }
}

#[cfg(feature = "exemplars")]
#[test]
fn exemplars_carry_the_last_trace_of_each_bucket_and_of_the_counter() {
    use crate::base::test_clock::advance;
    use std::time::Duration;
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .exemplars(crate::Exemplars::traceparent())
        .build()
        .unwrap();
    let route = RouteHandle::resolve(&metrics, "/pay");
    let traces = [
        &b"00-11111111111111111111111111111111-1111111111111111-01"[..],
        b"00-22222222222222222222222222222222-2222222222222222-01",
        b"00-not-a-trace",
    ];
    for trace in traces {
        let mut guard = route.start(MethodLabel::Post).unwrap();
        guard.set_trace(Some(trace));
        advance(Duration::from_millis(3));
        guard.finish_with_status(200);
    }
    let text = metrics.encode(Format::OpenMetrics).unwrap();
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} in\n{text}"))
            .to_owned()
    };
    let labels = r#"{method="POST",route="/pay",status="200"}"#;
    // The third request, with a malformed header, is counted but leaves the second's
    // exemplar in place.
    let counter = line(&format!("http_requests_total{labels} 3 # "));
    assert!(
        counter.contains(
            r#"# {trace_id="22222222222222222222222222222222",span_id="2222222222222222"} 1 "#
        ),
        "{counter}"
    );
    let bucket = line(r#"http_request_duration_seconds_bucket{le="0.005",method="POST""#);
    assert!(
        bucket.contains(r#"} 3 # {trace_id="22222222222222222222222222222222",span_id="2222222222222222"} 0.003 "#),
        "{bucket}"
    );
    let empty = line(r#"http_request_duration_seconds_bucket{le="0.01",method="POST""#);
    assert!(
        !empty.contains(" # "),
        "the bucket of no request has no exemplar: {empty}"
    );
    // A valid exposition (prometheus-client's own parser is not at hand; promtool checks it
    // in the tests crate).
    assert!(text.ends_with("# EOF\n"));
}

#[cfg(feature = "exemplars")]
#[test]
fn exemplars_from_a_function_take_its_trace_and_ignore_the_header() {
    use std::sync::atomic::{AtomicU8, Ordering};
    use std::sync::Arc;
    // The "current span" of a tracing library: set by the test, read per request.
    let current = Arc::new(AtomicU8::new(0));
    let span = current.clone();
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .buckets([1.0])
        .exemplars(crate::Exemplars::from_fn(move || {
            match span.load(Ordering::Relaxed) {
                0 => None,
                n => Some(crate::TraceContext {
                    trace_id: [n; 16],
                    span_id: [n; 8],
                }),
            }
        }))
        .build()
        .unwrap();
    let route = RouteHandle::resolve(&metrics, "/f");
    let header = &b"00-11111111111111111111111111111111-1111111111111111-01"[..];
    for (span, traceparent) in [(0xab, None), (0, Some(header))] {
        current.store(span, Ordering::Relaxed);
        let mut guard = route.start(MethodLabel::Get).unwrap();
        guard.set_trace(traceparent);
        guard.finish_with_status(200);
    }
    let text = metrics.encode(Format::OpenMetrics).unwrap();
    let counter = text
        .lines()
        .find(|l| l.starts_with("http_requests_total{"))
        .unwrap();
    // The function's trace; the header of the second request, whose function gave none,
    // is not read.
    assert!(
        counter.starts_with(
            r#"http_requests_total{method="GET",route="/f",status="200"} 2 # {trace_id="abababababababababababababababab",span_id="abababababababab"} 1 "#
        ),
        "{counter}"
    );
}

#[cfg(feature = "body-sizes")]
#[test]
fn body_sizes_are_observed_once_per_request_however_it_ends() {
    let metrics = HttpMetrics::builder()
        .body_sizes(true)
        .body_size_buckets([10.0, 1000.0])
        .exclude_status(418)
        .max_series(3)
        .process_metrics(false)
        .build()
        .unwrap();
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
    let open = metrics.encode(Format::OpenMetrics).unwrap();
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

#[cfg(feature = "native-histograms")]
mod protobuf {
    use std::time::Duration;

    use prost::Message as _;

    use super::*;
    use crate::exposition::protobuf::{MetricFamily, MetricType};
    use crate::NativeHistograms;

    /// Decodes a protobuf `/metrics` body.
    fn families(metrics: &HttpMetrics) -> Vec<MetricFamily> {
        let body = metrics.encode_to_vec(Format::Protobuf).unwrap();
        let mut buf = &body[..];
        let mut out = Vec::new();
        while !buf.is_empty() {
            out.push(MetricFamily::decode_length_delimited(&mut buf).unwrap());
        }
        out
    }

    fn family<'a>(families: &'a [MetricFamily], name: &str) -> &'a MetricFamily {
        families
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no {name} in {families:#?}"))
    }

    fn labels(metric: &crate::exposition::protobuf::Metric) -> Vec<(&str, &str)> {
        metric
            .label
            .iter()
            .map(|l| (l.name.as_str(), l.value.as_str()))
            .collect()
    }

    #[test]
    fn the_latency_histogram_carries_native_buckets_beside_the_classic_ones() {
        let metrics = HttpMetrics::builder()
            .buckets([0.1, 1.0])
            .native_histograms(NativeHistograms::new().with_schema(0))
            .process_metrics(false)
            .build()
            .unwrap();
        let route = RouteHandle::resolve(&metrics, "/x");
        // Schema 0: key k holds (2^(k-1), 2^k] seconds.
        for (millis, times) in [(100, 2), (300, 1), (400, 3), (3_000, 1)] {
            for _ in 0..times {
                route.record(MethodLabel::Get, 200, Duration::from_millis(millis));
            }
        }
        route.record(MethodLabel::Get, 200, Duration::ZERO);
        let families = families(&metrics);
        let duration = family(&families, "http_request_duration_seconds");
        assert_eq!(duration.r#type, MetricType::Histogram as i32);
        assert_eq!(duration.unit, "seconds");
        assert_eq!(duration.metric.len(), 1);
        let series = &duration.metric[0];
        assert_eq!(
            labels(series),
            [("method", "GET"), ("route", "/x"), ("status", "200")]
        );
        let h = series.histogram.as_ref().unwrap();
        assert_eq!(h.sample_count, 8);
        assert!((h.sample_sum - 4.7).abs() < 1e-9, "{}", h.sample_sum);
        assert_eq!(h.schema, 0);
        assert_eq!(h.zero_threshold, 2.938735877055719e-39);
        assert_eq!(h.zero_count, 1);
        // 0.1 s is key -3 ((0.0625, 0.125]), 0.3 and 0.4 key -1, 3 s key 2: keys -3..=-1 in
        // one span (with -2 empty), then 2 after a gap of two empty keys.
        let spans: Vec<_> = h
            .positive_span
            .iter()
            .map(|s| (s.offset, s.length))
            .collect();
        assert_eq!(spans, [(-3, 6)]);
        assert_eq!(h.positive_delta, [2, -2, 4, -4, 0, 1]);
        assert!(h.negative_span.is_empty());
        let classic: Vec<_> = h
            .bucket
            .iter()
            .map(|b| (b.upper_bound, b.cumulative_count))
            .collect();
        assert_eq!(classic, [(0.1, 3), (1.0, 7), (f64::INFINITY, 8)]);
        // The counter and the in-flight gauge are there too.
        let requests = family(&families, "http_requests_total");
        assert_eq!(requests.r#type, MetricType::Counter as i32);
        assert_eq!(requests.metric[0].counter.as_ref().unwrap().value, 8.0);
        let in_flight = family(&families, "http_requests_in_flight");
        assert_eq!(in_flight.r#type, MetricType::Gauge as i32);
    }

    #[test]
    fn without_classic_buckets_only_native_ones_and_text_shows_inf_only() {
        let metrics = HttpMetrics::builder()
            .native_histograms(NativeHistograms::new().classic_buckets(false))
            .build()
            .unwrap();
        let route = RouteHandle::resolve(&metrics, "/y");
        route.record(MethodLabel::Post, 201, Duration::from_secs(1));
        let families = families(&metrics);
        let h = family(&families, "http_request_duration_seconds").metric[0]
            .histogram
            .clone()
            .unwrap();
        assert!(h.bucket.is_empty(), "{h:?}");
        assert_eq!(h.schema, 3);
        // 1 s is exactly the upper bound of key 0.
        assert_eq!(h.positive_span[0].offset, 0);
        assert_eq!(h.positive_delta, [1]);
        let text = text(&metrics);
        let lines: Vec<_> = text
            .lines()
            .filter(|l| l.starts_with("http_request_duration_seconds"))
            .collect();
        let labels = r#"method="POST",route="/y",status="201""#;
        assert_eq!(
            lines,
            [
                format!("http_request_duration_seconds_sum{{{labels}}} 1.0"),
                format!("http_request_duration_seconds_count{{{labels}}} 1"),
                format!("http_request_duration_seconds_bucket{{le=\"+Inf\",{labels}}} 1"),
            ]
        );
    }

    #[test]
    fn both_durations_have_native_histograms_and_the_head_its_own() {
        let metrics = HttpMetrics::builder()
            .duration_end(crate::DurationEnd::Both)
            .native_histograms(NativeHistograms::new())
            .build()
            .unwrap();
        use crate::base::test_clock::advance;
        let mut guard = start(&metrics, MethodLabel::Get, Some("/s")).unwrap();
        advance(Duration::from_secs(1));
        guard.set_status(200);
        advance(Duration::from_secs(1));
        guard.finish();
        let families = families(&metrics);
        // Schema 3: 1 s ends key 0, 2 s key 8.
        for (name, key) in [
            ("http_request_duration_seconds", 8),
            ("http_request_head_duration_seconds", 0),
        ] {
            let h = family(&families, name).metric[0].histogram.clone().unwrap();
            assert_eq!(h.sample_count, 1, "{name} {h:?}");
            assert_eq!(h.positive_span[0].offset, key, "{name}");
            assert_eq!(h.positive_delta, [1], "{name}");
            assert_eq!(h.schema, 3, "{name}");
        }
    }

    #[test]
    fn every_kind_of_metric_is_in_the_protobuf_exposition_in_text_order() {
        let metrics = HttpMetrics::builder()
            .prefix("shop")
            .const_label("svc", "a")
            .native_histograms(NativeHistograms::new())
            .process_metrics(false)
            .build()
            .unwrap();
        let signups: prometheus_client::metrics::counter::Counter = Default::default();
        signups.inc_by(3);
        metrics
            .register("signups", "Accounts created", signups)
            .unwrap();
        metrics
            .register_gauge_fn("queue_depth", "Jobs waiting", |out| {
                out.observe(&[("queue", "mail")], 4.0)
            })
            .unwrap();
        metrics
            .register_gauge_fn("broken", "Always panics", |_| panic!("no pool"))
            .unwrap();
        let summary = crate::Summary::builder().build().unwrap();
        summary.observe(2.0);
        metrics
            .register_summary("job_seconds", "Job time", &summary)
            .unwrap();
        RouteHandle::resolve(&metrics, "/z").record(
            MethodLabel::Get,
            200,
            Duration::from_millis(5),
        );
        let families = families(&metrics);
        let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
        // The text format's families, in its order (its `_total` on counters).
        let text = metrics.encode(Format::OpenMetrics).unwrap();
        let text_names: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .map(|l| {
                let (name, kind) = l.split_once(' ').unwrap();
                if kind == "counter" {
                    format!("{name}_total")
                } else {
                    name.to_owned()
                }
            })
            .collect();
        assert_eq!(names, text_names, "{text}");
        let h = family(&families, "shop_http_request_duration_seconds").metric[0].clone();
        assert_eq!(
            labels(&h),
            [
                ("svc", "a"),
                ("method", "GET"),
                ("route", "/z"),
                ("status", "200")
            ]
        );
        assert_eq!(h.histogram.unwrap().positive_delta, [1]);
        let signups = family(&families, "signups_total");
        assert_eq!(signups.help, "Accounts created.");
        assert_eq!(signups.metric[0].counter.as_ref().unwrap().value, 3.0);
        let queue = family(&families, "queue_depth");
        assert_eq!(labels(&queue.metric[0]), [("queue", "mail")]);
        assert_eq!(queue.metric[0].gauge.as_ref().unwrap().value, 4.0);
        assert!(!names.contains(&"broken"));
        let failures = family(&families, "metrics_collector_failures_total");
        assert_eq!(
            labels(&failures.metric[0]),
            [("collector", "broken"), ("reason", "panic")]
        );
        let job = family(&families, "job_seconds");
        assert_eq!(job.r#type, MetricType::Summary as i32);
        assert_eq!(job.help, "Job time.");
        let s = job.metric[0].summary.as_ref().unwrap();
        assert_eq!((s.sample_count, s.sample_sum), (1, 2.0));
        assert_eq!(s.quantile.len(), crate::DEFAULT_OBJECTIVES.len());
        // `encode` is for text only.
        assert!(metrics.encode(Format::Protobuf).is_err());
    }

    #[test]
    fn application_histograms_with_native_buckets_share_the_protobuf_exposition() {
        use prometheus_client::metrics::histogram::{Histogram, NativeHistogramConfig};
        let metrics = HttpMetrics::builder()
            .process_metrics(false)
            .build()
            .unwrap();
        let job = Histogram::new_classic_and_native([1.0], NativeHistogramConfig::with_schema(0));
        for seconds in [0.75, 3.0, 3.5] {
            job.observe(seconds);
        }
        metrics
            .register_with_unit(
                "job_duration",
                "Job time,\nby \"kind\"",
                prometheus_client::registry::Unit::Seconds,
                job,
            )
            .unwrap();
        let families = families(&metrics);
        let job = family(&families, "job_duration_seconds");
        // Written as the text formats escape it, read back as it was given.
        assert_eq!(job.help, "Job time,\nby \"kind\".");
        let h = job.metric[0].histogram.as_ref().unwrap();
        assert_eq!((h.sample_count, h.sample_sum), (3, 7.25));
        assert_eq!(h.schema, 0);
        // Schema 0: 0.75 s is key 0 ((0.5, 1]), 3 and 3.5 s key 2 ((2, 4]), the empty key 1
        // inside the span as a zero count.
        let spans: Vec<_> = h
            .positive_span
            .iter()
            .map(|s| (s.offset, s.length))
            .collect();
        assert_eq!(spans, [(0, 3)]);
        assert_eq!(h.positive_delta, [1, -1, 2]);
        let classic: Vec<_> = h
            .bucket
            .iter()
            .map(|b| (b.upper_bound, b.cumulative_count))
            .collect();
        assert_eq!(classic, [(1.0, 1), (f64::INFINITY, 3)]);
        // The text formats show its classic buckets.
        let text = metrics.encode(Format::Prometheus).unwrap();
        assert!(
            text.contains("job_duration_seconds_bucket{le=\"1.0\"} 1\n"),
            "{text}"
        );
    }

    #[cfg(feature = "exemplars")]
    #[test]
    fn exemplars_travel_in_protobuf_on_the_counter_and_the_classic_buckets() {
        use crate::base::test_clock::advance;
        let metrics = HttpMetrics::builder()
            .prefix("p")
            .buckets([0.01, 1.0])
            .exemplars(crate::Exemplars::traceparent())
            .native_histograms(NativeHistograms::new())
            .process_metrics(false)
            .build()
            .unwrap();
        let mut guard = start(&metrics, MethodLabel::Get, Some("/e")).unwrap();
        guard.set_trace(Some(
            b"00-0123456789abcdef0123456789abcdef-0123456789abcdef-01",
        ));
        advance(Duration::from_millis(5));
        guard.finish_with_status(200);
        let families = families(&metrics);
        let trace = |exemplar: &crate::exposition::protobuf::Exemplar| {
            exemplar
                .label
                .iter()
                .map(|l| (l.name.clone(), l.value.clone()))
                .collect::<Vec<_>>()
        };
        let expected = vec![
            (
                "trace_id".to_owned(),
                "0123456789abcdef0123456789abcdef".to_owned(),
            ),
            ("span_id".to_owned(), "0123456789abcdef".to_owned()),
        ];
        let counter = family(&families, "p_http_requests_total").metric[0]
            .counter
            .clone()
            .unwrap();
        assert_eq!(counter.value, 1.0);
        let exemplar = counter.exemplar.unwrap();
        assert_eq!(trace(&exemplar), expected);
        assert_eq!(exemplar.value, 1.0);
        assert!(exemplar.timestamp.unwrap().seconds > 1_700_000_000);
        let h = family(&families, "p_http_request_duration_seconds").metric[0]
            .histogram
            .clone()
            .unwrap();
        // Native buckets, and the exemplar on the classic bucket the request fell in.
        assert_eq!((h.sample_count, h.positive_delta.as_slice()), (1, &[1][..]));
        let exemplars: Vec<_> = h
            .bucket
            .iter()
            .map(|b| b.exemplar.as_ref().map(|e| (trace(e), e.value)))
            .collect();
        assert_eq!(exemplars, [Some((expected.clone(), 0.005)), None, None]);
        assert!(h.exemplars.is_empty());

        // Without classic buckets, the exemplar is the native histogram's own.
        let native_only = HttpMetrics::builder()
            .exemplars(crate::Exemplars::traceparent())
            .native_histograms(NativeHistograms::new().classic_buckets(false))
            .process_metrics(false)
            .build()
            .unwrap();
        let mut guard = start(&native_only, MethodLabel::Get, Some("/e")).unwrap();
        guard.set_trace(Some(
            b"00-0123456789abcdef0123456789abcdef-0123456789abcdef-01",
        ));
        advance(Duration::from_millis(5));
        guard.finish_with_status(200);
        let own_families = self::families(&native_only);
        let h = family(&own_families, "http_request_duration_seconds").metric[0]
            .histogram
            .clone()
            .unwrap();
        assert!(h.bucket.is_empty());
        let own: Vec<_> = h.exemplars.iter().map(|e| (trace(e), e.value)).collect();
        assert_eq!(own, [(expected, 0.005)]);
        assert!(h.exemplars[0].timestamp.is_some());
    }
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
