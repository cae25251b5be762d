//! Exemplars: the last trace of each bucket and of the counter.

use super::*;

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
