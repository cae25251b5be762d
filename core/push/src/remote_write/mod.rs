//! The remote-write sender: snapshots on an interval, a bounded buffer, one sending loop with
//! backoff, all on a thread of its own.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{watch, Notify};

use self::health::Health;
use self::series::{Batch, Metadata, SeriesTable};
use super::{Auth, PushError};
use http_metrics_core::HttpMetrics;

mod health;
mod series;
mod v2;
mod wire;

/// How often the registry is snapshotted and sent by default: the OpenTelemetry guide's 15 s,
/// also Prometheus' usual scrape interval.
pub const DEFAULT_PUSH_INTERVAL: Duration = Duration::from_secs(15);

/// How long one request may take by default before it is abandoned and retried (Prometheus'
/// `remote_timeout`).
pub const DEFAULT_REMOTE_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// How many samples the sender holds for a receiver that is not taking them, by default:
/// 500,000, which keeps 12 minutes of a 10,000-series service at 15 s. Samples wait as the
/// compressed requests that will carry them (about 12 bytes a sample for the HTTP
/// families). Past the cap the oldest requests are dropped, and their samples counted.
pub const DEFAULT_MAX_BUFFERED_SAMPLES: usize = 500_000;

/// How many samples one request carries at most by default (Prometheus' own default).
pub const DEFAULT_MAX_SAMPLES_PER_SEND: usize = 2_000;

/// Metadata goes out with the first request of a snapshot when it changed, or when it was
/// last sent this long ago (Prometheus' `send_interval` for metadata).
const METADATA_INTERVAL: Duration = Duration::from_secs(60);

/// The `Content-Type` of a remote-write 2.0 request.
const V2_CONTENT_TYPE: &str = "application/x-protobuf;proto=io.prometheus.write.v2.Request";

/// The outcome of a 2.0 request that a receiver of 1.0 only would lose.
const FALLBACK: &str = "remote-write 2.0 not taken";

/// The longest a `Retry-After` is obeyed.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// How much of a refusal's body is kept for the log and [`RemoteWriteStats::last_error`].
const MAX_MESSAGE: usize = 1024;

/// A Prometheus remote-write sender's settings; [`RemoteWrite::start`] runs it.
///
/// Every [`RemoteWrite::interval`] the sender encodes the registry (collectors and summaries
/// included, as a scrape would) and turns each line of the exposition into a series, exactly
/// as a Prometheus scraping `/metrics` would store it: `http_requests_total{...}`, a
/// histogram's `_bucket{le}`, `_sum` and `_count`, a summary's quantiles, `_sum` and
/// `_count`, an info metric's `_info`. The [external labels](RemoteWrite::external_label)
/// (`job`, `instance`, ...) play the part of the target's labels and are added to every
/// series that lacks them (a series' own label of that name wins, as with Prometheus'
/// `external_labels`; a scrape with `honor_labels: false` would keep the target's and
/// rename the series' to `exported_<name>`). A series that disappears gets a staleness
/// marker, as in a scrape. Family metadata (type, help, unit) travels too, and so do native
/// histograms (as histograms under the family's own name, beside the classic series) and
/// exemplars (on the counter, the buckets and the native histogram).
///
/// The sender runs on a thread of its own; requests never wait for it. What the receiver has
/// not taken waits in a buffer of at most [`RemoteWrite::max_buffered_samples`]; past that
/// the oldest samples are dropped and counted. Connection failures, timeouts, `5xx` and `429`
/// are retried with exponential backoff and jitter (a `429`'s or `503`'s `Retry-After` is
/// obeyed); any other refusal (`400` for samples the receiver rejects) is not retried: its
/// samples are counted as failed and its message logged (through the `log` crate) and kept
/// in [`RemoteWriteStats::last_error`]. A retried request is the same bytes with the same
/// timestamps, so a receiver that had stored it stores nothing new.
///
/// The sender's health is on the same registry, labelled with the receiver's `url`:
///
/// | metric | type | |
/// |---|---|---|
/// | `remote_write_samples_sent_total` | counter | samples the receiver took |
/// | `remote_write_samples_retried_total` | counter | samples sent again after a retryable failure |
/// | `remote_write_samples_failed_total` | counter | samples the receiver refused for good |
/// | `remote_write_samples_dropped_total` | counter | samples dropped from a full buffer, or left at shutdown |
/// | `remote_write_samples_pending` | gauge | samples buffered or in flight |
/// | `remote_write_last_success_timestamp_seconds` | gauge | when a request last succeeded |
///
/// ```no_run
/// use std::time::Duration;
/// use http_metrics_push::RemoteWrite;
/// use http_metrics_core::HttpMetrics;
///
/// let metrics = HttpMetrics::new();
/// let writer = RemoteWrite::new("http://victoria-metrics:8428/api/v1/write")
///     .unwrap()
///     .interval(Duration::from_secs(10))
///     .external_label("job", "users")
///     .external_label("instance", "users-1")
///     .start(&metrics)
///     .unwrap();
/// // ... the service runs ...
/// let stats = writer.shutdown_blocking();
/// assert_eq!(stats.pending, 0);
/// ```
#[derive(Clone)]
pub struct RemoteWrite {
    url: String,
    interval: Duration,
    external_labels: Vec<(String, String)>,
    auth: Option<Auth>,
    timeout: Duration,
    max_buffered_samples: usize,
    max_samples_per_send: usize,
    min_backoff: Duration,
    max_backoff: Duration,
    shutdown_timeout: Duration,
    version: RemoteWriteVersion,
}

