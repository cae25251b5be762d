//! Drives in-process axum and actix-web services with many requests, for the benches, the
//! allocation test and the instruction counter, which must send exactly the same traffic to
//! the same trivial route: `GET /users/{id}`, answering the id.

use std::future::Future;
use std::pin::Pin;

use actix_web::test as actix_test;

/// An actix-web test service of any type (`actix_web::test::init_service`), as a trait object.
pub trait ActixCalls {
    /// Sends `n` requests, `GET` on each of `paths` in turn, reading each body to its end.
    fn get_each<'a>(
        &'a self,
        paths: &'a [String],
        n: u64,
    ) -> Pin<Box<dyn Future<Output = ()> + 'a>> {
        self.get_each_with(paths, n, &[])
    }

    /// [`ActixCalls::get_each`], each request carrying `headers`.
    fn get_each_with<'a>(
        &'a self,
        paths: &'a [String],
        n: u64,
        headers: &'a [(&'static str, &'static str)],
    ) -> Pin<Box<dyn Future<Output = ()> + 'a>>;
}

impl<S, B> ActixCalls for S
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    fn get_each_with<'a>(
        &'a self,
        paths: &'a [String],
        n: u64,
        headers: &'a [(&'static str, &'static str)],
    ) -> Pin<Box<dyn Future<Output = ()> + 'a>> {
        Box::pin(async move {
            for path in paths.iter().cycle().take(n as usize) {
                let mut request = actix_test::TestRequest::get().uri(path);
                for &header in headers {
                    request = request.insert_header(header);
                }
                let request = request.to_request();
                let response = actix_test::call_service(self, request).await;
                std::hint::black_box(actix_test::read_body(response).await);
            }
        })
    }
}

/// Paths of the `/users/{id}` route, far more distinct ones than actix-metrics' path memo
/// keeps (64 per memo slot on average): sent in turn, every one is new to the memo.
pub fn new_paths() -> Vec<String> {
    (0..64 * actix_metrics::Metrics::REMEMBERED_PATHS)
        .map(|i| format!("/users/{i}"))
        .collect()
}

/// The axum app every in-process measurement uses: `GET /users/{id}` answers the id.
pub fn axum_users() -> axum::Router {
    use axum::extract::Path;
    axum::Router::new().route(
        "/users/{id}",
        axum::routing::get(|Path(id): Path<u32>| async move { id.to_string() }),
    )
}

/// Sends `n` requests, `GET /users/42`, to `app` on `rt`, reading each body to its end.
///
/// Finalise `app` with `with_state(())` first, as `axum::serve` does: called as a service
/// without it, a `Router<()>` builds each handler's route, layers included, per request.
pub fn axum_get(rt: &tokio::runtime::Runtime, app: &axum::Router, n: u64) {
    axum_get_with(rt, app, n, &[]);
}

/// [`axum_get`], each request carrying `headers`.
pub fn axum_get_with(
    rt: &tokio::runtime::Runtime,
    app: &axum::Router,
    n: u64,
    headers: &[(&'static str, &'static str)],
) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    rt.block_on(async {
        for _ in 0..n {
            let mut request = axum::http::Request::get("/users/42");
            for &(name, value) in headers {
                request = request.header(name, value);
            }
            let request = request
                .body(axum::body::Body::empty())
                .expect("a valid request");
            let response = app.clone().oneshot(request).await.expect("infallible");
            std::hint::black_box(response.into_body().collect().await.expect("a full body"));
        }
    });
}

/// The actix-web handler every in-process measurement uses, for a route `/users/{id}` (or a
/// pattern of the same paths): answers the id.
pub fn actix_users() -> actix_web::Route {
    use actix_web::{web, HttpResponse};
    web::get().to(|id: web::Path<u32>| async move { HttpResponse::Ok().body(id.to_string()) })
}
