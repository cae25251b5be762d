//! What the middleware adds to each request: the same trivial route with a path parameter,
//! bare, with this workspace's adapter, and with the crate most people use today
//! (axum-prometheus, actix-web-prom), in one process, one thread, in the same run.
//!
//! Besides those, two do-nothing middlewares (`tests::pass_through`) show what the framework
//! charges any middleware: `pass-through` wraps the response body; `route-reading` also reads
//! the route the way the framework offers it, the least any middleware labelling requests by
//! route can pay there.
//!
//! Criterion measures each variant; then an interleaved summary runs the variants in turn,
//! round after round, and prints the median cost per request and its overhead over the bare
//! framework and over `route-reading`, so that the machine's noise falls on every variant
//! alike.
//!
//! `cargo bench -p tests --bench overhead`

use std::time::{Duration, Instant};

use criterion::Criterion;

/// Requests per timed batch in the interleaved summary.
const BATCH: u64 = 2_000;
/// Rounds of the interleaved summary.
const ROUNDS: usize = 25;

mod axum_side {
    use super::*;
    use axum::Router;
    use tests::drive::axum_users as router;

    /// (name, app), each finalised with `with_state` as `axum::serve` does.
    pub(crate) fn variants() -> Vec<(&'static str, Router)> {
        let metrics = http_metrics_core::HttpMetrics::new();
        let (prometheus, _handle) = axum_prometheus::PrometheusMetricLayer::pair();
        vec![
            ("bare axum", router().with_state(())),
            (
                "pass-through",
                router()
                    .layer(tests::pass_through::PassThroughLayer::BODY)
                    .with_state(()),
            ),
            (
                "route-reading",
                router()
                    .layer(tests::pass_through::PassThroughLayer::ROUTE)
                    .with_state(()),
            ),
            (
                "tower-metrics",
                router()
                    .layer(tower_metrics::MetricsLayer::with_metrics(&metrics))
                    .with_state(()),
            ),
            ("axum-prometheus", router().layer(prometheus).with_state(())),
        ]
    }

    /// Time for `n` requests, each read to the end of its body.
    pub(crate) fn run(rt: &tokio::runtime::Runtime, app: &Router, n: u64) -> Duration {
        let start = Instant::now();
        tests::drive::axum_get(rt, app, n);
        start.elapsed()
    }
}

mod actix_side {
    use super::*;
    use actix_web::test as actix_test;
    use actix_web::App;

    use tests::drive::{actix_users as handler, ActixCalls};

    /// Time for `n` requests on `service`, `GET` on each of `paths` in turn.
    pub(crate) fn run(
        system: &actix_web::rt::SystemRunner,
        service: &dyn ActixCalls,
        paths: &[String],
        n: u64,
    ) -> Duration {
        let start = Instant::now();
        system.block_on(service.get_each(paths, n));
        start.elapsed()
    }

    /// (name, service), built on `system`, each serving `GET route`.
    pub(crate) fn variants(
        system: &actix_web::rt::SystemRunner,
        route: &'static str,
    ) -> Vec<(&'static str, Box<dyn ActixCalls>)> {
        system.block_on(async {
            let metrics = http_metrics_core::HttpMetrics::new();
            let prometheus = actix_web_prom::PrometheusMetricsBuilder::new("api")
                .endpoint("/metrics")
                .build()
                .expect("actix-web-prom builds");
            let bare = actix_test::init_service(App::new().route(route, handler())).await;
            let passing = actix_test::init_service(
                App::new()
                    .wrap(tests::pass_through::PassThrough::BODY)
                    .route(route, handler()),
            )
            .await;
            let reading = actix_test::init_service(
                App::new()
                    .wrap(tests::pass_through::PassThrough::ROUTE)
                    .route(route, handler()),
            )
            .await;
            let ours = actix_test::init_service(
                App::new()
                    .wrap(actix_metrics::Metrics::with_metrics(&metrics))
                    .route(route, handler()),
            )
            .await;
            let theirs =
                actix_test::init_service(App::new().wrap(prometheus).route(route, handler())).await;
            vec![
                ("bare actix-web", Box::new(bare) as Box<dyn ActixCalls>),
                ("pass-through", Box::new(passing)),
                ("route-reading", Box::new(reading)),
                ("actix-metrics", Box::new(ours)),
                ("actix-web-prom", Box::new(theirs)),
            ]
        })
    }
}

