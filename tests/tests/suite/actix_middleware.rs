//! actix-web specifics: routing by guards and scopes, errors from inner middleware, and one
//! set of series shared by every worker.

use actix_web::dev::Service as _;
use actix_web::{guard, web, App, HttpResponse};
use futures_util::future::{ready, Either};
use http_metrics_core::HttpMetrics;
use tests::{servers, Exposition};

fn total(m: &Exposition, method: &str, route: &str, status: &str) -> Option<f64> {
    m.get(
        "http_requests_total",
        &[("method", method), ("route", route), ("status", status)],
    )
}

async fn scrape(client: &reqwest::Client, server: &servers::Server) -> Exposition {
    tests::conformance::scrape(client, &server.base).await.1
}

fn routing_app(
    metrics: &HttpMetrics,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        // Inner middleware that refuses requests carrying `x-deny` with an `Err`.
        .wrap_fn(|req, srv| {
            if req.headers().contains_key("x-deny") {
                Either::Left(ready(Err(actix_web::error::ErrorForbidden("denied"))))
            } else {
                Either::Right(srv.call(req))
            }
        })
        .wrap(actix_metrics::Metrics::with_metrics(metrics))
        .service(actix_metrics::metrics_service_with(metrics))
        // Same path, chosen by a guard: only routing knows which template applies.
        .service(
            web::resource("/items/{id}")
                .guard(guard::Header("x-version", "2"))
                .route(web::get().to(|| async { "v2" })),
        )
        .service(web::resource("/items/{item_id}").route(web::get().to(|| async { "v1" })))
        .service(
            web::scope("/a").service(
                web::scope("/b")
                    .service(web::resource("/c/{x}").route(web::get().to(HttpResponse::Ok))),
            ),
        )
        .default_service(web::to(|| async { HttpResponse::ImATeapot().finish() }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_come_from_routing_guards_and_scopes_included() {
    let metrics = HttpMetrics::new();
    let server = servers::actix(&metrics, 1, routing_app);
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(server.url(path));

    assert_eq!(
        get("/items/1")
            .header("x-version", "2")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "v2"
    );
    assert_eq!(
        get("/items/1").send().await.unwrap().text().await.unwrap(),
        "v1"
    );
    assert_eq!(get("/items/2").send().await.unwrap().status(), 200);
    assert_eq!(get("/a/b/c/7").send().await.unwrap().status(), 200);
    assert_eq!(get("/a/b/elsewhere").send().await.unwrap().status(), 418);
    assert_eq!(get("/zzz").send().await.unwrap().status(), 418);

    let m = scrape(&client, &server).await;
    assert_eq!(total(&m, "GET", "/items/{id}", "200"), Some(1.0));
    assert_eq!(total(&m, "GET", "/items/{item_id}", "200"), Some(2.0));
    assert_eq!(total(&m, "GET", "/a/b/c/{x}", "200"), Some(1.0));
    assert_eq!(total(&m, "GET", "unmatched", "418"), Some(2.0));
    assert_eq!(m.series("http_requests_total").len(), 4);
    // Before routing, actix matches by path alone and finds `/items/{id}` for both
    // versions: the in-flight gauge was entered there; requests routed to v2 moved to
    // `/items/{item_id}` when routed. Both gauges are balanced.
    for route in ["/items/{id}", "/items/{item_id}"] {
        assert_eq!(
            m.get(
                "http_requests_in_flight",
                &[("method", "GET"), ("route", route)]
            ),
            Some(0.0),
            "{route}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_time_to_the_head_is_recorded_on_the_route_routing_chose() {
    let metrics = HttpMetrics::builder()
        .duration_end(http_metrics_core::DurationEnd::Both)
        .build()
        .unwrap();
    let server = servers::actix(&metrics, 1, routing_app);
    let client = reqwest::Client::new();
    // Guessed `/items/{id}` by path before routing, routed to `/items/{item_id}`.
    let response = client.get(server.url("/items/1")).send().await.unwrap();
    assert_eq!(response.text().await.unwrap(), "v1");
    let m = scrape(&client, &server).await;
    let series = |route| [("method", "GET"), ("route", route), ("status", "200")];
    let head = "http_request_head_duration_seconds_count";
    assert_eq!(m.get(head, &series("/items/{item_id}")), Some(1.0));
    assert_eq!(m.get(head, &series("/items/{id}")), None);
    assert_eq!(
        total(&m, "GET", "/items/{id}", "200"),
        None,
        "no empty series either"
    );
    assert_eq!(total(&m, "GET", "/items/{item_id}", "200"), Some(1.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_from_inner_middleware_is_recorded_with_its_status_and_passed_on() {
    let metrics = HttpMetrics::new();
    let server = servers::actix(&metrics, 1, routing_app);
    let client = reqwest::Client::new();
    let response = client
        .get(server.url("/items/1"))
        .header("x-deny", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.text().await.unwrap(),
        "denied",
        "the error reaches actix unchanged"
    );
    let m = scrape(&client, &server).await;
    assert_eq!(total(&m, "GET", "/items/{id}", "403"), Some(1.0));
    assert_eq!(
        m.get(
            "http_requests_in_flight",
            &[("method", "GET"), ("route", "/items/{id}")]
        ),
        Some(0.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_workers_share_one_set_of_series() {
    const CLIENTS: usize = 32;
    const PER_CLIENT: usize = 50;
    let metrics = tests::conformance::metrics();
    let server = servers::actix(&metrics, 4, tests::conformance::actix_app);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let url = server.url(&format!("/api/users/{c}"));
            tokio::spawn(async move {
                // A client each: separate connections, spread over the workers.
                let client = reqwest::Client::new();
                for _ in 0..PER_CLIENT {
                    let r = client.get(&url).send().await.unwrap();
                    assert_eq!(r.status(), 200);
                    r.bytes().await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let m = scrape(&reqwest::Client::new(), &server).await;
    let n = (CLIENTS * PER_CLIENT) as f64;
    assert_eq!(total(&m, "GET", "/api/users/{user_id}", "200"), Some(n));
    assert_eq!(
        m.get(
            "http_request_duration_seconds_bucket",
            &[
                ("le", "+Inf"),
                ("method", "GET"),
                ("route", "/api/users/{user_id}"),
                ("status", "200")
            ]
        ),
        Some(n)
    );
    assert_eq!(
        m.get(
            "http_requests_in_flight",
            &[("method", "GET"), ("route", "/api/users/{user_id}")]
        ),
        Some(0.0)
    );
}

fn panicking_app(
    metrics: &HttpMetrics,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(actix_metrics::Metrics::with_metrics(metrics))
        .service(actix_metrics::metrics_service_with(metrics))
        .service(web::resource("/panic").route(web::get().to(|| async {
            if true {
                panic!("handler bug");
            }
            HttpResponse::Ok().finish()
        })))
        .service(web::resource("/get").route(web::get().to(HttpResponse::Ok)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_is_a_500_and_head_is_not_get() {
    let metrics = HttpMetrics::new();
    let server = servers::actix(&metrics, 1, panicking_app);
    let client = reqwest::Client::new();
    assert!(
        client.get(server.url("/panic")).send().await.is_err(),
        "the connection is dropped"
    );
    assert_eq!(
        client
            .head(server.url("/get"))
            .send()
            .await
            .unwrap()
            .status(),
        405
    );
    let m = scrape(&client, &server).await;
    assert_eq!(total(&m, "GET", "/panic", "500"), Some(1.0));
    assert_eq!(
        m.get(
            "http_requests_in_flight",
            &[("method", "GET"), ("route", "/panic")]
        ),
        Some(0.0)
    );
    assert_eq!(total(&m, "HEAD", "/get", "405"), Some(1.0));
}

/// The gauge of every route the test app has, read from the registry.
fn in_flight_by_route(metrics: &HttpMetrics, routes: &[&str]) -> Vec<f64> {
    let m = Exposition::parse(
        &metrics
            .encode(http_metrics_core::Format::OpenMetrics)
            .unwrap(),
    );
    routes
        .iter()
        .map(|route| {
            m.get(
                "http_requests_in_flight",
                &[("method", "GET"), ("route", route)],
            )
            .unwrap_or(0.0)
        })
        .collect()
}

/// Serves `/users/1`, `/users/ann` and `/users/2` on an app with `digits` registered first,
/// then `/users/{name}`; checks that routing sent the digits to `digits` and `ann` to
/// `/users/{name}`, and returns the in-flight gauges seen before routing (`digits`,
/// `/users/{name}`, unmatched), once per request.
async fn users_with_a_digits_route(digits: &'static str) -> Vec<Vec<f64>> {
    let routes = [(digits, "id"), ("/users/{name}", "name")];
    let paths = [
        ("/users/1", 200, "id"),
        ("/users/ann", 200, "name"),
        ("/users/2", 200, "id"),
    ];
    let (seen, m) = in_flight_before_routing(&routes, &paths).await;
    assert_eq!(total(&m, "GET", digits, "200"), Some(2.0));
    assert_eq!(total(&m, "GET", "/users/{name}", "200"), Some(1.0));
    seen
}

/// In flight on the digits route, on `/users/{name}`, as `users_with_a_digits_route` reads
/// them.
const ON_DIGITS: [f64; 3] = [1.0, 0.0, 0.0];
const ON_NAME: [f64; 3] = [0.0, 1.0, 0.0];

#[actix_web::test]
async fn a_learned_template_standing_in_for_an_earlier_route_hands_the_request_over() {
    // The digits route is registered first, so actix-web routes digits there; the worker
    // cannot learn its shape (a `/` in a regular expression), but learns `/users/{name}`.
    let seen = users_with_a_digits_route(r"/users/{id:\d+/?}").await;
    // The first two were in flight on the route actix-web matched before routing; the
    // third, now that `/users/{name}` is learned, on that one until it was routed.
    assert_eq!(seen, [ON_DIGITS, ON_NAME, ON_NAME].map(Vec::from));
}

#[actix_web::test]
async fn a_learned_digits_template_keeps_digits_off_a_plain_parameter() {
    // Both templates are learned: a path of digits fits both, so actix-web decides (the
    // digits route, registered first), before routing too.
    let seen = users_with_a_digits_route(r"/users/{id:\d+}").await;
    assert_eq!(seen, [ON_DIGITS, ON_NAME, ON_DIGITS].map(Vec::from));
}

/// Serves `paths` in turn, each with its expected status and body, on an app with `routes`
/// (template, body); returns the in-flight gauges of the routes and of the unmatched route,
/// as seen inside the metrics middleware before routing, once per request, and the
/// exposition after.
async fn in_flight_before_routing(
    routes: &[(&'static str, &'static str)],
    paths: &[(&str, u16, &str)],
) -> (Vec<Vec<f64>>, Exposition) {
    let gauges: Vec<&str> = routes.iter().map(|(route, _)| *route).collect();
    let gauges = [gauges, vec!["unmatched"]].concat();
    let metrics = HttpMetrics::new();
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let mut app = {
        let (probed, seen, gauges) = (metrics.clone(), seen.clone(), gauges.clone());
        App::new()
            .wrap_fn(move |request, service| {
                seen.borrow_mut().push(in_flight_by_route(&probed, &gauges));
                service.call(request)
            })
            .wrap(actix_metrics::Metrics::with_metrics(&metrics))
    };
    for &(route, body) in routes {
        app = app.route(route, web::get().to(move || async move { body }));
    }
    let app = actix_web::test::init_service(app).await;
    for &(path, status, body) in paths {
        let request = actix_web::test::TestRequest::get().uri(path).to_request();
        let response = actix_web::test::call_service(&app, request).await;
        assert_eq!(response.status(), status, "{path}");
        let read = actix_web::test::read_body(response).await;
        assert_eq!(read, body, "{path}");
    }
    assert_eq!(
        in_flight_by_route(&metrics, &gauges),
        vec![0.0; gauges.len()]
    );
    let exposition = metrics
        .encode(http_metrics_core::Format::OpenMetrics)
        .unwrap();
    let seen = seen.borrow().clone();
    (seen, Exposition::parse(&exposition))
}

#[actix_web::test]
async fn a_path_a_regular_expression_turns_away_leaves_the_route_it_was_in_flight_on() {
    // Learned as a parameter: before routing, every path of its shape is in flight on it;
    // actix-web's regular expression has the last word.
    const ROUTE: &str = r"/users/{id:\d{1,9}}";
    let paths = [
        ("/users/1", 200, "id"),
        ("/users/abc", 404, ""),
        ("/users/1234567890", 404, ""),
        ("/users/2", 200, "id"),
    ];
    let (seen, m) = in_flight_before_routing(&[(ROUTE, "id")], &paths).await;
    assert_eq!(seen, vec![vec![1.0, 0.0]; 4]);
    assert_eq!(total(&m, "GET", ROUTE, "200"), Some(2.0));
    assert_eq!(total(&m, "GET", ROUTE, "404"), None);
    assert_eq!(total(&m, "GET", "unmatched", "404"), Some(2.0));
}

#[actix_web::test]
async fn a_catch_all_tail_is_the_route_of_the_paths_the_others_leave() {
    const ROUTES: [(&str, &str); 2] = [("/users/{id}", "user"), ("/{page}*", "page")];
    let paths = [
        ("/users/1", 200, "user"),
        ("/about", 200, "page"),
        ("/users/2", 200, "user"),
        ("/docs/a/b", 200, "page"),
        ("/users/3/x", 200, "page"),
    ];
    let (seen, m) = in_flight_before_routing(&ROUTES, &paths).await;
    // Once both are learned, the paths of `/users/{id}` are in flight there, and every
    // other path on the catch-all, before actix-web routes them.
    let (user, page) = (vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 0.0]);
    assert_eq!(seen, [&user, &page, &user, &page, &page].map(Vec::clone));
    assert_eq!(total(&m, "GET", ROUTES[0].0, "200"), Some(2.0));
    assert_eq!(total(&m, "GET", ROUTES[1].0, "200"), Some(3.0));
}

#[actix_web::test]
async fn a_request_routing_turned_away_is_recorded_on_the_pattern_its_path_matches() {
    let metrics = HttpMetrics::new();
    let app = actix_web::test::init_service(
        App::new()
            .wrap(actix_metrics::Metrics::with_metrics(&metrics))
            // `App::route` guards the resource itself: a POST matches no resource.
            .route("/x/{id}", web::get().to(HttpResponse::Ok))
            .service(
                web::resource("/admin/{page}")
                    .guard(guard::Header("x-admin", "1"))
                    .to(HttpResponse::Ok),
            ),
    )
    .await;
    let requests = [
        actix_web::test::TestRequest::post().uri("/x/1"),
        actix_web::test::TestRequest::get().uri("/admin/users"),
        actix_web::test::TestRequest::get().uri("/nothing/here"),
    ];
    for request in requests {
        let response = actix_web::test::call_service(&app, request.to_request()).await;
        assert_eq!(response.status(), 404);
    }
    // actix-web's default service answered all three. `match_pattern()` then matches the
    // path against the patterns, guards aside: the first two were on a route's path.
    let m = Exposition::parse(
        &metrics
            .encode(http_metrics_core::Format::OpenMetrics)
            .unwrap(),
    );
    assert_eq!(total(&m, "POST", "/x/{id}", "404"), Some(1.0));
    assert_eq!(total(&m, "GET", "/admin/{page}", "404"), Some(1.0));
    assert_eq!(total(&m, "GET", "unmatched", "404"), Some(1.0));
    assert_eq!(m.series("http_requests_total").len(), 3);
}

/// A path that first matches an excluded pattern, but that a guard sends to another
/// resource, is recorded on that resource: only routing keeps a request off the metrics.
/// (It used to record nothing: the request was dropped from the metrics before routing.)
#[actix_web::test]
async fn an_excluded_route_keeps_off_only_the_requests_routed_to_it() {
    let metrics = HttpMetrics::builder()
        .exclude_route("/health")
        .build()
        .unwrap();
    let app = actix_web::test::init_service(
        App::new()
            .wrap(actix_metrics::Metrics::with_metrics(&metrics))
            .service(
                web::resource("/health")
                    .guard(guard::Header("x-probe", "1"))
                    .route(web::get().to(|| async { "probe" })),
            )
            .service(web::resource("/{page}").route(web::get().to(|| async { "page" }))),
    )
    .await;
    // Twice each: the first time actix-web's match answers, then the worker's memo.
    for _ in 0..2 {
        for (probe, body) in [(true, "probe"), (false, "page")] {
            let mut request = actix_web::test::TestRequest::get().uri("/health");
            if probe {
                request = request.insert_header(("x-probe", "1"));
            }
            let response = actix_web::test::call_service(&app, request.to_request()).await;
            assert_eq!(actix_web::test::read_body(response).await, body);
        }
    }
    let request = actix_web::test::TestRequest::get().uri("/about");
    let body = actix_web::test::call_and_read_body(&app, request.to_request()).await;
    assert_eq!(body, "page");
    let text = metrics
        .encode(http_metrics_core::Format::OpenMetrics)
        .unwrap();
    let m = Exposition::parse(&text);
    assert_eq!(total(&m, "GET", "/{page}", "200"), Some(3.0), "{text}");
    assert_eq!(m.series("http_requests_total").len(), 1, "{text}");
    m.assert_idle(&[("GET", "/{page}")]);
}

/// `metrics_service` registered before or after the application's routes: the same series.
#[actix_web::test]
async fn metrics_service_before_or_after_the_routes_records_the_same_series() {
    let mut expositions = Vec::new();
    for first in [true, false] {
        let metrics = HttpMetrics::new();
        let users = web::resource("/api/users/{user_id}").route(web::get().to(HttpResponse::Ok));
        let endpoint = actix_metrics::metrics_service_with(&metrics);
        let app = App::new().wrap(actix_metrics::Metrics::with_metrics(&metrics));
        let app = if first {
            actix_web::test::init_service(app.service(endpoint).service(users)).await
        } else {
            actix_web::test::init_service(app.service(users).service(endpoint)).await
        };
        for uri in ["/api/users/1", "/api/users/2", "/nope", "/metrics"] {
            let request = actix_web::test::TestRequest::get().uri(uri).to_request();
            actix_web::test::call_service(&app, request).await;
        }
        let request = actix_web::test::TestRequest::get().uri("/metrics");
        let response = actix_web::test::call_service(&app, request.to_request()).await;
        let body = actix_web::test::read_body(response).await;
        let m = Exposition::parse(std::str::from_utf8(&body).unwrap());
        assert_eq!(total(&m, "GET", "/api/users/{user_id}", "200"), Some(2.0));
        assert_eq!(total(&m, "GET", "unmatched", "404"), Some(1.0));
        assert_eq!(m.series("http_requests_total").len(), 2);
        m.assert_idle(&[("GET", "/api/users/{user_id}"), ("GET", "unmatched")]);
        expositions.push(tests::conformance::comparable(&m));
    }
    assert_eq!(expositions[0], expositions[1]);
}
