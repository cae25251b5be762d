//! The Prometheus protobuf exposition: prometheus-client's `io.prometheus.client` messages,
//! length-delimited.

use prost::Message as _;

pub(crate) use prometheus_client::encoding::prometheus_protobuf::prometheus_data_model::{
    Bucket, BucketSpan, Counter, Exemplar, Gauge, Histogram, LabelPair, Metric, MetricFamily,
    MetricType, Quantile, Summary,
};

/// The families as one `/metrics` body: each message preceded by its length as a varint.
pub(crate) fn delimited(families: &[MetricFamily]) -> Vec<u8> {
    let mut out = Vec::with_capacity(families.iter().map(|f| f.encoded_len() + 4).sum());
    for family in families {
        // Writing to a Vec cannot run out of space.
        family
            .encode_length_delimited(&mut out)
            .expect("a Vec grows");
    }
    out
}

/// A label pair.
pub(crate) fn label(name: &str, value: &str) -> LabelPair {
    LabelPair {
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

/// `(name, value)` pairs as label pairs.
pub(crate) fn labels<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<LabelPair> {
    pairs
        .into_iter()
        .map(|(name, value)| label(name, value))
        .collect()
}
