//! Heap allocations per request, counted by a global allocator: none on the core recording
//! path once a series exists; none added by the tower middleware (under axum's
//! `Router::layer`, exactly what any body-wrapping layer costs there); and on actix-web only
//! the `String`s that `HttpRequest::match_pattern()` builds.
//!
//! Counting is per thread, and every request here runs on the test's own thread (a
//! current-thread runtime or actix's single-threaded system), so tests running in parallel
//! do not disturb each other.

// Implementing `GlobalAlloc` takes `unsafe`; the counter only delegates to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use http_metrics_core::adapter::{MethodLabel, RouteCache, RouteHandle};
use http_metrics_core::HttpMetrics;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: delegates to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

const REQUESTS: u64 = 1_000;

#[test]
fn the_core_recording_path_allocates_nothing_once_a_series_exists() {
    let metrics = HttpMetrics::new();
    let route = RouteHandle::resolve(&metrics, "/api/users/{user_id}");
    route
        .start(MethodLabel::Get)
        .unwrap()
        .finish_with_status(200); // creates the series
    let n = allocations(|| {
        for _ in 0..REQUESTS {
            let mut guard = route.start(MethodLabel::Get).unwrap();
            guard.set_status(200);
            guard.finish();
        }
    });
    assert_eq!(n, 0, "allocations for {REQUESTS} requests");
    // Through the per-route cache the tower layer uses, and a cancelled request:
    let cache = RouteCache::default();
    drop(cache.start(&metrics, MethodLabel::Get, Some("/api/users/{user_id}")));
    let n = allocations(|| {
        for _ in 0..REQUESTS {
            let guard = cache.start(&metrics, MethodLabel::Get, Some("/api/users/{user_id}"));
            guard.unwrap().finish_with_status(200);
            drop(cache.start(&metrics, MethodLabel::Get, Some("/api/users/{user_id}")));
        }
    });
    assert_eq!(n, 0, "allocations for {REQUESTS} cached requests");
}

mod axum_requests {
    use super::*;
    use axum::body::Body;
    use axum::Router;
    use http_body_util::BodyExt;
    use tests::drive::axum_users as router;
    use tower::ServiceExt;

    fn per_request(app: &Router, rt: &tokio::runtime::Runtime) -> u64 {
        // What `axum::serve` does first: finalise the routes once.
        let app = &app.clone().with_state::<()>(());
        let run = |n: u64| tests::drive::axum_get(rt, app, n);
        run(100); // warm-up: series, caches, lazily built state
        allocations(|| run(REQUESTS))
    }

    #[test]
    fn the_tower_middleware_adds_no_allocation_per_request() {
        use http_metrics_core::HttpMetrics;
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let metrics = HttpMetrics::new();
        // Around a plain tower service: nothing at all.
        let service = tower::service_fn(|_: axum::http::Request<Body>| async {
            Ok::<_, std::convert::Infallible>(axum::response::Response::new(Body::from("ok")))
        });
        let measured_service = tower_metrics::Metrics::new(service, &metrics);
        let request = || {
            let mut request = axum::http::Request::get("/users/42")
                .body(Body::empty())
                .unwrap();
            request
                .extensions_mut()
                .insert(tower_metrics::RouteTemplate::from_static("/users/{id}"));
            request
        };
        let run = |wrapped: bool, n: u64| {
            rt.block_on(async {
                for _ in 0..n {
                    if wrapped {
                        let response = measured_service.clone().oneshot(request()).await.unwrap();
                        response.into_body().collect().await.unwrap();
                    } else {
                        let response = service.oneshot(request()).await.unwrap();
                        response.into_body().collect().await.unwrap();
                    }
                }
            })
        };
        run(true, 100);
        let bare = allocations(|| run(false, REQUESTS));
        let wrapped = allocations(|| run(true, REQUESTS));
        assert_eq!(
            wrapped, bare,
            "a bare tower service: {bare} allocations for {REQUESTS} requests"
        );

        // Under axum's `Router::layer`, every layered route is boxed again and its response
        // body re-boxed: what any body-wrapping layer costs there, and nothing more.
        let bare = per_request(&router(), &rt);
        let passing = per_request(
            &router().layer(tests::pass_through::PassThroughLayer::BODY),
            &rt,
        );
        let measured = per_request(
            &router().layer(tower_metrics::MetricsLayer::with_metrics(&metrics)),
            &rt,
        );
        assert_eq!(
            measured, passing,
            "bare axum: {bare}; a pass-through layer: {passing}"
        );
    }
}

