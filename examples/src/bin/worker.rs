//! The guide's queue worker: processes a deterministic batch of simulated jobs, with
//! `/metrics` on `PORT` (default 8003, `HOST` default 127.0.0.1) while it runs and for
//! `LINGER_SECONDS` (default 15) after, so that Prometheus scrapes the final figures. See
//! `examples::worker`.

use std::process::ExitCode;
use std::time::Duration;

use tower_metrics::exporter::Exporter;
use tower_metrics::HttpMetrics;

fn main() -> ExitCode {
    examples::env::Usage {
        program: "worker",
        about: "the queue worker and its payment calls",
        variables: &[&[
            ("HOST", "address of /metrics (default 127.0.0.1)"),
            ("PORT", "port of /metrics (default 8003); 0: any free port"),
            (
                "LINGER_SECONDS",
                "keep serving /metrics this long after the queue is done (default unset)",
            ),
        ]],
    }
    .handle_help();
    let var = |n: &str| std::env::var(n).ok();
    let (host, port) = match examples::env::listen_addr_from(var, 8003) {
        Ok(addr) => addr,
        Err(e) => return fail(e, 2),
    };
    let linger = match var("LINGER_SECONDS").filter(|v| !v.is_empty()) {
        None => 15,
        Some(value) => match value.trim().parse::<u64>() {
            Ok(seconds) => seconds,
            Err(_) => return fail(format!("LINGER_SECONDS={value:?}: a number of seconds"), 2),
        },
    };
    let metrics = HttpMetrics::global();
    let worker_metrics = examples::worker::WorkerMetrics::register(metrics);
    let exporter = match Exporter::start(metrics, (host.as_str(), port)) {
        Ok(exporter) => exporter,
        Err(e) => return fail(format!("cannot listen on {host}:{port}: {e}"), 1),
    };
    println!(
        "worker serving /metrics on http://{}",
        exporter.local_addr()
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(e, 1),
    };
    let worker = examples::worker::Worker::new(worker_metrics, examples::worker::batch());
    let (succeeded, failed) = runtime.block_on(worker.run());
    println!("batch done: {succeeded} succeeded, {failed} failed");
    std::thread::sleep(Duration::from_secs(linger));
    exporter.shutdown();
    ExitCode::SUCCESS
}

fn fail(error: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("worker: {error}");
    ExitCode::from(code)
}
