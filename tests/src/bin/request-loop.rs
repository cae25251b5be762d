//! Runs one in-process variant of the benchmark route (`GET /users/{id}`) in a loop, for
//! counting the instructions a request executes under callgrind: `scripts/instructions.sh`
//! runs every variant and prints the counts side by side. Instruction counts do not depend
//! on the machine's load, so they compare variants where timings on a shared machine are too
//! noisy to.
//!
//! `request-loop VARIANT REQUESTS [PATHS [OPTION]]`, VARIANT one of:
//! `axum-bare`, `axum-pass-through`, `axum-route-reading`, `axum-unrecorded`, `axum-metrics`,
//! `actix-bare`, `actix-pass-through`, `actix-route-reading`, `actix-unrecorded`,
//! `actix-metrics`;
//! PATHS `one` (default: every request on `/users/42`) or, on actix-web, `many` (a new path
//! every request, far more distinct paths than actix-metrics' path memo keeps); OPTION, for
//! the `metrics` variants, one of the builder's options turned on (see [`OPTIONS`]), or
//! `default`.
//!
//! `pass-through` wraps the response body and does nothing else; `route-reading` also reads
//! the route the way the framework offers it (see `tests::pass_through`), the least any
//! middleware labelling by route pays; `unrecorded` is this workspace's middleware with the
//! route excluded, so everything but the recording itself.
//! The first 100 requests of the process go through [`first`], counted apart; then 200 more
//! warm up (series, caches); the per-request counts are of the calls inside [`measured`]
//! (`--toggle-collect=request_loop::measured`).

use std::process::ExitCode;

use http_metrics_core::HttpMetrics;
use tests::drive::{actix_users, axum_get_with, axum_users, ActixCalls};

const VARIANTS: [&str; 10] = [
    "axum-bare",
    "axum-pass-through",
    "axum-route-reading",
    "axum-unrecorded",
    "axum-metrics",
    "actix-bare",
    "actix-pass-through",
    "actix-route-reading",
    "actix-unrecorded",
    "actix-metrics",
];

/// The builder's options the `metrics` variants can turn on, one at a time: body sizes, both
/// durations, a request label (the requests carry no such header: they are `other`),
/// OpenTelemetry's names, exclusions that do not apply to the route (a pattern and a
/// status), the same label from a request extension (none on the request: `other`),
/// upgraded connections, exemplars (with the `exemplars` feature; the requests carry no
/// `traceparent`, or with `traced` a sampled one, whose cost is measured against
/// `default-traced`, the default configuration given the same requests), and native
/// histograms beside the classic buckets or alone (with the `native-histograms` feature).
/// Body sizes need the `body-sizes` feature.
const OPTIONS: [&str; 13] = [
    "default",
    "sizes",
    "both",
    "label",
    "label-extension",
    "otel",
    "exclusions",
    "upgrades",
    "exemplars",
    "default-traced",
    "exemplars-traced",
    "native",
    "native-only",
];

/// The `traceparent` the `-traced` options' requests carry: a sampled trace.
const TRACED: &[(&str, &str)] = &[(
    "traceparent",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
)];

