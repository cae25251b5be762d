//! From the registry's OpenMetrics text to the series a Prometheus scraping it would store:
//! one series per sample line, named and labelled as the line says, with the sender's
//! external labels added where the line has no label of that name, and metadata per family.
//!
//! Label sets are interned: a series' labels are parsed, sorted and encoded as protobuf once,
//! the first time it appears, and shared by every snapshot that holds it. A series that
//! disappears gets a staleness marker, as a scrape would write.

use std::collections::HashMap;
use std::sync::Arc;

use super::wire;

/// Prometheus' staleness marker: a NaN no arithmetic produces.
pub(crate) const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

/// One series' labels, encoded once as `Label` messages, sorted by name.
#[derive(Debug)]
pub(crate) struct Labels {
    pub(crate) encoded: Box<[u8]>,
}

/// One sample of one series.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    pub(crate) labels: Arc<Labels>,
    pub(crate) value: f64,
    pub(crate) timestamp_ms: i64,
}

/// The metadata of one family, as remote-write's `MetricMetadata` carries it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Metadata {
    pub(crate) kind: u8,
    pub(crate) family: String,
    pub(crate) help: String,
    pub(crate) unit: String,
}

/// Why the registry's text could not be read: a line this reader does not understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub(crate) line: String,
}

struct Entry {
    labels: Arc<Labels>,
    generation: u64,
}

/// Interned series, kept from one snapshot to the next.
pub(crate) struct SeriesTable {
    external: Vec<(String, String)>,
    entries: HashMap<Box<str>, Entry, foldhash::fast::RandomState>,
    generation: u64,
}

/// What one snapshot of the registry holds.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    pub(crate) samples: Vec<Sample>,
    pub(crate) metadata: Vec<Metadata>,
}

impl SeriesTable {
    /// A table adding `external` labels (name, value) to every series without them.
    pub(crate) fn new(mut external: Vec<(String, String)>) -> Self {
        external.sort_by(|a, b| a.0.cmp(&b.0));
        external.dedup_by(|a, b| a.0 == b.0);
        Self {
            external,
            entries: HashMap::default(),
            generation: 0,
        }
    }

    /// How many series the table holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Reads one exposition in the OpenMetrics text format, taken at `timestamp_ms`. Series
    /// of the previous snapshot missing from this one get a staleness marker.
    pub(crate) fn snapshot(
        &mut self,
        text: &str,
        timestamp_ms: i64,
    ) -> Result<Snapshot, ParseError> {
        self.generation += 1;
        let generation = self.generation;
        let mut snapshot = Snapshot::default();
        for line in text.lines() {
            if line.is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix("# ") {
                read_descriptor(comment, &mut snapshot.metadata);
                continue;
            }
            let bad = || ParseError { line: line.into() };
            let key_end = series_end(line).ok_or_else(bad)?;
            let (key, rest) = line.split_at(key_end);
            let mut fields = rest.trim_start().split(' ');
            let value = fields.next().and_then(parse_value).ok_or_else(bad)?;
            // An explicit timestamp (seconds, in OpenMetrics) wins, as in a scrape.
            let timestamp_ms = match fields.next() {
                Some(ts) if ts != "#" => {
                    let seconds: f64 = ts.parse().map_err(|_| bad())?;
                    (seconds * 1000.0).round() as i64
                }
                _ => timestamp_ms,
            };
            let labels = match self.entries.get_mut(key) {
                // A series twice in one exposition: the first sample stands, as in a scrape
                // (two samples of one series at one time are refused by the receiver).
                Some(entry) if entry.generation == generation => continue,
                Some(entry) => {
                    entry.generation = generation;
                    entry.labels.clone()
                }
                None => {
                    let Some(labels) = self.encode_labels(key) else {
                        // A label named twice: not a series any receiver stores.
                        if parse_labels_ok(key) {
                            continue;
                        }
                        return Err(bad());
                    };
                    let labels = Arc::new(labels);
                    self.entries.insert(
                        key.into(),
                        Entry {
                            labels: labels.clone(),
                            generation,
                        },
                    );
                    labels
                }
            };
            snapshot.samples.push(Sample {
                labels,
                value,
                timestamp_ms,
            });
        }
        // What was there last time and is gone now is stale, once; then forgotten.
        self.entries.retain(|_, entry| {
            if entry.generation == generation {
                return true;
            }
            snapshot.samples.push(Sample {
                labels: entry.labels.clone(),
                value: f64::from_bits(STALE_NAN),
                timestamp_ms,
            });
            false
        });
        Ok(snapshot)
    }

