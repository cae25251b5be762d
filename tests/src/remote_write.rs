//! Remote-write from the receiving side: the protocol's messages decoded with prost (an
//! implementation independent of the sender's hand-written encoder), and a loopback proxy
//! in front of a real receiver that the tests make fail on command.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

/// `prometheus.WriteRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WriteRequest {
    /// The series, each with its samples.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
    /// Family metadata.
    #[prost(message, repeated, tag = "3")]
    pub metadata: Vec<MetricMetadata>,
}

/// `prometheus.TimeSeries`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    /// Sorted by name.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// In timestamp order.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
}

/// `prometheus.Label`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Message)]
pub struct Label {
    /// The label's name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Its value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `prometheus.Sample`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    /// The value.
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// `prometheus.MetricMetadata`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricMetadata {
    /// `MetricType`: 1 counter, 2 gauge, 3 histogram, 5 summary, 6 info.
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    /// The family's name.
    #[prost(string, tag = "2")]
    pub metric_family_name: String,
    /// Its help.
    #[prost(string, tag = "4")]
    pub help: String,
    /// Its unit.
    #[prost(string, tag = "5")]
    pub unit: String,
}

impl WriteRequest {
    /// Decodes a request body: snappy (block format), then protobuf.
    pub fn decode_body(body: &[u8]) -> Result<Self, String> {
        let raw = snap::raw::Decoder::new()
            .decompress_vec(body)
            .map_err(|e| format!("not snappy: {e}"))?;
        <Self as prost::Message>::decode(raw.as_slice()).map_err(|e| format!("not protobuf: {e}"))
    }

    /// How many samples the request carries.
    pub fn sample_count(&self) -> usize {
        self.timeseries.iter().map(|s| s.samples.len()).sum()
    }
}

impl TimeSeries {
    /// The value of label `name`.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.value.as_str())
    }
}

/// What the proxy does with the next requests.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with `status` (and `Retry-After: retry_after` seconds, if set) and `message`,
    /// without forwarding.
    Answer {
        /// The status.
        status: u16,
        /// The `Retry-After` header, in seconds.
        retry_after: Option<u64>,
        /// The body.
        message: String,
    },
    /// Wait this long, then forward.
    Delay(Duration),
    /// Never answer.
    Stall,
}

impl Fault {
    /// [`Fault::Answer`] with `status`, `Retry-After` and `message`.
    pub fn answer(status: u16, retry_after: Option<u64>, message: &str) -> Self {
        Self::Answer {
            status,
            retry_after,
            message: message.to_owned(),
        }
    }
}

/// One request the proxy received.
#[derive(Debug, Clone)]
pub struct Received {
    /// When it arrived.
    pub at: Instant,
    /// Its body, as sent.
    pub body: Bytes,
    /// Its headers.
    pub headers: http::HeaderMap,
    /// The status the sender got back.
    pub status: u16,
}

#[derive(Default)]
struct State {
    /// Faults for the next requests, in order; then `steady`.
    faults: std::collections::VecDeque<Fault>,
    steady: Option<Fault>,
    received: Vec<Received>,
}

/// A remote-write receiver's stand-in on loopback: forwards to a real receiver, fails on
/// command, and can go away entirely (its port closed, its connections cut) and come back on
/// the same port.
pub struct FaultProxy {
    addr: SocketAddr,
    upstream: String,
    state: Arc<Mutex<State>>,
    server: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.upstream)
            .finish_non_exhaustive()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.down();
    }
}

impl FaultProxy {
    /// A proxy to `upstream` (a remote-write URL) on a free port, down: nothing listens
    /// until [`FaultProxy::up`].
    pub fn new(upstream: &str) -> Self {
        let port = crate::prometheus::free_port();
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            upstream: upstream.to_owned(),
            state: Arc::default(),
            server: Mutex::new(None),
        }
    }

    /// The URL to give the sender.
    pub fn url(&self) -> String {
        format!("http://{}/api/v1/write", self.addr)
    }

    /// Starts listening (on a tokio runtime); panics when the port is taken for 10 s.
    pub async fn up(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            // The port was ours a moment ago; a closed listener frees it at once.
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(e) if Instant::now() > deadline => {
                    panic!("the proxy's port {} is taken: {e}", self.addr.port())
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        let state = self.state.clone();
        let upstream = self.upstream.clone();
        let client = reqwest::Client::new();
        let server = tokio::spawn(async move {
            // The connections live in this task's set: aborting it cuts them all.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = state.clone();
                let upstream = upstream.clone();
                let client = client.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        handle(request, state.clone(), upstream.clone(), client.clone())
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        *self.server.lock().unwrap() = Some(server);
    }

    /// Stops listening and cuts every connection.
    pub fn down(&self) {
        if let Some(server) = self.server.lock().unwrap().take() {
            server.abort();
        }
    }

    /// Applies `fault` to the next request (after those queued before it).
    pub fn fail_next(&self, fault: Fault) {
        self.state.lock().unwrap().faults.push_back(fault);
    }

    /// Applies `fault` to every request from now on (`None`: forward them).
    pub fn fail_all(&self, fault: Option<Fault>) {
        self.state.lock().unwrap().steady = fault;
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }
}

async fn handle(
    request: http::Request<hyper::body::Incoming>,
    state: Arc<Mutex<State>>,
    upstream: String,
    client: reqwest::Client,
) -> Result<http::Response<Full<Bytes>>, std::convert::Infallible> {
    let at = Instant::now();
    let headers = request.headers().clone();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let fault = {
        let mut state = state.lock().unwrap();
        state.faults.pop_front().or_else(|| state.steady.clone())
    };
    let answer = |status: u16, retry_after: Option<u64>, message: String| {
        let mut response = http::Response::builder().status(status);
        if let Some(seconds) = retry_after {
            response = response.header("retry-after", seconds.to_string());
        }
        response.body(Full::new(Bytes::from(message))).unwrap()
    };
    let response = match fault {
        Some(Fault::Answer {
            status,
            retry_after,
            message,
        }) => answer(status, retry_after, message),
        Some(Fault::Stall) => std::future::pending().await,
        other => {
            if let Some(Fault::Delay(delay)) = other {
                tokio::time::sleep(delay).await;
            }
            let mut forward = client.post(&upstream).body(body.clone());
            for name in [
                "content-type",
                "content-encoding",
                "x-prometheus-remote-write-version",
                "authorization",
            ] {
                if let Some(value) = headers.get(name) {
                    forward = forward.header(name, value);
                }
            }
            match forward.send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    answer(status, None, r.text().await.unwrap_or_default())
                }
                Err(e) => answer(502, None, e.to_string()),
            }
        }
    };
    state.lock().unwrap().received.push(Received {
        at,
        body,
        headers,
        status: response.status().as_u16(),
    });
    Ok(response)
}
