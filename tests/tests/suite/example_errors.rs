//! The example services answer every error the same way on both frameworks: the status, a
//! JSON `{"error": ...}` body saying what was wrong, and the request counted with that
//! status.

use http_metrics_core::HttpMetrics;
use tests::servers::{self, Server};
use tests::Exposition;

/// The users and orders services, each on axum and on actix-web, with their metrics.
async fn services() -> Vec<(&'static str, Server, HttpMetrics)> {
    let users_axum = HttpMetrics::new();
    let orders_axum = HttpMetrics::new();
    let users_actix = HttpMetrics::new();
    let orders_actix = HttpMetrics::new();
    vec![
        (
            "users-axum",
            servers::axum(examples::users::axum::router(&users_axum)).await,
            users_axum,
        ),
        (
            "orders-axum",
            servers::axum(examples::orders::axum::router(&orders_axum, "test")).await,
            orders_axum,
        ),
        (
            "users-actix",
            servers::users_actix(&users_actix, 1),
            users_actix,
        ),
        (
            "orders-actix",
            servers::orders_actix(&orders_actix, "test", 1),
            orders_actix,
        ),
    ]
}

/// Sends a request and returns (status, content type, `Allow`, JSON body).
async fn send(
    client: &reqwest::Client,
    request: reqwest::RequestBuilder,
) -> (u16, String, Option<String>, serde_json::Value) {
    let response = client.execute(request.build().unwrap()).await.unwrap();
    let header =
        |name: &str| (response.headers().get(name)).map(|v| v.to_str().unwrap().to_owned());
    let (content_type, allow) = (header("content-type").unwrap_or_default(), header("allow"));
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap();
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)));
    (status, content_type, allow, json)
}

/// POSTs a JSON body of `len` bytes as curl does: writing it on one thread while the answer
/// is read on another, since a server refusing the body may answer, and close, before the
/// client has sent it all. Returns (status, content type, JSON body).
fn upload(base: &str, path: &str, len: usize) -> (u16, String, serde_json::Value) {
    use std::io::{BufRead, BufReader, Read, Write};
    let address = base.strip_prefix("http://").unwrap();
    let stream = std::net::TcpStream::connect(address).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n\
         content-length: {len}\r\nconnection: close\r\n\r\n"
    );
    let sending = std::thread::spawn(move || {
        // The server may stop reading at any point: a failed write is expected.
        let _ = writer.write_all(head.as_bytes());
        let chunk = vec![b'x'; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(chunk.len());
            if writer.write_all(&chunk[..n]).is_err() {
                break;
            }
            left -= n;
        }
    });
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let (mut content_type, mut content_length) = (String::new(), None);
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        match name.to_ascii_lowercase().as_str() {
            "content-type" => content_type = value.trim().to_owned(),
            "content-length" => content_length = Some(value.trim().parse::<usize>().unwrap()),
            _ => {}
        }
    }
    let mut body = vec![0; content_length.expect("a content-length")];
    reader.read_exact(&mut body).unwrap();
    drop(reader);
    let _ = sending.join();
    (status, content_type, serde_json::from_slice(&body).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_json_and_counted_alike_on_both_frameworks() {
    let client = reqwest::Client::new();
    for (name, server, metrics) in services().await {
        let (post_path, item_path, item_route, allow) = if name.starts_with("users") {
            ("/api/users", "/api/users/1", "/api/users/{user_id}", "GET")
        } else {
            let route = "/api/inventory/{product_id}";
            ("/api/orders", "/api/inventory/sku-1", route, "PUT")
        };
        // axum's `get` also answers HEAD, and says so; actix-web's `web::get()` does not.
        let allow = match (name.ends_with("axum"), allow) {
            (true, "GET") => "GET,HEAD",
            _ => allow,
        };

        let too_big = serde_json::json!({"error": "request body is larger than 65536 bytes"});
        let json = "application/json".to_owned();
        let base = server.base.clone();
        let path = post_path.to_owned();
        let answer = tokio::task::spawn_blocking(move || upload(&base, &path, 10 << 20));
        assert_eq!(
            answer.await.unwrap(),
            (413, json.clone(), too_big),
            "{name}"
        );

        let request = client.delete(server.url(item_path));
        let wrong_method =
            serde_json::json!({"error": format!("DELETE is not allowed on {item_path}")});
        assert_eq!(
            send(&client, request).await,
            (405, json.clone(), Some(allow.to_owned()), wrong_method),
            "{name}"
        );

        let request = client.get(server.url("/no/such/page"));
        let no_route = serde_json::json!({"error": "no route for GET /no/such/page"});
        assert_eq!(
            send(&client, request).await,
            (404, json.clone(), None, no_route),
            "{name}"
        );

        let text = metrics
            .encode(http_metrics_core::Format::Prometheus)
            .unwrap();
        let m = Exposition::parse(&text);
        let total = |method, route, status| {
            let labels = [("method", method), ("route", route), ("status", status)];
            m.get("http_requests_total", &labels)
        };
        assert_eq!(total("POST", post_path, "413"), Some(1.0), "{name}");
        assert_eq!(total("DELETE", item_route, "405"), Some(1.0), "{name}");
        assert_eq!(total("GET", "unmatched", "404"), Some(1.0), "{name}");
        assert_eq!(m.series("http_requests_total").len(), 3, "{name}: {text}");
    }
}
