//! Reading the listen address from `HOST` and `PORT`.

use std::fmt;

/// A variable that is set but unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError {
    /// The variable's name.
    pub name: &'static str,
    /// Its value.
    pub value: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={:?} is invalid: {}",
            self.name, self.value, self.reason
        )
    }
}

impl std::error::Error for EnvError {}

/// `(HOST, PORT)`: `HOST` defaults to `127.0.0.1`, `PORT` to `default_port`.
///
/// ```
/// let (host, port) = examples::env::listen_addr_from(|_| None, 5000).unwrap();
/// assert_eq!((host.as_str(), port), ("127.0.0.1", 5000));
/// let err = examples::env::listen_addr_from(|n| (n == "PORT").then(|| "http".into()), 5000)
///     .unwrap_err();
/// assert_eq!(err.to_string(), "PORT=\"http\" is invalid: must be a number from 0 to 65535");
/// ```
pub fn listen_addr_from(
    var: impl Fn(&str) -> Option<String>,
    default_port: u16,
) -> Result<(String, u16), EnvError> {
    let host = var("HOST")
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "127.0.0.1".into());
    let port = match var("PORT") {
        None => default_port,
        Some(value) => value.trim().parse().map_err(|_| EnvError {
            name: "PORT",
            value,
            reason: "must be a number from 0 to 65535",
        })?,
    };
    Ok((host, port))
}

/// The usage of a program: what it is, and each environment variable it reads with its
/// default. [`Usage::handle_help`] prints it for `--help`.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// The program's name.
    pub program: &'static str,
    /// One line on what it does.
    pub about: &'static str,
    /// Each variable, in groups: its name and what it sets (with its default).
    pub variables: &'static [&'static [(&'static str, &'static str)]],
}

/// The variables every example service reads.
pub const SERVICE_VARIABLES: &[(&str, &str)] = &[
    ("HOST", "address to listen on (default 127.0.0.1)"),
    ("PORT", "the service's port; 0: any free port"),
    (
        "METRICS_PORT",
        "serve /metrics only on this port, not on PORT (default unset)",
    ),
    (
        "METRICS_TOKEN",
        "require `Authorization: Bearer <token>` on /metrics (default unset)",
    ),
    (
        "REMOTE_WRITE_URL",
        "also push the metrics to this remote-write endpoint (default unset)",
    ),
];

/// The variables of a program's remote-write pushes, besides `REMOTE_WRITE_URL`.
pub const PUSH_VARIABLES: &[(&str, &str)] = &[
    (
        "REMOTE_WRITE_TOKEN",
        "bearer token for the pushes (default unset)",
    ),
    (
        "PUSH_INTERVAL_SECONDS",
        "seconds between pushes (default 15)",
    ),
    (
        "REMOTE_WRITE_VERSION",
        "1.0 or 2.0, the remote-write protocol (default 1.0)",
    ),
];

impl Usage {
    /// The usage text.
    ///
    /// ```
    /// let usage = examples::env::Usage {
    ///     program: "repl",
    ///     about: "a REPL",
    ///     variables: &[&[("PORT", "port of /metrics (default 8002)")]],
    /// };
    /// assert_eq!(
    ///     usage.text(),
    ///     "repl: a REPL\n\nEnvironment variables:\n  PORT  port of /metrics (default 8002)\n"
    /// );
    /// ```
    pub fn text(&self) -> String {
        let all = || self.variables.iter().flat_map(|group| group.iter());
        let width = all().map(|(n, _)| n.len()).max().unwrap_or(0);
        let mut text = format!(
            "{}: {}\n\nEnvironment variables:\n",
            self.program, self.about
        );
        for (name, meaning) in all() {
            text.push_str(&format!("  {name:width$}  {meaning}\n"));
        }
        text
    }

    /// Prints the usage and exits when the program's first argument is `--help` or `-h`.
    pub fn handle_help(&self) {
        if matches!(std::env::args().nth(1).as_deref(), Some("--help" | "-h")) {
            print!("{}", self.text());
            std::process::exit(0);
        }
    }
}
