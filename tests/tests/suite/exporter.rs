//! The standalone `/metrics` server: from plain threads and from async code, the same
//! answers as the adapters' endpoints, 404 and 405 elsewhere, and a clean shutdown.

use std::io::Read;

use http_metrics_core::exporter::{self, Exporter};
use http_metrics_core::prometheus_client::metrics::counter::Counter;
use http_metrics_core::HttpMetrics;

fn metrics() -> (HttpMetrics, Counter) {
    let metrics = HttpMetrics::builder()
        .bearer_token("s3cret")
        .build()
        .unwrap();
    let lines: Counter = Counter::default();
    metrics
        .register("lines", "Lines read", lines.clone())
        .unwrap();
    lines.inc_by(3);
    (metrics, lines)
}

/// (status, content type, content encoding, allow, body) of one request.
fn get(
    client: &reqwest::blocking::Client,
    request: reqwest::blocking::RequestBuilder,
) -> (u16, String, String, String, Vec<u8>) {
    let response = client.execute(request.build().unwrap()).unwrap();
    let header = |name: &str| {
        (response.headers().get(name)).map_or(String::new(), |v| v.to_str().unwrap().to_owned())
    };
    let parts = (
        header("content-type"),
        header("content-encoding"),
        header("allow"),
    );
    let status = response.status().as_u16();
    (
        status,
        parts.0,
        parts.1,
        parts.2,
        response.bytes().unwrap().to_vec(),
    )
}

#[test]
fn from_a_plain_thread_it_serves_negotiates_refuses_and_shuts_down() {
    let (metrics, _lines) = metrics();
    let exporter = Exporter::start(&metrics, "127.0.0.1:0").unwrap();
    let base = format!("http://{}", exporter.local_addr());
    let client = reqwest::blocking::Client::builder()
        .no_gzip()
        .build()
        .unwrap();
    let auth = "Bearer s3cret";

    let (status, content_type, _, _, body) = get(
        &client,
        client
            .get(format!("{base}/metrics"))
            .header("authorization", auth),
    );
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/plain; version=0.0.4; charset=utf-8")
    );
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("lines_total 3\n"), "{text}");

    let request = (client.get(format!("{base}/metrics")))
        .header("authorization", auth)
        .header("accept", "application/openmetrics-text")
        .header("accept-encoding", "gzip");
    let (status, content_type, encoding, _, body) = get(&client, request);
    assert_eq!(status, 200);
    assert_eq!(
        content_type,
        "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"
    );
    assert_eq!(encoding, "gzip");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");

    let (status, ..) = get(&client, client.get(format!("{base}/metrics")));
    assert_eq!(
        status, 401,
        "the bearer token is required, as on the adapters"
    );
    let (status, _, _, _, body) = get(&client, client.get(format!("{base}/other")));
    assert_eq!(
        (status, body),
        (
            404,
            b"404 Not Found: metrics are served on /metrics\n".to_vec()
        )
    );
    let (status, _, _, allow, _) = get(&client, client.post(format!("{base}/metrics")));
    assert_eq!((status, allow.as_str()), (405, "GET, HEAD"));
    let (status, _, _, _, body) = get(
        &client,
        client
            .head(format!("{base}/metrics"))
            .header("authorization", auth),
    );
    assert_eq!((status, body.len()), (200, 0));

    let address = exporter.local_addr();
    exporter.shutdown();
    assert!(
        std::net::TcpStream::connect(address).is_err(),
        "nothing listens after shutdown"
    );
}

#[test]
fn an_address_in_use_is_an_error_at_start() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let error = Exporter::start(&HttpMetrics::new(), taken.local_addr().unwrap()).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
}

#[tokio::test]
async fn from_async_code_it_serves_until_the_shutdown_future_completes() {
    let (metrics, lines) = metrics();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn({
        let metrics = metrics.clone();
        async move {
            exporter::serve(&metrics, listener, async {
                let _ = stopped.await;
            })
            .await
        }
    });
    lines.inc();
    let response = reqwest::Client::new()
        .get(format!("http://{address}/metrics"))
        .header("authorization", "Bearer s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("lines_total 4\n"));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(tokio::net::TcpStream::connect(address).await.is_err());
}
