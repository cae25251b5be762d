//! The OpenCensus guide's REPL: upper-cases standard input, `/metrics` on `PORT` (default
//! 8002, `HOST` default 127.0.0.1). See `examples::repl`.

use std::process::ExitCode;

use tower_metrics::exporter::Exporter;
use tower_metrics::HttpMetrics;

fn main() -> ExitCode {
    examples::env::Usage {
        program: "repl",
        about: "the OpenCensus guide's REPL: each line of standard input, measured",
        variables: &[&[
            ("HOST", "address of /metrics (default 127.0.0.1)"),
            ("PORT", "port of /metrics (default 8002); 0: any free port"),
        ]],
    }
    .handle_help();
    let (host, port) = match examples::env::listen_addr_from(|n| std::env::var(n).ok(), 8002) {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("repl: {e}");
            return ExitCode::from(2);
        }
    };
    let metrics = HttpMetrics::global();
    let views = examples::repl::Views::register(metrics);
    let exporter = match Exporter::start(metrics, (host.as_str(), port)) {
        Ok(exporter) => exporter,
        Err(e) => {
            eprintln!("repl: cannot listen on {host}:{port}: {e}");
            return ExitCode::from(1);
        }
    };
    eprintln!("repl serving /metrics on http://{}", exporter.local_addr());
    let stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    match examples::repl::run(&views, stdin, &mut stdout) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of standard output went away: the end, as for `head`.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("repl: {e}");
            ExitCode::from(1)
        }
    }
}