/// The remote-write protocol a sender speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RemoteWriteVersion {
    /// Remote-write 1.0 (`prometheus.WriteRequest`), which every receiver takes: the default.
    #[default]
    V1,
    /// Remote-write 2.0 (`io.prometheus.write.v2.Request`: a symbol table, metadata on every
    /// series), received by Prometheus 3.8 and later. A receiver that answers `415`, or
    /// answers success without saying what it wrote (a 1.0 receiver that took nothing), is
    /// sent the same batch again in 1.0, and 1.0 from then on.
    V2,
}

impl fmt::Debug for RemoteWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Credentials never appear in logs.
        f.debug_struct("RemoteWrite")
            .field("url", &health::display_url(&self.url))
            .field("interval", &self.interval)
            .field("external_labels", &self.external_labels)
            .field("auth", &self.auth.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("max_buffered_samples", &self.max_buffered_samples)
            .field("max_samples_per_send", &self.max_samples_per_send)
            .field("min_backoff", &self.min_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("version", &self.version)
            .finish()
    }
}

impl RemoteWrite {
    /// A sender to the remote-write endpoint at `url`: `http://prometheus:9090/api/v1/write`
    /// (Prometheus run with `--web.enable-remote-write-receiver`),
    /// `http://victoria-metrics:8428/api/v1/write`, `http://mimir/api/v1/push`,
    /// `http://thanos-receive:19291/api/v1/receive`.
    ///
    /// # Errors
    ///
    /// [`PushError::Config`] when `url` is not an `http` or `https` URL.
    ///
    /// ```
    /// use http_metrics_push::RemoteWrite;
    ///
    /// assert!(RemoteWrite::new("https://mimir.example.com/api/v1/push").is_ok());
    /// let err = RemoteWrite::new("mimir:9009").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "invalid push configuration: \"mimir:9009\" is not an http:// or https:// address"
    /// );
    /// ```
    pub fn new(url: &str) -> Result<Self, PushError> {
        super::check_url(url)?;
        // What reqwest would refuse on every request, refused once, here.
        match reqwest::Url::parse(url) {
            Ok(parsed) if parsed.host_str().is_some_and(|h| !h.is_empty()) => {}
            _ => {
                return Err(PushError::Config(format!(
                    "{url:?} is not a valid http:// or https:// URL"
                )))
            }
        }
        Ok(Self {
            url: url.to_owned(),
            interval: DEFAULT_PUSH_INTERVAL,
            external_labels: Vec::new(),
            auth: None,
            timeout: DEFAULT_REMOTE_WRITE_TIMEOUT,
            max_buffered_samples: DEFAULT_MAX_BUFFERED_SAMPLES,
            max_samples_per_send: DEFAULT_MAX_SAMPLES_PER_SEND,
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(10),
            version: RemoteWriteVersion::V1,
        })
    }

    /// How often to snapshot and send (default [`DEFAULT_PUSH_INTERVAL`]).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Adds a label to every series that has no label of that name, as Prometheus'
    /// `external_labels` do; `job` and `instance` stand for the scrape target's.
    pub fn external_label(mut self, name: &str, value: &str) -> Self {
        self.external_labels.retain(|(n, _)| n != name);
        self.external_labels
            .push((name.to_owned(), value.to_owned()));
        self
    }

    /// Authenticates with `Authorization: Bearer <token>`.
    pub fn bearer_token(mut self, token: &str) -> Self {
        self.auth = Some(Auth::Bearer(token.to_owned()));
        self
    }

