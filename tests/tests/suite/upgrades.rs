//! A WebSocket upgrade is recorded as one 101 request when the upgrade is answered, and is not
//! in flight while the socket stays open, on both frameworks; with upgraded connections
//! tracked, the socket is counted open until it closes, and its lifetime observed then.

use futures_util::{SinkExt, StreamExt};
use http_metrics_core::HttpMetrics;
use tests::servers::{self, Server};
use tokio_tungstenite::tungstenite::Message;

fn metrics() -> HttpMetrics {
    HttpMetrics::builder()
        .upgraded_connections(true)
        .build()
        .expect("valid options")
}

/// An echo WebSocket on `/ws` that holds an `UpgradedConnection` while it runs.
async fn axum_server(metrics: &HttpMetrics) -> Server {
    use axum::extract::ws::WebSocketUpgrade;
    use axum::extract::{MatchedPath, State};
    let app =
        axum::Router::new()
            .route(
                "/ws",
                axum::routing::get(
                    |ws: WebSocketUpgrade,
                     path: MatchedPath,
                     State(metrics): State<HttpMetrics>| async move {
                        ws.on_upgrade(move |mut socket| async move {
                            // Opened once the upgrade succeeded.
                            let _connection =
                                metrics.upgraded_connection(&http::Method::GET, path.as_str());
                            while let Some(Ok(message)) = socket.recv().await {
                                if socket.send(message).await.is_err() {
                                    break;
                                }
                            }
                        })
                    },
                ),
            )
            .with_state(metrics.clone())
            .merge(tower_metrics::metrics_router_with(metrics))
            .layer(tower_metrics::MetricsLayer::with_metrics(metrics));
    servers::axum(app).await
}

/// The same echo WebSocket with actix-ws: nothing to hold, the adapter tracks it.
fn actix_server(metrics: &HttpMetrics) -> Server {
    use actix_web::{web, App, HttpRequest};
    servers::actix(metrics, 1, |m| {
        App::new()
            .wrap(actix_metrics::Metrics::with_metrics(m))
            .service(actix_metrics::metrics_service_with(m))
            .route(
                "/ws",
                web::get().to(|req: HttpRequest, body: web::Payload| async move {
                    let (response, mut session, mut stream) = actix_ws::handle(&req, body)?;
                    actix_web::rt::spawn(async move {
                        while let Some(Ok(message)) = stream.next().await {
                            match message {
                                actix_ws::Message::Text(text)
                                    if session.text(text.clone()).await.is_err() =>
                                {
                                    break;
                                }
                                actix_ws::Message::Close(reason) => {
                                    let _ = session.close(reason).await;
                                    return;
                                }
                                _ => {}
                            }
                        }
                    });
                    Ok::<_, actix_web::Error>(response)
                }),
            )
    })
}

async fn scrape(client: &reqwest::Client, server: &Server) -> tests::Exposition {
    tests::conformance::scrape(client, &server.base).await.1
}

/// Polls the exposition until `name{labels}` is `value`: the server notices a close a
/// moment after the client sent it.
async fn eventually(
    client: &reqwest::Client,
    server: &Server,
    name: &str,
    labels: &[(&str, &str)],
    value: f64,
) -> tests::Exposition {
    for _ in 0..600 {
        let m = scrape(client, server).await;
        if m.get(name, labels) == Some(value) {
            return m;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{name}{labels:?} never became {value}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_is_one_101_request_and_the_socket_is_tracked_until_it_closes() {
    let client = reqwest::Client::new();
    let axum_metrics = metrics();
    let axum = axum_server(&axum_metrics).await;
    let actix_metrics = metrics();
    let actix = actix_server(&actix_metrics);
    let route = [("method", "GET"), ("route", "/ws")];
    let request = [("method", "GET"), ("route", "/ws"), ("status", "101")];
    for (framework, server) in [("axum", &axum), ("actix", &actix)] {
        let url = server.base.replacen("http://", "ws://", 1) + "/ws";
        let (mut socket, response) = tokio_tungstenite::connect_async(url)
            .await
            .unwrap_or_else(|e| panic!("{framework}: {e}"));
        assert_eq!(response.status(), 101);
        socket.send(Message::text("hello")).await.unwrap();
        let echo = socket.next().await.expect("an echo").expect("a message");
        assert_eq!(echo, Message::text("hello"), "{framework}");

        // Open: the upgrade was recorded once, and is no longer in flight.
        let open = scrape(&client, server).await;
        assert_eq!(
            open.get("http_requests_total", &request),
            Some(1.0),
            "{framework}"
        );
        assert_eq!(
            open.get("http_request_duration_seconds_count", &request),
            Some(1.0),
            "{framework}"
        );
        assert_eq!(
            open.get("http_requests_in_flight", &route),
            Some(0.0),
            "{framework}"
        );
        assert_eq!(
            open.get("http_upgraded_connections_open", &route),
            Some(1.0),
            "{framework}"
        );
        assert_eq!(
            open.get("http_upgraded_connection_duration_seconds_count", &route),
            Some(0.0),
            "{framework}"
        );

        socket.close(None).await.unwrap();
        let closed = eventually(
            &client,
            server,
            "http_upgraded_connections_open",
            &route,
            0.0,
        )
        .await;
        assert_eq!(
            closed.get("http_upgraded_connection_duration_seconds_count", &route),
            Some(1.0),
            "{framework}"
        );
        assert_eq!(
            closed.get("http_requests_total", &request),
            Some(1.0),
            "{framework}: the close records no second request"
        );
        assert_eq!(
            closed.series("http_requests_total").len(),
            1,
            "{framework}: {:?}",
            closed.series("http_requests_total")
        );
    }
}

/// Without the option, the upgrade is still one 101 request, out of flight while the socket
/// is open, and there are no connection families.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untracked_upgrades_are_still_one_101_request_out_of_flight() {
    let client = reqwest::Client::new();
    let axum_metrics = HttpMetrics::new();
    let axum = axum_server(&axum_metrics).await;
    let actix_metrics = HttpMetrics::new();
    let actix = actix_server(&actix_metrics);
    for (framework, server) in [("axum", &axum), ("actix", &actix)] {
        let url = server.base.replacen("http://", "ws://", 1) + "/ws";
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        socket.send(Message::text("hi")).await.unwrap();
        socket.next().await.expect("an echo").expect("a message");
        let m = scrape(&client, server).await;
        let request = [("method", "GET"), ("route", "/ws"), ("status", "101")];
        assert_eq!(
            m.get("http_requests_total", &request),
            Some(1.0),
            "{framework}"
        );
        assert_eq!(
            m.get(
                "http_requests_in_flight",
                &[("method", "GET"), ("route", "/ws")]
            ),
            Some(0.0),
            "{framework}"
        );
        assert!(
            m.series("http_upgraded_connections_open").is_empty(),
            "{framework}"
        );
        socket.close(None).await.unwrap();
    }
}