/// Runs every variant `ROUNDS` times in turn and prints the median per-request cost and the
/// overhead over the first (bare) variant and over `route-reading`.
fn summary(framework: &str, names: &[&str], mut run: impl FnMut(usize, u64) -> Duration) {
    let mut samples = vec![Vec::with_capacity(ROUNDS); names.len()];
    for i in 0..names.len() {
        run(i, BATCH / 4); // warm-up
    }
    for _ in 0..ROUNDS {
        for (i, series) in samples.iter_mut().enumerate() {
            series.push(run(i, BATCH).as_nanos() as f64 / BATCH as f64);
        }
    }
    let medians: Vec<f64> = samples
        .iter_mut()
        .map(|s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect();
    let floor = names
        .iter()
        .position(|n| *n == "route-reading")
        .map(|i| medians[i])
        .expect("a route-reading variant");
    println!("\n{framework}: median of {ROUNDS} interleaved rounds of {BATCH} requests");
    for (name, median) in names.iter().zip(&medians) {
        let overhead = median - medians[0];
        println!(
            "  {name:<16} {:>8.0} ns/request   over bare {:>+7.0} ns ({:>+5.1} %)   \
             over route-reading {:>+7.0} ns",
            median,
            overhead,
            100.0 * overhead / medians[0],
            median - floor,
        );
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    // axum-prometheus spawns its upkeep task when built: build inside the runtime.
    let axum_variants = {
        let _runtime = rt.enter();
        axum_side::variants()
    };
    let mut group = criterion.benchmark_group("axum GET /users/{id}");
    for (name, app) in &axum_variants {
        group.bench_function(*name, |b| b.iter_custom(|n| axum_side::run(&rt, app, n)));
    }
    group.finish();

    let system = actix_web::rt::System::new();
    let actix_variants = actix_side::variants(&system, "/users/{id}");
    let one_path = ["/users/42".to_owned()];
    let mut group = criterion.benchmark_group("actix-web GET /users/{id}");
    for (name, service) in &actix_variants {
        group.bench_function(*name, |b| {
            b.iter_custom(|n| actix_side::run(&system, &**service, &one_path, n))
        });
    }
    group.finish();
    criterion.final_summary();

    let names: Vec<&str> = axum_variants.iter().map(|(n, _)| *n).collect();
    summary("axum", &names, |i, n| {
        axum_side::run(&rt, &axum_variants[i].1, n)
    });
    let names: Vec<&str> = actix_variants.iter().map(|(n, _)| *n).collect();
    summary("actix-web, one path", &names, |i, n| {
        actix_side::run(&system, &*actix_variants[i].1, &one_path, n)
    });
    // Far more distinct paths than actix-metrics' path memo keeps, in turn. On a route it
    // has learned the template of, a new path costs the walk down the learned templates, as
    // a known one does; on a route it cannot learn (a `/` in a regular expression), every
    // request misses the memo and pays actix-web's match before routing.
    let distinct = tests::drive::new_paths();
    let unlearnable_variants = actix_side::variants(&system, r"/users/{id:\d+/?}");
    for (title, variants) in [
        ("actix-web, a new path every request", &actix_variants),
        (
            r"actix-web, a new path every request, route /users/{id:\d+/?}",
            &unlearnable_variants,
        ),
    ] {
        let mut next = 0;
        summary(title, &names, |i, n| {
            // Each batch carries on where the last one stopped, so no path comes back soon.
            if next + n as usize > distinct.len() {
                next = 0;
            }
            let paths = &distinct[next..next + n as usize];
            next += n as usize;
            actix_side::run(&system, &*variants[i].1, paths, n)
        });
    }
}