    /// Authenticates with HTTP basic auth.
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        self.auth = Some(Auth::Basic(user.to_owned(), password.to_owned()));
        self
    }

    /// How long one request may take before it is abandoned and retried (default
    /// [`DEFAULT_REMOTE_WRITE_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many samples to hold for a receiver that is not taking them (default
    /// [`DEFAULT_MAX_BUFFERED_SAMPLES`]); the oldest go first.
    pub fn max_buffered_samples(mut self, samples: usize) -> Self {
        self.max_buffered_samples = samples;
        self
    }

    /// How many samples one request carries at most (default
    /// [`DEFAULT_MAX_SAMPLES_PER_SEND`]).
    pub fn max_samples_per_send(mut self, samples: usize) -> Self {
        self.max_samples_per_send = samples;
        self
    }

    /// The shortest and the longest wait between retries (default 50 ms and 5 s): the `n`th
    /// retry waits between half and all of `min × 2ⁿ` (at most `max`), drawn at random so
    /// that senders do not retry in step. A `Retry-After` from a `429` or `503` is a floor
    /// under it.
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max;
        self
    }

    /// The protocol to speak (default [`RemoteWriteVersion::V1`]).
    pub fn version(mut self, version: RemoteWriteVersion) -> Self {
        self.version = version;
        self
    }

    /// How long shutting down may take to send what is left (default 10 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Starts the sender on a thread of its own, for `metrics`' registry. The first snapshot
    /// is taken at once, the next after each interval.
    ///
    /// # Errors
    ///
    /// [`PushError::Config`] for a zero interval or batch size, a buffer smaller than one
    /// batch, a backoff whose minimum is zero or above its maximum, an external label name
    /// Prometheus would refuse, credentials that cannot travel in a header, or when no thread
    /// or TLS client can be made.
    pub fn start(self, metrics: &HttpMetrics) -> Result<RemoteWriter, PushError> {
        self.validate()?;
        let client = self.client()?;
        let health = health::Families::of(metrics).for_url(&self.url);
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Notify::new(),
            collector_done: AtomicBool::new(false),
            metadata_lost: AtomicBool::new(false),
            health,
            last_error: Mutex::new(None),
            v2: AtomicBool::new(self.version == RemoteWriteVersion::V2),
            metadata: Mutex::default(),
        });
        let (stop, stopped) = watch::channel(false);
        let (done_tx, done) = tokio::sync::oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| PushError::Config(format!("no runtime for the sender: {e}")))?;
        let sender = Sender {
            config: self,
            client,
            shared: shared.clone(),
            metrics: metrics.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("remote-write".into())
            .spawn(move || {
                runtime.block_on(sender.run(stopped));
                // A request abandoned at shutdown may leave a DNS lookup on the blocking
                // pool: do not wait for it.
                runtime.shutdown_background();
                let _ = done_tx.send(());
            })
            .map_err(|e| PushError::Config(format!("no thread for the sender: {e}")))?;
        Ok(RemoteWriter {
            shared,
            stop,
            done: Some(done),
            thread: Some(thread),
        })
    }

    fn validate(&self) -> Result<(), PushError> {
        let fail = |why: String| Err(PushError::Config(why));
        if self.interval.is_zero() {
            return fail("the push interval must be longer than zero".into());
        }
        if self.timeout.is_zero() {
            return fail("the request timeout must be longer than zero".into());
        }
        if self.max_samples_per_send == 0 {
            return fail("max_samples_per_send must be at least 1".into());
        }
        if self.max_buffered_samples < self.max_samples_per_send {
            return fail(format!(
                "max_buffered_samples ({}) must hold at least one request's \
                 max_samples_per_send ({})",
                self.max_buffered_samples, self.max_samples_per_send
            ));
        }
        if self.min_backoff.is_zero() || self.min_backoff > self.max_backoff {
            return fail(format!(
                "the backoff must start above zero and at most at its maximum \
                 (got {:?} to {:?})",
                self.min_backoff, self.max_backoff
            ));
        }
        for (name, _) in &self.external_labels {
            if !super::is_label_name(name) || name.starts_with("__") {
                return fail(format!("{name:?} cannot be an external label"));
            }
        }
        Ok(())
    }

    fn client(&self) -> Result<reqwest::Client, PushError> {
        let mut headers = http::HeaderMap::new();
        let fixed = [
            (http::header::CONTENT_TYPE, "application/x-protobuf"),
            (http::header::CONTENT_ENCODING, "snappy"),
            (
                http::header::USER_AGENT,
                concat!("http-metrics/", env!("CARGO_PKG_VERSION")),
            ),
        ];
        for (name, value) in fixed {
            headers.insert(name, http::HeaderValue::from_static(value));
        }
        headers.insert(
            "x-prometheus-remote-write-version",
            http::HeaderValue::from_static("0.1.0"),
        );
        if let Some(auth) = &self.auth {
            headers.insert(http::header::AUTHORIZATION, auth.header()?);
        }
        reqwest::Client::builder()
            .default_headers(headers)
            .timeout(self.timeout)
            .build()
            .map_err(|e| PushError::Config(format!("no HTTP client for the sender: {e}")))
    }
}

/// What a sender has done, from [`RemoteWriter::stats`] and at shutdown; the same figures as
/// its metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemoteWriteStats {
    /// Samples the receiver took.
    pub sent: u64,
    /// Samples sent again after a retryable failure (each time).
    pub retried: u64,
    /// Samples the receiver refused for good.
    pub failed: u64,
    /// Samples dropped from a full buffer, or still unsent when shutdown gave up.
    pub dropped: u64,
    /// Samples buffered or in flight now.
    pub pending: u64,
    /// Snapshots of the registry taken.
    pub snapshots: u64,
    /// The last failure, retryable or not, with the receiver's status and message.
    pub last_error: Option<String>,
}

/// A running remote-write sender, from [`RemoteWrite::start`].
///
/// [`RemoteWriter::shutdown`] (or [`RemoteWriter::shutdown_blocking`]) takes a last snapshot,
/// sends what is buffered (retrying for up to the shutdown timeout) and waits for that.
/// Dropping the handle asks for the same without waiting: the last push happens in the
/// background if the process lives long enough.
pub struct RemoteWriter {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    done: Option<tokio::sync::oneshot::Receiver<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl fmt::Debug for RemoteWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteWriter")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl RemoteWriter {
    /// What the sender has done so far.
    pub fn stats(&self) -> RemoteWriteStats {
        self.shared.stats()
    }

    /// Stops the sender after a last snapshot and a last push, and waits for both; returns
    /// what it did in all. Awaitable on any async runtime.
    pub async fn shutdown(mut self) -> RemoteWriteStats {
        let _ = self.stop.send(true);
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
        // The thread has nothing left but to end: it is not joined, which would block the
        // caller's executor.
        self.thread.take();
        self.shared.stats()
    }

    /// [`RemoteWriter::shutdown`] from a plain thread (not inside an async runtime).
    pub fn shutdown_blocking(mut self) -> RemoteWriteStats {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.shared.stats()
    }
}

impl Drop for RemoteWriter {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Requests waiting to be sent, oldest first, and what is in flight.
#[derive(Default)]
struct Queue {
    requests: VecDeque<Request>,
    /// The samples the waiting requests carry.
    samples: usize,
    in_flight: usize,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Notify,
    collector_done: AtomicBool,
    /// A request carrying metadata did not get through: send it with the next snapshot.
    metadata_lost: AtomicBool,
    health: Health,
    /// The last failure: what kind (for logging a change once), and its message.
    last_error: Mutex<Option<(String, String)>>,
    /// Remote-write 2.0 is spoken: asked for, and the receiver has not shown it speaks 1.0
    /// only.
    v2: AtomicBool,
    /// The families' metadata, for 2.0's series.
    metadata: Mutex<v2::Metadata>,
}

impl Shared {
    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stats(&self) -> RemoteWriteStats {
        let mut stats = self.health.stats();
        stats.last_error = self
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|(_, message)| message.clone());
        stats
    }