fn with_option(option: &str) -> Result<HttpMetrics, String> {
    let builder = HttpMetrics::builder();
    let builder = match option {
        "default" | "default-traced" => builder,
        #[cfg(feature = "body-sizes")]
        "sizes" => builder.body_sizes(true),
        "both" => builder.duration_end(http_metrics_core::DurationEnd::Both),
        "label" => builder.request_label(
            http_metrics_core::RequestLabel::header("x-tenant", "tenant").allow(["acme", "globex"]),
        ),
        "label-extension" => builder.request_label(
            http_metrics_core::RequestLabel::extension("tenant").allow(["acme", "globex"]),
        ),
        "upgrades" => builder.upgraded_connections(true),
        "otel" => builder.naming(http_metrics_core::Naming::opentelemetry()),
        "exclusions" => builder
            .exclude_routes_matching("/internal/*")
            .exclude_status(404),
        #[cfg(feature = "exemplars")]
        "exemplars" | "exemplars-traced" => {
            builder.exemplars(http_metrics_core::Exemplars::traceparent())
        }
        #[cfg(feature = "native-histograms")]
        "native" => builder.native_histograms(http_metrics_core::NativeHistograms::new()),
        #[cfg(feature = "native-histograms")]
        "native-only" => builder
            .native_histograms(http_metrics_core::NativeHistograms::new().classic_buckets(false)),
        other => {
            return Err(format!(
                "option {other} is not built in (the `exemplars`, `body-sizes` or \
                 `native-histograms` feature?)"
            ))
        }
    };
    builder.build().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (variant, requests, many, option) = match args.as_slice() {
        [variant, requests, rest @ ..] if VARIANTS.contains(&variant.as_str()) => {
            let (paths, option) = match rest {
                [] => ("one", "default"),
                [paths] => (paths.as_str(), "default"),
                [paths, option] if OPTIONS.contains(&option.as_str()) => {
                    (paths.as_str(), option.as_str())
                }
                _ => return usage("OPTION is one of the options"),
            };
            let many = match paths {
                "one" => false,
                "many" if variant.starts_with("actix-") => true,
                _ => return usage("PATHS is `one`, or `many` on actix-web"),
            };
            match requests.parse() {
                Ok(requests) => (variant.as_str(), requests, many, option),
                Err(_) => return usage(&format!("not a number of requests: {requests}")),
            }
        }
        _ => return usage("expected a variant and a number of requests"),
    };
    let metrics = match with_option(option) {
        Ok(metrics) => metrics,
        Err(problem) => return usage(&problem),
    };
    let headers = if option.ends_with("-traced") {
        TRACED
    } else {
        &[]
    };
    let unrecorded = HttpMetrics::builder()
        .exclude_route("/users/{id}")
        .build()
        .expect("a valid configuration");
    if let Some(variant) = variant.strip_prefix("axum-") {
        let app = match variant {
            "bare" => axum_users(),
            "pass-through" => axum_users().layer(tests::pass_through::PassThroughLayer::BODY),
            "route-reading" => axum_users().layer(tests::pass_through::PassThroughLayer::ROUTE),
            "unrecorded" => {
                axum_users().layer(tower_metrics::MetricsLayer::with_metrics(&unrecorded))
            }
            _ => axum_users().layer(tower_metrics::MetricsLayer::with_metrics(&metrics)),
        }
        .with_state(());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let run = |n| axum_get_with(&rt, &app, n, headers);
        first(&run);
        warm_up(&run);
        measured(&run, requests);
    } else {
        let system = actix_web::rt::System::new();
        let paths: Vec<String> = if many {
            tests::drive::new_paths()
        } else {
            vec!["/users/42".to_owned()]
        };
        system.block_on(async {
            use actix_web::{test::init_service, App};
            let app = || App::new().route("/users/{id}", actix_users());
            let service: Box<dyn ActixCalls> = match variant {
                "actix-bare" => Box::new(init_service(app()).await),
                "actix-pass-through" => {
                    Box::new(init_service(app().wrap(tests::pass_through::PassThrough::BODY)).await)
                }
                "actix-route-reading" => Box::new(
                    init_service(app().wrap(tests::pass_through::PassThrough::ROUTE)).await,
                ),
                "actix-unrecorded" => Box::new(
                    init_service(app().wrap(actix_metrics::Metrics::with_metrics(&unrecorded)))
                        .await,
                ),
                _ => Box::new(
                    init_service(app().wrap(actix_metrics::Metrics::with_metrics(&metrics))).await,
                ),
            };
            let run = |n| complete_now(service.get_each_with(&paths, n, headers));
            first(&run);
            // Warm-up: every path once, so that the path memo's buffers have grown; the
            // measured requests then start again from the first path.
            complete_now(service.get_each_with(&paths, paths.len() as u64, headers));
            warm_up(&run);
            measured(&run, requests);
        });
    }
    ExitCode::SUCCESS
}

/// Drives a future to completion on the current thread (inside actix's system, whose
/// services are `!Send` and need no I/O here).
fn complete_now<F: std::future::Future>(future: F) -> F::Output {
    futures_util::FutureExt::now_or_never(future).expect("an in-process request completes at once")
}

/// The first requests of the process, counted apart (`--toggle-collect=request_loop::first`):
/// what a process pays once, on its first requests, for the metrics.
#[inline(never)]
fn first(run: &dyn Fn(u64)) {
    run(FIRST);
}

/// How many requests [`first`] makes.
const FIRST: u64 = 100;

#[inline(never)]
fn warm_up(run: &dyn Fn(u64)) {
    run(200);
}

/// The requests to count.
#[inline(never)]
fn measured(run: &dyn Fn(u64), requests: u64) {
    run(requests);
}

fn usage(problem: &str) -> ExitCode {
    eprintln!(
        "request-loop: {problem}\nusage: request-loop VARIANT REQUESTS [one|many [OPTION]]\nvariants: {}\noptions: {}",
        VARIANTS.join(" "),
        OPTIONS.join(" ")
    );
    ExitCode::from(2)
}