    /// `name{a="b",...}` as sorted, encoded `Label` messages, `__name__` first among them
    /// by byte order, external labels added.
    fn encode_labels(&self, key: &str) -> Option<Labels> {
        let (name, labels) = match key.find('{') {
            Some(open) => (&key[..open], parse_labels(&key[open + 1..key.len() - 1])?),
            None => (key, Vec::new()),
        };
        if name.is_empty() {
            return None;
        }
        let mut all: Vec<(&str, std::borrow::Cow<'_, str>)> =
            Vec::with_capacity(labels.len() + self.external.len() + 1);
        all.push(("__name__", name.into()));
        // An empty value is the same as no label, to Prometheus: an external label fills it.
        all.extend(labels.into_iter().filter(|(_, value)| !value.is_empty()));
        for (external, value) in &self.external {
            // A label the series has keeps its value (Prometheus' external_labels rule).
            if !all.iter().any(|(n, _)| n == external) {
                all.push((external.as_str(), value.as_str().into()));
            }
        }
        all.sort_by(|a, b| a.0.cmp(b.0));
        if all.windows(2).any(|pair| pair[0].0 == pair[1].0) {
            return None;
        }
        let mut encoded = Vec::new();
        for (name, value) in &all {
            wire::label(&mut encoded, name, value);
        }
        Some(Labels {
            encoded: encoded.into_boxed_slice(),
        })
    }
}

/// Whether `key`'s name and label set read well (its labels may still repeat a name).
fn parse_labels_ok(key: &str) -> bool {
    match key.find('{') {
        Some(open) => open > 0 && parse_labels(&key[open + 1..key.len() - 1]).is_some(),
        None => !key.is_empty(),
    }
}

/// `TYPE`, `HELP` and `UNIT` lines, gathered per family in order of appearance.
fn read_descriptor(comment: &str, metadata: &mut Vec<Metadata>) {
    let Some((keyword, rest)) = comment.split_once(' ') else {
        return;
    };
    let (family, text) = rest.split_once(' ').unwrap_or((rest, ""));
    let entry = match metadata.last_mut() {
        Some(last) if last.family == family => last,
        _ => {
            metadata.push(Metadata {
                kind: 0,
                family: family.to_owned(),
                help: String::new(),
                unit: String::new(),
            });
            metadata.last_mut().expect("just pushed")
        }
    };
    match keyword {
        "TYPE" => entry.kind = wire::metric_type(text),
        "HELP" => entry.help = unescape(text).into_owned(),
        "UNIT" => entry.unit = text.to_owned(),
        _ => {}
    }
}

/// Where the series' name and labels end: after the name, or after the closing `}` of the
/// label set (quotes and escapes inside values respected).
fn series_end(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let name_end = bytes
        .iter()
        .position(|&b| b == b'{' || b == b' ')
        .unwrap_or(bytes.len());
    if bytes.get(name_end) != Some(&b'{') {
        return Some(name_end);
    }
    let mut quoted = false;
    let mut i = name_end + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'}' if !quoted => return Some(i + 1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// `a="1",b="x\"y"` into names and unescaped values.
fn parse_labels(mut text: &str) -> Option<Vec<(&str, std::borrow::Cow<'_, str>)>> {
    let mut labels = Vec::new();
    loop {
        text = text.trim_start_matches([',', ' ']);
        if text.is_empty() {
            return Some(labels);
        }
        let (name, rest) = text.split_once("=\"")?;
        let bytes = rest.as_bytes();
        let mut i = 0;
        while i < bytes.len() && bytes[i] != b'"' {
            if bytes[i] == b'\\' {
                i += 1;
            }
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        labels.push((name.trim(), unescape(&rest[..i])));
        text = &rest[i + 1..];
    }
}

/// OpenMetrics' escapes in label values and help: `\\`, `\"`, `\n`.
fn unescape(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\\') {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out.into()
}

fn parse_value(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => text.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(labels: &Labels) -> Vec<(String, String)> {
        wire::decode_labels(&labels.encoded)
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn every_line_is_a_series_with_sorted_labels_and_external_labels() {
        let text = "# HELP http_requests Requests \\\"served\\\".\n\
                    # TYPE http_requests counter\n\
                    http_requests_total{route=\"/a\",method=\"GET\"} 3\n\
                    # TYPE latency histogram\n\
                    # UNIT latency seconds\n\
                    latency_bucket{le=\"0.1\"} 1 # {trace_id=\"abc\"} 0.05 1.5\n\
                    latency_bucket{le=\"+Inf\"} 2\n\
                    latency_sum 0.5e0\n\
                    latency_count 2\n\
                    # TYPE up gauge\n\
                    up{job=\"mine\",v=\"a,b}\\\"c\\\\\"} -Inf\n\
                    # EOF\n";
        let mut table = SeriesTable::new(pairs(&[("job", "svc"), ("instance", "i-1")]));
        let snapshot = table.snapshot(text, 1_000).unwrap();
        let got: Vec<_> = snapshot
            .samples
            .iter()
            .map(|s| (decoded(&s.labels), s.value, s.timestamp_ms))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    pairs(&[
                        ("__name__", "http_requests_total"),
                        ("instance", "i-1"),
                        ("job", "svc"),
                        ("method", "GET"),
                        ("route", "/a"),
                    ]),
                    3.0,
                    1_000
                ),
                (
                    pairs(&[
                        ("__name__", "latency_bucket"),
                        ("instance", "i-1"),
                        ("job", "svc"),
                        ("le", "0.1"),
                    ]),
                    1.0,
                    1_000
                ),
                (
                    pairs(&[
                        ("__name__", "latency_bucket"),
                        ("instance", "i-1"),
                        ("job", "svc"),
                        ("le", "+Inf"),
                    ]),
                    2.0,
                    1_000
                ),
                (
                    pairs(&[
                        ("__name__", "latency_sum"),
                        ("instance", "i-1"),
                        ("job", "svc")
                    ]),
                    0.5,
                    1_000
                ),
                (
                    pairs(&[
                        ("__name__", "latency_count"),
                        ("instance", "i-1"),
                        ("job", "svc")
                    ]),
                    2.0,
                    1_000
                ),
                (
                    pairs(&[
                        ("__name__", "up"),
                        ("instance", "i-1"),
                        ("job", "mine"),
                        ("v", "a,b}\"c\\"),
                    ]),
                    f64::NEG_INFINITY,
                    1_000
                ),
            ]
        );
        assert_eq!(
            snapshot.metadata,
            vec![
                Metadata {
                    kind: 1,
                    family: "http_requests".into(),
                    help: "Requests \"served\".".into(),
                    unit: String::new(),
                },
                Metadata {
                    kind: 3,
                    family: "latency".into(),
                    help: String::new(),
                    unit: "seconds".into(),
                },
                Metadata {
                    kind: 2,
                    family: "up".into(),
                    help: String::new(),
                    unit: String::new(),
                },
            ]
        );
    }

    #[test]
    fn labels_are_encoded_once_and_vanished_series_marked_stale_once() {
        let mut table = SeriesTable::new(Vec::new());
        let first = table.snapshot("a 1\nb{x=\"1\"} 2\n# EOF\n", 10).unwrap();
        let second = table.snapshot("a 5\n# EOF\n", 20).unwrap();
        assert!(Arc::ptr_eq(
            &first.samples[0].labels,
            &second.samples[0].labels
        ));
        assert_eq!(second.samples.len(), 2);
        assert_eq!(second.samples[1].value.to_bits(), STALE_NAN);
        assert_eq!(second.samples[1].timestamp_ms, 20);
        assert_eq!(
            decoded(&second.samples[1].labels),
            pairs(&[("__name__", "b"), ("x", "1")])
        );
        assert_eq!(table.len(), 1);
        let third = table.snapshot("a 6\n# EOF\n", 30).unwrap();
        assert_eq!(third.samples.len(), 1, "a stale marker is written once");
    }

    #[test]
    fn explicit_timestamps_and_special_values() {
        let mut table = SeriesTable::new(Vec::new());
        let s = table
            .snapshot("a NaN 12.5\nb +Inf\nc 1e3\nd{e=\"\"} 4\n", 99)
            .unwrap();
        assert!(s.samples[0].value.is_nan());
        assert_eq!(s.samples[0].timestamp_ms, 12_500);
        assert_eq!(s.samples[1].value, f64::INFINITY);
        assert_eq!(s.samples[2].value, 1000.0);
        // An empty label value is no label.
        assert_eq!(decoded(&s.samples[3].labels), pairs(&[("__name__", "d")]));
    }

    #[test]
    fn repeated_series_and_repeated_label_names_are_left_out() {
        let mut table = SeriesTable::new(pairs(&[("instance", "i-1")]));
        let s = table
            .snapshot(
                "a{x=\"1\"} 1\na{x=\"1\"} 2\nb{x=\"1\",x=\"2\"} 3\nc{instance=\"\"} 4\n",
                5,
            )
            .unwrap();
        let got: Vec<_> = s
            .samples
            .iter()
            .map(|s| (decoded(&s.labels), s.value))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    pairs(&[("__name__", "a"), ("instance", "i-1"), ("x", "1")]),
                    1.0
                ),
                (pairs(&[("__name__", "c"), ("instance", "i-1")]), 4.0),
            ]
        );
    }

    #[test]
    fn a_line_it_cannot_read_is_an_error_naming_it() {
        let mut table = SeriesTable::new(Vec::new());
        for bad in ["a{b=\"1\" 2", "a", "a x", "{b=\"1\"} 2", "a{b=1} 2"] {
            let err = table.snapshot(bad, 1).unwrap_err();
            assert_eq!(err.line, bad);
        }
    }
}