    fn set_pending(&self, queue: &Queue) {
        self.health
            .set_pending((queue.samples + queue.in_flight) as i64);
    }

    /// Records a failure of `kind` (a status, "unreachable"); logs it when the kind differs
    /// from the last failure's, so that a receiver down for an hour, or refusing every
    /// request with a message naming each sample, is one line, not thousands.
    fn failed(&self, kind: &str, error: String) {
        let mut last = self.last_error.lock().unwrap_or_else(|e| e.into_inner());
        if last.as_ref().is_none_or(|(last_kind, _)| last_kind != kind) {
            log::warn!("remote-write to {}: {error}", self.health.url());
        }
        *last = Some((kind.to_owned(), error));
    }

    /// A request got through: the next failure is news again.
    fn recovered(&self) {
        let mut last = self.last_error.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((kind, _)) = last.as_mut() {
            if !kind.is_empty() {
                log::info!("remote-write to {}: sending again", self.health.url());
                kind.clear();
            }
        }
    }
}

/// The buffers a request is encoded and compressed in, kept from one request to the next.
struct Buffers {
    body: Vec<u8>,
    compressed: Vec<u8>,
    snappy: snap::raw::Encoder,
}

impl Default for Buffers {
    fn default() -> Self {
        Self {
            body: Vec::new(),
            compressed: Vec::new(),
            snappy: snap::raw::Encoder::new(),
        }
    }
}

impl Buffers {
    /// The requests that carry `batch`: at most `per_request` samples each, the first with
    /// the metadata when `metadata` (and alone with it when there are no samples), and with
    /// their samples' start times when `created` (which only 2.0 sends).
    fn requests(
        &mut self,
        batch: &Batch,
        (metadata, created): (bool, bool),
        per_request: usize,
    ) -> Vec<Request> {
        let total = batch.samples.len();
        let mut requests = Vec::with_capacity(total.div_ceil(per_request).max(1));
        let mut start = 0;
        while start < total || (start == 0 && metadata) {
            let end = total.min(start + per_request);
            let with_metadata = metadata && start == 0;
            let meta: &[Metadata] = if with_metadata { &batch.metadata } else { &[] };
            requests.push(Request {
                payload: self.request(batch.samples.messages(start..end), meta),
                count: (end - start) as u64,
                metadata: with_metadata,
                created: if created {
                    batch.samples.created(start..end).into()
                } else {
                    Arc::from([])
                },
            });
            if end == total {
                break;
            }
            start = end;
        }
        requests
    }

    /// One request of everything `requests` carry: a receiver that fell behind gets
    /// what waited in fewer, larger requests. (`WriteRequest`s concatenated are one
    /// `WriteRequest` of all their series and metadata.)
    fn merge(&mut self, requests: Vec<Request>) -> Request {
        if requests.len() == 1 {
            return requests.into_iter().next().expect("one request");
        }
        self.body.clear();
        let mut decoder = snap::raw::Decoder::new();
        for request in &requests {
            let start = self.body.len();
            let len = snap::raw::decompress_len(&request.payload)
                .expect("a request this sender compressed");
            self.body.resize(start + len, 0);
            let written = decoder
                .decompress(&request.payload, &mut self.body[start..])
                .expect("a request this sender compressed");
            self.body.truncate(start + written);
        }
        let body = std::mem::take(&mut self.body);
        let payload = self.compress(&body);
        self.body = body;
        let created: Vec<i64> = requests
            .iter()
            .flat_map(|r| r.created.iter().copied())
            .collect();
        Request {
            payload,
            count: requests.iter().map(|r| r.count).sum(),
            metadata: requests.iter().any(|r| r.metadata),
            created: created.into(),
        }
    }

    /// One `WriteRequest` of `series` (encoded `TimeSeries`) and `metadata`,
    /// snappy-compressed.
    fn request(&mut self, series: &[u8], metadata: &[Metadata]) -> bytes::Bytes {
        // The series already are a `WriteRequest`'s bytes: copied only to add metadata.
        if metadata.is_empty() {
            return self.compress(series);
        }
        let mut body = std::mem::take(&mut self.body);
        body.clear();
        wire::write_request(&mut body, series, metadata);
        let payload = self.compress(&body);
        self.body = body;
        payload
    }

    fn compress(&mut self, body: &[u8]) -> bytes::Bytes {
        self.compressed
            .resize(snap::raw::max_compress_len(body.len()), 0);
        let len = self
            .snappy
            .compress(body, &mut self.compressed)
            .expect("the buffer has the maximum compressed length");
        bytes::Bytes::copy_from_slice(&self.compressed[..len])
    }
}

