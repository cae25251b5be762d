//! The remote-write 1.0 wire format: `prometheus.WriteRequest` in protobuf, written by hand
//! (eight messages, three wire types) so that a series' labels are encoded once and copied
//! into every request that carries it.
//!
//! ```text
//! WriteRequest   { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//! TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2;
//!                  repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
//! Label          { string name = 1; string value = 2; }
//! Sample         { double value = 1; int64 timestamp = 2; }
//! Exemplar       { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
//! Histogram      { uint64 count_int = 1; double sum = 3; sint32 schema = 4;
//!                  double zero_threshold = 5; uint64 zero_count_int = 6;
//!                  repeated BucketSpan negative_spans = 8; repeated sint64 negative_deltas = 9;
//!                  repeated BucketSpan positive_spans = 11; repeated sint64 positive_deltas = 12;
//!                  int64 timestamp = 15; }
//! BucketSpan     { sint32 offset = 1; uint32 length = 2; }
//! MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4;
//!                  string unit = 5; }
//! ```

use http_metrics_core::model::Kind;

use super::series::Metadata;

/// The `MetricType` enum's number for a family's kind.
pub(crate) fn metric_type(kind: Kind) -> u8 {
    match kind {
        Kind::Counter => 1,
        Kind::Gauge => 2,
        Kind::Histogram => 3,
        Kind::Summary => 5,
        Kind::Info => 6,
        _ => 0,
    }
}

pub(crate) fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn varint_len(value: u64) -> usize {
    (64 - (value | 1).leading_zeros() as usize).div_ceil(7)
}

pub(crate) fn bytes_field(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    out.push(tag);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Appends one `Label` message, as field 1 of a `TimeSeries`.
pub(crate) fn label(out: &mut Vec<u8>, name: &str, value: &str) {
    let len = 1 + varint_len(name.len() as u64) + name.len();
    let len = len + 1 + varint_len(value.len() as u64) + value.len();
    out.push(0x0a);
    varint(out, len as u64);
    bytes_field(out, 0x0a, name.as_bytes());
    bytes_field(out, 0x12, value.as_bytes());
}

/// Appends one `TimeSeries` message of one sample, as field 1 of a `WriteRequest`: `labels`
/// are the series' encoded `Label` messages, `exemplar` an encoded `Exemplar` message (see
/// [`exemplar`]) or empty.
pub(crate) fn time_series(
    out: &mut Vec<u8>,
    labels: &[u8],
    value: f64,
    timestamp_ms: i64,
    exemplar: &[u8],
) {
    // int64 travels as its two's complement.
    let timestamp = timestamp_ms as u64;
    let sample_len = 9 + 1 + varint_len(timestamp);
    let mut series_len = labels.len() + 1 + varint_len(sample_len as u64) + sample_len;
    if !exemplar.is_empty() {
        series_len += 1 + varint_len(exemplar.len() as u64) + exemplar.len();
    }
    out.push(0x0a);
    varint(out, series_len as u64);
    out.extend_from_slice(labels);
    out.push(0x12);
    varint(out, sample_len as u64);
    out.push(0x09);
    out.extend_from_slice(&value.to_bits().to_le_bytes());
    out.push(0x10);
    varint(out, timestamp);
    if !exemplar.is_empty() {
        bytes_field(out, 0x1a, exemplar);
    }
}

/// Appends one `TimeSeries` message of one native histogram as field 1 of a `WriteRequest`:
/// `fields` are its `histograms` and `exemplars` fields, encoded (see [`histogram_fields`]).
pub(crate) fn histogram_series(out: &mut Vec<u8>, labels: &[u8], fields: &[u8]) {
    out.push(0x0a);
    varint(out, (labels.len() + fields.len()) as u64);
    out.extend_from_slice(labels);
    out.extend_from_slice(fields);
}

/// Appends a `TimeSeries`' `histograms` field of `histogram` (an encoded `Histogram`
/// message) and an `exemplars` field for each of `exemplars` (encoded `Exemplar` messages).
pub(crate) fn histogram_fields<'a>(
    out: &mut Vec<u8>,
    histogram: &[u8],
    exemplars: impl IntoIterator<Item = &'a [u8]>,
) {
    bytes_field(out, 0x22, histogram);
    for exemplar in exemplars {
        bytes_field(out, 0x1a, exemplar);
    }
}

