//! Sends the example services traffic that changes over time, to watch their metrics move:
//! a load that rises from one client per service to twelve and falls back over three minutes
//! (at its peak the clients contend for the simulated database pool of 10 connections), and
//! 10 seconds in, then every 30 seconds, a burst of concurrent writes that saturates the
//! pool, so that some answer `503`.
//!
//! ```text
//! cargo run -p examples --bin traffic -- [--seconds N] [--users URL]... [--orders URL]...
//! ```
//!
//! Without URLs, the four services at the ports of `examples/prometheus.yml`: users on 5000
//! and 5001, orders on 8000 and 8001. Runs for `--seconds` (default 180: one rise and fall),
//! printing what the services answered every 10 seconds. Exit status 2 for bad arguments, 1
//! when a service cannot be reached.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use examples::traffic::{orders_round, users_round, Tally};

/// How long the load takes to rise and fall back: longer than the minute a dashboard's
/// rates are usually taken over, so that they show it.
const PERIOD: Duration = Duration::from_secs(180);
/// Every this long, one round with a burst of concurrent writes, the first one
/// [`FIRST_BURST`] in.
const BURST_EVERY: Duration = Duration::from_secs(30);
const FIRST_BURST: Duration = Duration::from_secs(10);
/// Concurrent writes in a burst: more than the pool's 10 connections.
const BURST: usize = 24;
/// Clients per service at the load's peak, each running rounds one after the other.
const PEAK_CLIENTS: usize = 12;
/// Between two rounds of a client.
const PAUSE: Duration = Duration::from_millis(100);

struct Args {
    seconds: u64,
    users: Vec<String>,
    orders: Vec<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        seconds: 180,
        users: Vec::new(),
        orders: Vec::new(),
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => {
                let v = value()?;
                parsed.seconds = v
                    .parse()
                    .map_err(|_| format!("--seconds {v:?}: a whole number of seconds"))?;
            }
            "--users" => parsed.users.push(url(value()?)?),
            "--orders" => parsed.orders.push(url(value()?)?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if parsed.users.is_empty() && parsed.orders.is_empty() {
        parsed.users = vec![
            "http://127.0.0.1:5000".into(),
            "http://127.0.0.1:5001".into(),
        ];
        parsed.orders = vec![
            "http://127.0.0.1:8000".into(),
            "http://127.0.0.1:8001".into(),
        ];
    }
    Ok(parsed)
}

fn url(value: String) -> Result<String, String> {
    if value.starts_with("http://") || value.starts_with("https://") {
        Ok(value.trim_end_matches('/').to_owned())
    } else {
        Err(format!("{value:?} is not an http:// or https:// URL"))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(problem) => {
            eprintln!(
                "traffic: {problem}\nusage: traffic [--seconds N] [--users URL]... [--orders URL]..."
            );
            return ExitCode::from(2);
        }
    };
    let client = reqwest::Client::new();
    let start = Instant::now();
    let (mut next_burst, mut last_report) = (start + FIRST_BURST, start);
    let mut window = Tally::default();
    while start.elapsed() < Duration::from_secs(args.seconds) {
        let burst = if Instant::now() >= next_burst {
            next_burst += BURST_EVERY;
            BURST
        } else {
            0
        };
        // From one client per service up to [`PEAK_CLIENTS`] and back over each period, each
        // running a round at once: at the peak the rounds contend for the pool.
        let phase = start.elapsed().as_secs_f64() / PERIOD.as_secs_f64() * std::f64::consts::TAU;
        let clients = 1 + ((PEAK_CLIENTS - 1) as f64 * (1.0 - phase.cos()) / 2.0).round() as usize;
        let rounds = (0..clients).flat_map(|client_index| {
            // One client of each round brings the burst.
            let burst = if client_index == 0 { burst } else { 0 };
            let client = &client;
            args.users
                .iter()
                .map(move |base| futures_round(client, base, burst, true))
                .chain(
                    args.orders
                        .iter()
                        .map(move |base| futures_round(client, base, burst, false)),
                )
        });
        for result in futures_util::future::join_all(rounds).await {
            match result {
                Ok(tally) => window.merge(&tally),
                Err(e) => {
                    eprintln!("traffic: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        if last_report.elapsed() >= Duration::from_secs(10) {
            report(start.elapsed(), &window);
            window = Tally::default();
            last_report = Instant::now();
        }
        tokio::time::sleep(PAUSE).await;
    }
    report(start.elapsed(), &window);
    ExitCode::SUCCESS
}

async fn futures_round(
    client: &reqwest::Client,
    base: &str,
    burst: usize,
    users: bool,
) -> Result<Tally, String> {
    let round = if users {
        users_round(client, base, burst).await
    } else {
        orders_round(client, base, burst).await
    };
    round.map_err(|e| format!("{base}: {e}"))
}

fn report(elapsed: Duration, tally: &Tally) {
    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    for ((_, _, status), count) in &tally.0 {
        *statuses.entry(*status).or_default() += count;
    }
    let statuses: Vec<String> = statuses
        .iter()
        .map(|(status, count)| format!("{status}: {count}"))
        .collect();
    println!(
        "{:>4} s: {} requests ({})",
        elapsed.as_secs(),
        tally.total(),
        statuses.join(", ")
    );
}