/// The sender's encoding without the sender: each call snapshots a registry and returns the
/// request bodies a push would send, for a transport of one's own or a look at what a
/// receiver gets. Like the sender, it remembers each series' encoded labels between calls and
/// marks the series that disappeared as stale.
///
/// ```
/// use http_metrics_push::RemoteWrite;
/// use http_metrics_core::prometheus_client::metrics::counter::Counter;
/// use http_metrics_core::HttpMetrics;
///
/// let metrics = HttpMetrics::builder().process_metrics(false).build().unwrap();
/// let jobs: Counter = Counter::default();
/// metrics.register("jobs", "Jobs run", jobs.clone());
/// let mut encoder = RemoteWrite::new("http://vm:8428/api/v1/write")
///     .unwrap()
///     .external_label("job", "batch")
///     .encoder();
/// let bodies = encoder.encode(&metrics, 1_700_000_000_000).unwrap();
/// // One snappy-compressed WriteRequest: POST it with `Content-Encoding: snappy`.
/// assert_eq!(bodies.len(), 1);
/// ```
pub struct RemoteWriteEncoder {
    table: SeriesTable,
    max_samples_per_send: usize,
    buffers: Buffers,
    metadata: v2::Metadata,
}

impl fmt::Debug for RemoteWriteEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteWriteEncoder")
            .field("max_samples_per_send", &self.max_samples_per_send)
            .finish_non_exhaustive()
    }
}

impl RemoteWrite {
    /// This sender's encoding, as a [`RemoteWriteEncoder`]: its external labels and its
    /// batch size.
    pub fn encoder(&self) -> RemoteWriteEncoder {
        RemoteWriteEncoder {
            table: SeriesTable::new(self.external_labels.clone()),
            max_samples_per_send: self.max_samples_per_send.max(1),
            buffers: Buffers::default(),
            metadata: v2::Metadata::default(),
        }
    }
}

impl RemoteWriteEncoder {
    /// Snapshots `metrics` at `timestamp_ms` (milliseconds since the epoch) into
    /// snappy-compressed `WriteRequest` bodies of at most `max_samples_per_send` samples
    /// each, the first with every family's metadata.
    ///
    /// # Errors
    ///
    /// [`PushError::Encode`] when a metric of the registry fails to encode.
    pub fn encode(
        &mut self,
        metrics: &HttpMetrics,
        timestamp_ms: i64,
    ) -> Result<Vec<bytes::Bytes>, PushError> {
        Ok((self.requests(metrics, timestamp_ms, false)?.into_iter())
            .map(|r| r.payload)
            .collect())
    }

    /// The requests of one snapshot of `metrics`, with their start times when `created`.
    fn requests(
        &mut self,
        metrics: &HttpMetrics,
        timestamp_ms: i64,
        created: bool,
    ) -> Result<Vec<Request>, PushError> {
        let snapshot = metrics.snapshot().map_err(|_| PushError::Encode)?;
        let batch = self.table.read(&snapshot, timestamp_ms);
        let metadata = !batch.metadata.is_empty();
        let requests =
            self.buffers
                .requests(&batch, (metadata, created), self.max_samples_per_send);
        self.table.recycle(batch);
        Ok(requests)
    }

    /// [`RemoteWriteEncoder::encode`] in remote-write 2.0: snappy-compressed
    /// `io.prometheus.write.v2.Request` bodies, each series with its family's metadata.
    ///
    /// ```
    /// use http_metrics_push::RemoteWrite;
    /// use http_metrics_core::HttpMetrics;
    ///
    /// let metrics = HttpMetrics::builder().process_metrics(false).build().unwrap();
    /// let mut encoder = RemoteWrite::new("http://prometheus:9090/api/v1/write").unwrap().encoder();
    /// let bodies = encoder.encode_v2(&metrics, 1_700_000_000_000).unwrap();
    /// // Only the HTTP families' metadata, no series yet: one request of symbols alone.
    /// assert_eq!(bodies.len(), 1);
    /// ```
    ///
    /// # Errors
    ///
    /// As [`RemoteWriteEncoder::encode`].
    pub fn encode_v2(
        &mut self,
        metrics: &HttpMetrics,
        timestamp_ms: i64,
    ) -> Result<Vec<bytes::Bytes>, PushError> {
        let requests = self.requests(metrics, timestamp_ms, true)?;
        let mut out = Vec::with_capacity(requests.len());
        for request in requests {
            let v1 = snap::raw::Decoder::new()
                .decompress_vec(&request.payload)
                .map_err(|_| PushError::Encode)?;
            let v2 = (self.metadata)
                .rewrite(&v1, &request.created)
                .ok_or(PushError::Encode)?;
            out.push(self.buffers.compress(&v2));
        }
        Ok(out)
    }
}

/// One request's body, the samples it carries and whether it carries the metadata.
struct Request {
    payload: bytes::Bytes,
    count: u64,
    metadata: bool,
    /// Each sample's start time (milliseconds, 0: unknown), which 2.0 carries and 1.0 not.
    created: Arc<[i64]>,
}

/// How one request ended.
enum Outcome {
    Sent,
    /// Worth sending again: not before `retry_after` when the receiver said so.
    Retry {
        kind: String,
        error: String,
        retry_after: Option<Duration>,
    },
    Refused {
        kind: String,
        error: String,
    },
}

/// What the collecting loop keeps from one snapshot to the next.
struct Collecting {
    table: SeriesTable,
    buffers: Buffers,
    per_request: usize,
    /// Whether 2.0 is spoken, whose requests carry the samples' start times.
    v2: bool,
    /// When the metadata was last queued, and what it was.
    last_metadata: Option<(Instant, Vec<Metadata>)>,
    last_timestamp: i64,
}

impl Collecting {
    fn new(config: &RemoteWrite) -> Self {
        Self {
            table: SeriesTable::new(config.external_labels.clone()),
            buffers: Buffers::default(),
            per_request: config.max_samples_per_send,
            v2: config.version == RemoteWriteVersion::V2,
            last_metadata: None,
            last_timestamp: i64::MIN,
        }
    }

