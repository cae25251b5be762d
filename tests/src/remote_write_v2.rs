//! Remote-write 2.0 from the receiving side: `io.prometheus.write.v2.Request` decoded with
//! prost, from this crate's own reading of the specification's `.proto`, and a loopback
//! receiver that keeps what it is sent and answers as a 2.0 receiver does.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse as _;

/// `io.prometheus.write.v2.Request`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Request {
    /// Every string of the request, once; the empty string first.
    #[prost(string, repeated, tag = "4")]
    pub symbols: Vec<String>,
    /// The series.
    #[prost(message, repeated, tag = "5")]
    pub timeseries: Vec<TimeSeries>,
}

/// `io.prometheus.write.v2.TimeSeries`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    /// Name and value of each label, as indexes into the symbols.
    #[prost(uint32, repeated, tag = "1")]
    pub labels_refs: Vec<u32>,
    /// Samples.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
    /// Native histograms.
    #[prost(message, repeated, tag = "3")]
    pub histograms: Vec<Histogram>,
    /// Exemplars.
    #[prost(message, repeated, tag = "4")]
    pub exemplars: Vec<Exemplar>,
    /// The family's metadata.
    #[prost(message, optional, tag = "5")]
    pub metadata: Option<Metadata>,
    /// When the series started counting, in milliseconds since the epoch (0: unknown).
    #[prost(int64, tag = "6")]
    pub created_timestamp: i64,
}

/// `io.prometheus.write.v2.Sample`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    /// The value.
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// `io.prometheus.write.v2.Histogram`, the fields of an integer histogram.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Histogram {
    /// The observations.
    #[prost(uint64, tag = "1")]
    pub count_int: u64,
    /// Their sum.
    #[prost(double, tag = "3")]
    pub sum: f64,
    /// The schema.
    #[prost(sint32, tag = "4")]
    pub schema: i32,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "15")]
    pub timestamp: i64,
}

/// `io.prometheus.write.v2.Exemplar`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Exemplar {
    /// Its labels, as indexes into the symbols.
    #[prost(uint32, repeated, tag = "1")]
    pub labels_refs: Vec<u32>,
    /// The observed value.
    #[prost(double, tag = "2")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "3")]
    pub timestamp: i64,
}

/// `io.prometheus.write.v2.Metadata`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Metadata {
    /// 1 counter, 2 gauge, 3 histogram, 5 summary, 6 info.
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    /// The help, as an index into the symbols.
    #[prost(uint32, tag = "3")]
    pub help_ref: u32,
    /// The unit, as an index into the symbols.
    #[prost(uint32, tag = "4")]
    pub unit_ref: u32,
}

impl Request {
    /// Decodes a request body: snappy (block format), then protobuf.
    pub fn decode_body(body: &[u8]) -> Result<Self, String> {
        let raw = snap::raw::Decoder::new()
            .decompress_vec(body)
            .map_err(|e| format!("not snappy: {e}"))?;
        <Self as prost::Message>::decode(raw.as_slice()).map_err(|e| format!("not protobuf: {e}"))
    }

    /// The labels of `refs`, `(name, value)`.
    pub fn labels(&self, refs: &[u32]) -> Vec<(String, String)> {
        refs.chunks(2)
            .map(|pair| {
                (
                    self.symbols[pair[0] as usize].clone(),
                    self.symbols[pair[1] as usize].clone(),
                )
            })
            .collect()
    }
}

/// One request a [`Receiver`] took: its headers and body.
#[derive(Clone, Debug)]
pub struct Received {
    /// The request's headers.
    pub headers: HeaderMap,
    /// Its body, as sent.
    pub body: Vec<u8>,
}

/// A remote-write 2.0 receiver on loopback: it keeps every request and answers `204` with
/// the `X-Prometheus-Remote-Write-*-Written` headers of what it decoded, as the
/// specification asks of a 2.0 receiver. Stops when dropped.
#[derive(Debug)]
pub struct Receiver {
    /// Where it listens: `http://127.0.0.1:PORT/api/v1/write`.
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// Starts a receiver on a free loopback port.
    pub async fn start() -> Self {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let keep = received.clone();
        let app = axum::Router::new().route(
            "/api/v1/write",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let keep = keep.clone();
                async move {
                    let written = Request::decode_body(&body).map(|r| {
                        let samples: usize = r.timeseries.iter().map(|s| s.samples.len()).sum();
                        let histograms: usize =
                            r.timeseries.iter().map(|s| s.histograms.len()).sum();
                        let exemplars: usize = r.timeseries.iter().map(|s| s.exemplars.len()).sum();
                        (samples, histograms, exemplars)
                    });
                    keep.lock().unwrap().push(Received {
                        headers,
                        body: body.to_vec(),
                    });
                    match written {
                        Ok((samples, histograms, exemplars)) => (
                            StatusCode::NO_CONTENT,
                            [
                                (
                                    "x-prometheus-remote-write-samples-written",
                                    samples.to_string(),
                                ),
                                (
                                    "x-prometheus-remote-write-histograms-written",
                                    histograms.to_string(),
                                ),
                                (
                                    "x-prometheus-remote-write-exemplars-written",
                                    exemplars.to_string(),
                                ),
                            ],
                        )
                            .into_response(),
                        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind a loopback port");
        let url = format!("http://{}/api/v1/write", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url,
            received,
            task,
        }
    }

    /// Every request taken so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}
