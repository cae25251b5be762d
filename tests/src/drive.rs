//! Drives an in-process actix-web test service with many requests, for the benches and the
//! allocation test, which must send exactly the same traffic.

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
    fn get_each<'a>(
        &'a self,
        paths: &'a [String],
        n: u64,
    ) -> Pin<Box<dyn Future<Output = ()> + 'a>> {
        Box::pin(async move {
            for path in paths.iter().cycle().take(n as usize) {
                let request = actix_test::TestRequest::get().uri(path).to_request();
                let response = actix_test::call_service(self, request).await;
                std::hint::black_box(actix_test::read_body(response).await);
            }
        })
    }
}