    /// Snapshots `metrics` into the requests that will carry it, the first with the
    /// metadata when it changed, was last sent long ago, or was `lost` on the way.
    fn snapshot(
        &mut self,
        metrics: &HttpMetrics,
        lost: &AtomicBool,
    ) -> Result<Vec<Request>, String> {
        // Each snapshot later than the last, by a millisecond at least, even when the wall
        // clock steps back or two snapshots fall in one millisecond: a receiver refuses a
        // second sample of a series at the same time.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let timestamp_ms = now.max(self.last_timestamp.saturating_add(1));
        let snapshot = metrics
            .snapshot()
            .map_err(|_| "a metric of the registry failed to encode".to_owned())?;
        let batch = self.table.read(&snapshot, timestamp_ms);
        self.last_timestamp = timestamp_ms;
        // Metadata rides with samples: a snapshot without any keeps it due.
        let due = batch.samples.len() > 0
            && (lost.swap(false, Ordering::AcqRel)
                || self.last_metadata.as_ref().is_none_or(|(at, sent)| {
                    *sent != batch.metadata || at.elapsed() >= METADATA_INTERVAL
                }));
        let requests = self
            .buffers
            .requests(&batch, (due, self.v2), self.per_request);
        if due {
            self.last_metadata = Some((Instant::now(), batch.metadata.clone()));
        }
        self.table.recycle(batch);
        Ok(requests)
    }
}

struct Sender {
    config: RemoteWrite,
    client: reqwest::Client,
    shared: Arc<Shared>,
    metrics: HttpMetrics,
}

impl Sender {
    async fn run(self, stopped: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let collect = tokio::spawn(this.clone().collect(stopped.clone()));
        this.send(stopped).await;
        let _ = collect.await;
        // The sender may have run out of time before the last snapshot was queued.
        this.give_up(0);
    }

    /// Snapshots the registry every interval, and once more when stopped.
    async fn collect(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        let mut collecting = Some(Collecting::new(&self.config));
        let mut ticker = tokio::time::interval(self.config.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let woken_by_stop = tokio::select! {
                _ = ticker.tick() => false,
                _ = stopped.wait_for(|stop| *stop) => true,
            };
            let last = woken_by_stop || *stopped.borrow();
            // Encoding runs the registry's collectors, which may block up to their deadline:
            // on the blocking pool, so that sending goes on meanwhile.
            let this = self.clone();
            let mut owned = collecting.take().expect("returned each time");
            let requests = tokio::task::spawn_blocking(move || {
                let requests = owned.snapshot(&this.metrics, &this.shared.metadata_lost);
                (owned, requests)
            })
            .await;
            let requests = match requests {
                Ok((owned, requests)) => {
                    collecting = Some(owned);
                    requests
                }
                Err(_) => {
                    // A collector panicked through encode: start afresh next time.
                    collecting = Some(Collecting::new(&self.config));
                    Err("encoding the registry panicked".to_owned())
                }
            };
            match requests {
                Ok(requests) => self.enqueue(requests),
                Err(error) => self.shared.failed("snapshot", error),
            }
            if last {
                self.shared.collector_done.store(true, Ordering::Release);
                self.shared.wake.notify_one();
                return;
            }
        }
    }

    /// Adds a snapshot's requests, dropping the oldest past the cap.
    fn enqueue(&self, requests: Vec<Request>) {
        let mut queue = self.shared.queue();
        for request in requests {
            queue.samples += request.count as usize;
            queue.requests.push_back(request);
        }
        let mut dropped = 0u64;
        while queue.samples + queue.in_flight > self.config.max_buffered_samples {
            let Some(oldest) = queue.requests.pop_front() else {
                break;
            };
            queue.samples -= oldest.count as usize;
            dropped += oldest.count;
            if oldest.metadata {
                self.shared.metadata_lost.store(true, Ordering::Release);
            }
        }
        self.shared.health.snapshot();
        self.shared.health.dropped(dropped);
        self.shared.set_pending(&queue);
        drop(queue);
        self.shared.wake.notify_one();
    }