mod actix_requests {
    use super::*;
    use actix_web::test as actix_test;
    use actix_web::App;
    use tests::drive::actix_users as handler;
    use tests::drive::ActixCalls;

    /// Allocations for `REQUESTS` requests on a route with the template `route`, over `paths`
    /// in turn: bare actix-web, then added by a pass-through middleware that reads the route
    /// (`match_pattern()`), then added by the metrics middleware.
    fn per_variant(route: &str, paths: &[String]) -> (u64, u64, u64) {
        let metrics = HttpMetrics::new();
        let counts = actix_web::rt::System::new().block_on(async {
            let bare = actix_test::init_service(App::new().route(route, handler())).await;
            let reading = actix_test::init_service(
                App::new()
                    .wrap(tests::pass_through::PassThrough::ROUTE)
                    .route(route, handler()),
            )
            .await;
            let wrapped = actix_test::init_service(
                App::new()
                    .wrap(actix_metrics::Metrics::with_metrics(&metrics))
                    .route(route, handler()),
            )
            .await;
            let mut counts = Vec::new();
            for service in [&bare as &dyn ActixCalls, &reading, &wrapped] {
                // Warm-up: round all the paths, so that the path memo's buffers have grown.
                service.get_each(paths, paths.len().max(100) as u64).await;
                let before = ALLOCATIONS.with(Cell::get);
                service.get_each(paths, REQUESTS).await;
                counts.push(ALLOCATIONS.with(Cell::get) - before);
            }
            counts
        });
        (counts[0], counts[1] - counts[0], counts[2] - counts[0])
    }

    #[test]
    fn the_actix_middleware_adds_only_the_string_match_pattern_builds() {
        let (bare, reading, added) = per_variant("/users/{id}", &["/users/42".to_owned()]);
        // Before routing, the route comes from the template the worker learned.
        // After routing (for the resource actually chosen, guards included), actix-web's
        // `HttpRequest::match_pattern()` returns a new `String`, and actix-web offers no
        // borrowed alternative: any middleware that reads the route pays it. Nothing else is
        // allocated per request.
        assert_eq!(
            (reading, added),
            (REQUESTS, REQUESTS),
            "bare actix-web: {bare} allocations for {REQUESTS} requests"
        );
    }

    #[test]
    fn a_new_path_of_a_learned_template_costs_no_more_than_a_known_one() {
        let (bare, reading, added) = per_variant("/users/{id}", &tests::drive::new_paths());
        assert_eq!(
            (reading, added),
            (REQUESTS, REQUESTS),
            "bare actix-web: {bare} allocations for {REQUESTS} requests"
        );
    }

    #[test]
    fn a_new_path_of_a_regex_or_tail_route_costs_no_more_than_a_known_one() {
        // Digits are learned exactly; another regular expression as a parameter that routing
        // confirms; a tail as the rest of the path.
        for route in [r"/users/{id:\d+}", r"/users/{id:\d{1,9}}", "/users/{tail}*"] {
            let (bare, reading, added) = per_variant(route, &tests::drive::new_paths());
            assert_eq!(
                (reading, added),
                (REQUESTS, REQUESTS),
                "{route}: bare actix-web: {bare} allocations for {REQUESTS} requests"
            );
        }
    }

    #[test]
    fn a_new_path_of_a_route_the_worker_cannot_learn_costs_a_second_match_by_actix_web() {
        // A template the worker cannot learn (a `/` in its regular expression): every
        // request misses the memo.
        let (bare, _, added) = per_variant(r"/users/{id:\d+/?}", &tests::drive::new_paths());
        // The miss asks actix-web to match the path before routing: a second `String`, and
        // the captures of the regular expression it matches with. The memo reuses its slots'
        // buffers, so it allocates nothing once they have grown.
        assert_eq!(
            added,
            3 * REQUESTS,
            "bare actix-web: {bare} allocations for {REQUESTS} requests"
        );
    }
}
