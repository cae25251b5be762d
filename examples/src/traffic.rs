//! Scripted traffic for the example services: a round of the requests a user of each
//! service makes — successes, client errors, unknown paths — and a burst of concurrent writes
//! that saturates the simulated database pool, so that some are answered `503`.
//!
//! Each call returns what the client saw, by method, route template and status: the figures
//! the services' metrics must show. The `traffic` binary runs rounds against running
//! services for a while, to watch the dashboards move; the dashboard test runs them against
//! a real Prometheus and compares.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Requests seen by the client: `(method, route template, status)` → count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally(pub BTreeMap<(&'static str, &'static str, u16), u64>);

impl Tally {
    fn add(&mut self, method: &'static str, route: &'static str, status: u16) {
        *self.0.entry((method, route, status)).or_default() += 1;
    }

    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &Tally) {
        for (key, count) in &other.0 {
            *self.0.entry(*key).or_default() += count;
        }
    }

    /// Requests of `route` (all methods), by status.
    pub fn by_status(&self, route: &str) -> BTreeMap<u16, u64> {
        let mut out = BTreeMap::new();
        for ((_, r, status), count) in &self.0 {
            if *r == route {
                *out.entry(*status).or_default() += count;
            }
        }
        out
    }

    /// All requests counted.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

/// The route template of requests no route matched, as the services label them.
pub const UNMATCHED: &str = "unmatched";

/// Sends `method` `url` with a JSON `body` (if any) and tallies its status under `route`.
async fn send(
    client: &reqwest::Client,
    tally: &mut Tally,
    method: &'static str,
    route: &'static str,
    url: String,
    body: Option<String>,
) -> Result<(u16, String), reqwest::Error> {
    let mut request = client.request(
        reqwest::Method::from_bytes(method.as_bytes()).expect("a method"),
        url,
    );
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    tally.add(method, route, status);
    Ok((status, text))
}

/// Distinct user names and ids across rounds.
static NEXT: AtomicU64 = AtomicU64::new(1);

/// One round against a users service at `base`: three sign-ups from different sources, each
/// new user read twice (a cache miss, then a hit), a missing user, malformed JSON, an unknown
/// path; then `burst` concurrent sign-ups, which the pool of 10 connections cannot all take.
///
/// # Errors
///
/// When a request gets no HTTP response at all.
pub async fn users_round(
    client: &reqwest::Client,
    base: &str,
    burst: usize,
) -> Result<Tally, reqwest::Error> {
    const USERS: &str = "/api/users";
    const USER: &str = "/api/users/{user_id}";
    let mut tally = Tally::default();
    for source in ["web", "mobile", "api"] {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let body = format!(r#"{{"name": "user {n}", "source": "{source}"}}"#);
        let (status, text) = send(
            client,
            &mut tally,
            "POST",
            USERS,
            format!("{base}{USERS}"),
            Some(body),
        )
        .await?;
        let id = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|user| user["id"].as_str().map(str::to_owned));
        if let (201, Some(id)) = (status, id) {
            for _ in 0..2 {
                send(
                    client,
                    &mut tally,
                    "GET",
                    USER,
                    format!("{base}/api/users/{id}"),
                    None,
                )
                .await?;
            }
        }
    }
    send(
        client,
        &mut tally,
        "GET",
        USER,
        format!("{base}/api/users/missing"),
        None,
    )
    .await?;
    send(
        client,
        &mut tally,
        "POST",
        USERS,
        format!("{base}{USERS}"),
        Some("{oops".into()),
    )
    .await?;
    send(
        client,
        &mut tally,
        "GET",
        UNMATCHED,
        format!("{base}/api/nowhere"),
        None,
    )
    .await?;
    let sign_ups = (0..burst).map(|_| {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        format!(r#"{{"name": "burst {n}", "source": "import"}}"#)
    });
    tally.merge(&post_at_once(client, USERS, &format!("{base}{USERS}"), sign_ups).await?);
    Ok(tally)
}

/// POSTs each of `bodies` to `url`, of route `route`, all at once.
async fn post_at_once(
    client: &reqwest::Client,
    route: &'static str,
    url: &str,
    bodies: impl Iterator<Item = String>,
) -> Result<Tally, reqwest::Error> {
    let requests = bodies.map(|body| async move {
        let mut tally = Tally::default();
        send(
            client,
            &mut tally,
            "POST",
            route,
            url.to_owned(),
            Some(body),
        )
        .await?;
        Ok::<_, reqwest::Error>(tally)
    });
    let mut tally = Tally::default();
    for result in futures_util::future::join_all(requests).await {
        tally.merge(&result?);
    }
    Ok(tally)
}

/// One round against an orders service at `base`: four orders of different totals, payment
/// methods and categories, two inventory updates, an order without a total, an unknown
/// path; then `burst` concurrent orders, which the pool cannot all take.
///
/// # Errors
///
/// When a request gets no HTTP response at all.
pub async fn orders_round(
    client: &reqwest::Client,
    base: &str,
    burst: usize,
) -> Result<Tally, reqwest::Error> {
    const ORDERS: &str = "/api/orders";
    const INVENTORY: &str = "/api/inventory/{product_id}";
    let mut tally = Tally::default();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    for (total, method, category) in [
        (19.5, "card", "books"),
        (75.0, "paypal", "electronics"),
        (240.0, "card", "home"),
        (
            1200.0 + (n % 7) as f64 * 100.0,
            "bank_transfer",
            "electronics",
        ),
    ] {
        let body = format!(
            r#"{{"total": {total}, "payment_method": "{method}", "product_category": "{category}"}}"#
        );
        send(
            client,
            &mut tally,
            "POST",
            ORDERS,
            format!("{base}{ORDERS}"),
            Some(body),
        )
        .await?;
    }
    for (product, quantity, warehouse) in [("sku-1", 40 - (n % 40), "east"), ("sku-2", 5, "west")] {
        let url =
            format!("{base}/api/inventory/{product}?quantity={quantity}&warehouse={warehouse}");
        send(client, &mut tally, "PUT", INVENTORY, url, None).await?;
    }
    let body = r#"{"payment_method": "card"}"#.to_owned();
    send(
        client,
        &mut tally,
        "POST",
        ORDERS,
        format!("{base}{ORDERS}"),
        Some(body),
    )
    .await?;
    send(
        client,
        &mut tally,
        "GET",
        UNMATCHED,
        format!("{base}/api/nowhere"),
        None,
    )
    .await?;
    let orders = (0..burst).map(|i| {
        format!(
            r#"{{"total": {}, "payment_method": "apple_pay", "product_category": "grocery"}}"#,
            10 + i
        )
    });
    tally.merge(&post_at_once(client, ORDERS, &format!("{base}{ORDERS}"), orders).await?);
    Ok(tally)
}