    /// Sends the queue's requests, oldest first, one at a time, until stopped and drained
    /// (or out of time).
    async fn send(&self, mut stopped: watch::Receiver<bool>) {
        let mut deadline: Option<tokio::time::Instant> = None;
        let mut buffers = Buffers::default();
        loop {
            if deadline.is_none() && *stopped.borrow() {
                deadline = Some(tokio::time::Instant::now() + self.config.shutdown_timeout);
            }
            if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                self.give_up(0);
                return;
            }
            let Some(request) = self.next_request(&mut buffers) else {
                if self.shared.collector_done.load(Ordering::Acquire) {
                    return;
                }
                tokio::select! {
                    _ = self.shared.wake.notified() => {}
                    _ = stopped.wait_for(|stop| *stop), if deadline.is_none() => {}
                }
                continue;
            };
            if !self.deliver(request, &mut stopped, &mut deadline).await {
                return;
            }
            let mut queue = self.shared.queue();
            queue.in_flight = 0;
            self.shared.set_pending(&queue);
        }
    }

    /// The oldest requests, as one of at most a request's worth of samples, now in flight.
    fn next_request(&self, buffers: &mut Buffers) -> Option<Request> {
        let mut queue = self.shared.queue();
        let first = queue.requests.pop_front()?;
        let mut count = first.count as usize;
        let mut taken = vec![first];
        while let Some(next) = queue.requests.front() {
            if count + next.count as usize > self.config.max_samples_per_send {
                break;
            }
            count += next.count as usize;
            taken.extend(queue.requests.pop_front());
        }
        queue.samples -= count;
        queue.in_flight = count;
        drop(queue);
        Some(buffers.merge(taken))
    }

    /// Sends `request` until the receiver takes or refuses it, retrying with backoff; `false`
    /// when shutting down ran out of time (what was left is dropped, and counted).
    async fn deliver(
        &self,
        request: Request,
        stopped: &mut watch::Receiver<bool>,
        deadline: &mut Option<tokio::time::Instant>,
    ) -> bool {
        let Request {
            payload,
            count,
            metadata,
            created,
        } = request;
        let mut attempt = 0u32;
        loop {
            let Some(outcome) = self
                .post_until((payload.clone(), &created), stopped, deadline)
                .await
            else {
                self.give_up(count);
                return false;
            };
            let (kind, error, retry_after) = match outcome {
                Outcome::Sent => {
                    self.shared.health.sent(count);
                    self.shared.recovered();
                    return true;
                }
                Outcome::Refused { kind, error } => {
                    self.shared.health.failed(count);
                    self.shared.failed(&kind, error);
                    if metadata {
                        self.shared.metadata_lost.store(true, Ordering::Release);
                    }
                    return true;
                }
                Outcome::Retry {
                    kind,
                    error,
                    retry_after,
                } => (kind, error, retry_after),
            };
            self.shared.failed(&kind, error);
            // The receiver's `Retry-After` is a floor under the backoff, never a licence to
            // retry at once.
            let wait = self
                .backoff(attempt)
                .max(retry_after.unwrap_or_default().min(MAX_RETRY_AFTER));
            attempt = attempt.saturating_add(1);
            if !self.wait(wait, stopped, deadline).await {
                if metadata {
                    self.shared.metadata_lost.store(true, Ordering::Release);
                }
                self.give_up(count);
                return false;
            }
            self.shared.health.retried(count);
        }
    }

    /// Waits `wait` before a retry; `false` when shutting down leaves no time for it (a stop
    /// that comes during the wait counts).
    async fn wait(
        &self,
        wait: Duration,
        stopped: &mut watch::Receiver<bool>,
        deadline: &mut Option<tokio::time::Instant>,
    ) -> bool {
        let until = tokio::time::Instant::now() + wait;
        loop {
            if deadline.is_some_and(|d| until > d) {
                return false;
            }
            if deadline.is_some() {
                tokio::time::sleep_until(until).await;
                return true;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(until) => return true,
                _ = stopped.wait_for(|stop| *stop) => {
                    *deadline = Some(tokio::time::Instant::now() + self.config.shutdown_timeout);
                }
            }
        }
    }

    /// Shutting down, and out of time: what is left (`in_flight` samples and the queue) is
    /// dropped, and counted.
    fn give_up(&self, in_flight: u64) {
        let mut queue = self.shared.queue();
        let left = in_flight + queue.samples as u64;
        queue.requests.clear();
        queue.samples = 0;
        queue.in_flight = 0;
        self.shared.health.dropped(left);
        self.shared.set_pending(&queue);
    }

    /// [`Sender::post`], abandoned (`None`) when shutting down runs out of time: a request
    /// in flight does not hold shutdown beyond its timeout.
    async fn post_until(
        &self,
        (payload, created): (bytes::Bytes, &[i64]),
        stopped: &mut watch::Receiver<bool>,
        deadline: &mut Option<tokio::time::Instant>,
    ) -> Option<Outcome> {
        let post = self.post(payload, created);
        tokio::pin!(post);
        loop {
            match *deadline {
                None => tokio::select! {
                    outcome = &mut post => return Some(outcome),
                    _ = stopped.wait_for(|stop| *stop) => {
                        *deadline = Some(tokio::time::Instant::now() + self.config.shutdown_timeout);
                    }
                },
                Some(until) => tokio::select! {
                    outcome = &mut post => return Some(outcome),
                    _ = tokio::time::sleep_until(until) => return None,
                },
            }
        }
    }

    /// Posts `payload` (a 1.0 request) in the protocol spoken: in 2.0 rewritten, and again
    /// in 1.0 when the receiver shows it does not take 2.0.
    async fn post(&self, payload: bytes::Bytes, created: &[i64]) -> Outcome {
        if !self.shared.v2.load(Ordering::Acquire) {
            return self.post_as(payload, false).await;
        }
        let Some(v2) = self.rewrite(&payload, created) else {
            return self.post_as(payload, false).await;
        };
        let outcome = self.post_as(v2, true).await;
        if !matches!(&outcome, Outcome::Refused { kind, .. } if kind == FALLBACK) {
            return outcome;
        }
        // A receiver of 1.0 only: this batch again, and 1.0 from now on.
        self.shared.v2.store(false, Ordering::Release);
        log::warn!(
            "remote-write to {}: the receiver does not take remote-write 2.0; sending 1.0",
            health::display_url(&self.config.url)
        );
        self.post_as(payload, false).await
    }

    /// `payload` (a snappy-compressed 1.0 request) as a compressed 2.0 one.
    fn rewrite(&self, payload: &[u8], created: &[i64]) -> Option<bytes::Bytes> {
        let v1 = snap::raw::Decoder::new().decompress_vec(payload).ok()?;
        let mut metadata = self
            .shared
            .metadata
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let v2 = metadata.rewrite(&v1, created)?;
        let compressed = snap::raw::Encoder::new().compress_vec(&v2).ok()?;
        Some(compressed.into())
    }

    /// Posts `payload`: a 1.0 request, or a 2.0 one when `v2`. A 2.0 request that a 1.0
    /// receiver would lose (`415`, or success without the `Written` headers the
    /// specification requires of a 2.0 receiver) is refused as [`FALLBACK`].
    async fn post_as(&self, payload: bytes::Bytes, v2: bool) -> Outcome {
        let mut request = self.client.post(&self.config.url).body(payload);
        if v2 {
            request = request
                .header(http::header::CONTENT_TYPE, V2_CONTENT_TYPE)
                .header("x-prometheus-remote-write-version", "2.0.0");
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                return Outcome::Retry {
                    kind: "unreachable".into(),
                    error: format!("the receiver could not be reached: {}", error_chain(&error)),
                    retry_after: None,
                }
            }
        };
        let status = response.status();
        let written = response
            .headers()
            .contains_key("x-prometheus-remote-write-samples-written");
        if v2
            && (status == http::StatusCode::UNSUPPORTED_MEDIA_TYPE
                || (status.is_success() && !written))
        {
            return Outcome::Refused {
                kind: FALLBACK.into(),
                error: format!("the receiver answered {status} to remote-write 2.0"),
            };
        }
        if status.is_success() {
            self.shared.health.succeeded_now();
            return Outcome::Sent;
        }
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, SystemTime::now()));
        let mut message = response.text().await.unwrap_or_default();
        if message.len() > MAX_MESSAGE {
            let mut end = MAX_MESSAGE;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        let error = format!("the receiver answered {status}: {}", message.trim());
        let kind = status.as_str().to_owned();
        let overloaded = matches!(
            status,
            http::StatusCode::TOO_MANY_REQUESTS | http::StatusCode::SERVICE_UNAVAILABLE
        );
        if status.is_server_error() || overloaded {
            Outcome::Retry {
                kind,
                error,
                // Only an overloaded receiver's `Retry-After` is meant for a retry.
                retry_after: retry_after.filter(|_| overloaded),
            }
        } else {
            Outcome::Refused { kind, error }
        }
    }

    /// The wait before retry `attempt` (from 0): the minimum doubled each time up to the
    /// maximum, the upper half of it drawn at random so that senders do not retry in step.
    fn backoff(&self, attempt: u32) -> Duration {
        backoff(
            self.config.min_backoff,
            self.config.max_backoff,
            attempt,
            random(),
        )
    }
}

