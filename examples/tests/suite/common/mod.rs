//! What the example binaries' tests share.

use std::io::{Read, Write};

/// `GET /metrics` on `address` over a plain socket: the body of a `200`.
pub(crate) fn scrape(address: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: example\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_owned()
}

/// A running binary, killed when dropped (also when the test fails).
pub(crate) struct Running(pub(crate) std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The address in a binary's "... serving /metrics on http://ADDR[, ...]" line.
fn address(line: &str) -> String {
    let (_, address) = (line.trim().split_once("http://")).unwrap_or_else(|| panic!("{line:?}"));
    address.split([',', ' ']).next().unwrap().to_owned()
}

/// Starts `command` with its stdout piped: it, the address its first line announces, and
/// the rest of its stdout.
pub(crate) fn spawn_announcing(
    command: &mut std::process::Command,
) -> (
    Running,
    String,
    std::io::BufReader<std::process::ChildStdout>,
) {
    use std::io::BufRead;
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    (Running(child), address(&line), stdout)
}

/// The `repl` binary on a free port: it, its `/metrics` address, its input and its output.
pub(crate) fn start_repl() -> (
    Running,
    String,
    std::process::ChildStdin,
    std::io::BufReader<std::process::ChildStdout>,
) {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_repl"))
        .env_clear()
        .env("PORT", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut announce = String::new();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    stderr.read_line(&mut announce).unwrap();
    let stdin = child.stdin.take().unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    (Running(child), address(&announce), stdin, stdout)
}

/// The `worker` binary on a free port, lingering: it and its `/metrics` address, once its
/// batch is done (the summary line checked).
pub(crate) fn start_worker() -> (Running, String) {
    use std::io::BufRead;
    let (running, address, mut stdout) = spawn_announcing(
        std::process::Command::new(env!("CARGO_BIN_EXE_worker"))
            .env_clear()
            .env("PORT", "0")
            .env("LINGER_SECONDS", "600"),
    );
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "batch done: 21 succeeded, 3 failed\n");
    (running, address)
}

/// How many CPUs `/proc/stat` lists: the series a per-CPU observer reports.
pub(crate) fn cpus_listed() -> usize {
    let listed = std::fs::read_to_string("/proc/stat").unwrap();
    listed
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count()
}
