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