/// Appends an `Exemplar` message's fields: its labels, value and timestamp.
pub(crate) fn exemplar<'a>(
    out: &mut Vec<u8>,
    labels: impl IntoIterator<Item = (&'a str, &'a str)>,
    value: f64,
    timestamp_ms: i64,
) {
    for (name, value) in labels {
        label(out, name, value);
    }
    out.push(0x11);
    out.extend_from_slice(&value.to_bits().to_le_bytes());
    out.push(0x18);
    varint(out, timestamp_ms as u64);
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// Appends the `BucketSpan` messages of `spans` as field `tag`, and their deltas, packed, as
/// field `tag + 1`.
fn spans(out: &mut Vec<u8>, tag: u8, spans: &[(i32, u32)], deltas: &[i64]) {
    for &(offset, length) in spans {
        let offset = zigzag(i64::from(offset));
        let len = 2 + varint_len(offset) + varint_len(u64::from(length));
        out.push(tag);
        varint(out, len as u64);
        out.push(0x08);
        varint(out, offset);
        out.push(0x10);
        varint(out, u64::from(length));
    }
    if !deltas.is_empty() {
        let len: usize = deltas.iter().map(|&d| varint_len(zigzag(d))).sum();
        out.push(tag + 8);
        varint(out, len as u64);
        for &delta in deltas {
            varint(out, zigzag(delta));
        }
    }
}

/// Appends a `Histogram` message's fields for native histogram `native` of `sum`, at
/// `timestamp_ms`: its count is its buckets' total, as Prometheus requires.
pub(crate) fn native_histogram(
    out: &mut Vec<u8>,
    native: &http_metrics_core::model::NativeHistogram,
    sum: f64,
    timestamp_ms: i64,
) {
    let count = native.count();
    out.push(0x08);
    varint(out, count);
    out.push(0x19);
    out.extend_from_slice(&sum.to_bits().to_le_bytes());
    out.push(0x20);
    varint(out, zigzag(i64::from(native.schema)));
    out.push(0x29);
    out.extend_from_slice(&native.zero_threshold.to_bits().to_le_bytes());
    out.push(0x30);
    varint(out, native.zero_count);
    // Negative spans are field 8 (deltas 9), positive 11 (deltas 12): `tag + 8` is the
    // deltas' tag with wire type 2.
    spans(out, 0x42, &native.negative_spans, &native.negative_deltas);
    spans(out, 0x5a, &native.positive_spans, &native.positive_deltas);
    out.push(0x78);
    varint(out, timestamp_ms as u64);
}

/// Encodes a `WriteRequest` of `series` (encoded `TimeSeries` messages, as
/// [`time_series`] writes them) and `metadata`.
pub(crate) fn write_request(out: &mut Vec<u8>, series: &[u8], metadata: &[Metadata]) {
    out.extend_from_slice(series);
    for meta in metadata {
        let string_len = |s: &str| {
            if s.is_empty() {
                0
            } else {
                1 + varint_len(s.len() as u64) + s.len()
            }
        };
        let len = 2 + string_len(&meta.family) + string_len(&meta.help) + string_len(&meta.unit);
        out.push(0x1a);
        varint(out, len as u64);
        out.push(0x08);
        out.push(meta.kind);
        for (tag, text) in [(0x12, &meta.family), (0x22, &meta.help), (0x2a, &meta.unit)] {
            if !text.is_empty() {
                bytes_field(out, tag, text.as_bytes());
            }
        }
    }
}

#[cfg(test)]
fn read_varint(bytes: &mut &[u8]) -> u64 {
    let mut value = 0;
    let mut shift = 0;
    loop {
        let b = bytes[0];
        *bytes = &bytes[1..];
        value |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return value;
        }
        shift += 7;
    }
}

#[cfg(test)]
fn read_bytes<'a>(bytes: &mut &'a [u8], tag: u8) -> &'a [u8] {
    assert_eq!(bytes[0], tag);
    *bytes = &bytes[1..];
    let len = read_varint(bytes) as usize;
    let (field, rest) = bytes.split_at(len);
    *bytes = rest;
    field
}

/// One sample read back: its labels, value and timestamp.
#[cfg(test)]
pub(crate) type Decoded = (Vec<(String, String)>, f64, i64);

/// Reads back one `TimeSeries` message of one sample, as [`time_series`] writes it: labels,
/// value and timestamp (for tests).
#[cfg(test)]
pub(crate) fn decode_time_series(mut bytes: &[u8]) -> Decoded {
    let mut series = read_bytes(&mut bytes, 0x0a);
    assert!(bytes.is_empty());
    let mut labels = Vec::new();
    while series[0] == 0x0a {
        let mut label = read_bytes(&mut series, 0x0a);
        let name = read_bytes(&mut label, 0x0a);
        let value = read_bytes(&mut label, 0x12);
        labels.push((
            String::from_utf8(name.to_vec()).unwrap(),
            String::from_utf8(value.to_vec()).unwrap(),
        ));
    }
    let mut sample = read_bytes(&mut series, 0x12);
    assert_eq!(sample[0], 0x09);
    let value = f64::from_le_bytes(sample[1..9].try_into().unwrap());
    sample = &sample[9..];
    assert_eq!(sample[0], 0x10);
    sample = &sample[1..];
    let timestamp = read_varint(&mut sample) as i64;
    (labels, value, timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_lengths() {
        for value in [0, 1, 127, 128, 16_383, 16_384, u32::MAX as u64, u64::MAX] {
            let mut out = Vec::new();
            varint(&mut out, value);
            assert_eq!(out.len(), varint_len(value), "{value}");
        }
        let mut out = Vec::new();
        varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
    }
}