/// A `Retry-After` value: seconds, or an HTTP date (from `now`).
fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

fn backoff(min: Duration, max: Duration, attempt: u32, random: u64) -> Duration {
    let full = min.saturating_mul(1u32 << attempt.min(30)).min(max);
    let half = full / 2;
    let nanos = half.as_nanos() as u64;
    half + Duration::from_nanos(if nanos == 0 { 0 } else { random % (nanos + 1) })
}

fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut hasher = foldhash::fast::RandomState::default().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

/// A reqwest error with its causes, which carry the useful part ("connection refused").
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum_with_jitter_in_its_upper_half() {
        let (min, max) = (Duration::from_millis(50), Duration::from_secs(5));
        assert_eq!(backoff(min, max, 0, 0), Duration::from_millis(25));
        assert_eq!(backoff(min, max, 0, 25_000_000), Duration::from_millis(50));
        assert_eq!(backoff(min, max, 0, 25_000_001), Duration::from_millis(25));
        assert_eq!(backoff(min, max, 3, 0), Duration::from_millis(200));
        assert_eq!(backoff(min, max, 20, 0), Duration::from_millis(2_500));
        assert_eq!(backoff(min, max, u32::MAX, 0), Duration::from_millis(2_500));
        for attempt in 0..40 {
            let wait = backoff(min, max, attempt, random());
            let full = min.saturating_mul(1 << attempt.min(30)).min(max);
            assert!(wait >= full / 2 && wait <= full, "{attempt}: {wait:?}");
        }
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO),
            "a date past"
        );
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn settings_are_checked_before_anything_starts() {
        let metrics = HttpMetrics::builder()
            .process_metrics(false)
            .build()
            .unwrap();
        let base = RemoteWrite::new("http://127.0.0.1:1/api/v1/write").unwrap();
        let cases = [
            (
                base.clone().interval(Duration::ZERO),
                "the push interval must be longer than zero",
            ),
            (
                base.clone().max_samples_per_send(0),
                "max_samples_per_send must be at least 1",
            ),
            (
                base.clone().timeout(Duration::ZERO),
                "the request timeout must be longer than zero",
            ),
            (
                base.clone().max_buffered_samples(10).max_samples_per_send(11),
                "max_buffered_samples (10) must hold at least one request's max_samples_per_send (11)",
            ),
            (
                base.clone().backoff(Duration::ZERO, Duration::from_secs(1)),
                "the backoff must start above zero and at most at its maximum (got 0ns to 1s)",
            ),
            (
                base.clone().external_label("a-b", "x"),
                "\"a-b\" cannot be an external label",
            ),
            (
                base.clone().external_label("__name__", "x"),
                "\"__name__\" cannot be an external label",
            ),
            (
                base.clone().bearer_token("a\nb"),
                "the credentials cannot travel in a header",
            ),
        ];
        for (config, why) in cases {
            match config.start(&metrics) {
                Err(PushError::Config(got)) => assert_eq!(got, why),
                other => panic!("expected {why:?}, got {other:?}"),
            }
        }
        for bad in ["http://a b/api/v1/write", "http://host:port/", "https://"] {
            let err = RemoteWrite::new(bad).unwrap_err().to_string();
            assert!(
                err.starts_with("invalid push configuration: "),
                "{bad}: {err}"
            );
        }
        let secret = base.basic_auth("user", "s3cret");
        assert!(!format!("{secret:?}").contains("s3cret"));
    }
}
