//! Remote-write 2.0: a 1.0 `WriteRequest` of this sender's rewritten as an
//! `io.prometheus.write.v2.Request`, every string once in the request's symbol table.
//!
//! ```text
//! Request    { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
//! TimeSeries { repeated uint32 labels_refs = 1; repeated Sample samples = 2;
//!              repeated Histogram histograms = 3; repeated Exemplar exemplars = 4;
//!              Metadata metadata = 5; int64 created_timestamp = 6; }
//! Exemplar   { repeated uint32 labels_refs = 1; double value = 2; int64 timestamp = 3; }
//! Metadata   { MetricType type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
//! ```
//!
//! `Sample` and `Histogram` have 1.0's fields and numbers, and are copied as they are. The
//! symbol table starts with the empty string, as the specification requires; labels keep
//! 1.0's order, sorted by name. Each series carries its family's metadata, which the 1.0
//! requests carry apart: the metadata of the last request that had it is kept for the
//! following ones.

use std::collections::HashMap;

use super::wire::{bytes_field, varint};

/// One family's metadata: type, help and unit.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct FamilyMetadata {
    kind: u64,
    help: String,
    unit: String,
}

/// The metadata of every family, by name, from the 1.0 requests that carried it.
#[derive(Debug, Default)]
pub(crate) struct Metadata(HashMap<String, FamilyMetadata>);

fn read_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(value);
        }
    }
    None
}

/// The next field of a message: its tag and, for a length-delimited one, its bytes; for a
/// varint or fixed64 one, its raw bytes.
fn field<'a>(bytes: &mut &'a [u8]) -> Option<(u64, &'a [u8])> {
    let tag = read_varint(bytes)?;
    let start = *bytes;
    let len = match tag & 7 {
        0 => {
            read_varint(bytes)?;
            start.len() - bytes.len()
        }
        1 => 8,
        2 => {
            let len = read_varint(bytes)? as usize;
            let header = start.len() - bytes.len();
            let value = bytes.get(..len)?;
            *bytes = &bytes[len..];
            return Some((tag, &start[header..header + value.len()]));
        }
        _ => return None,
    };
    let value = start.get(..len)?;
    *bytes = &start[len..];
    Some((tag, value))
}

/// A request's symbol table: each string once, the empty string first.
struct Symbols<'a> {
    index: HashMap<&'a [u8], u32, foldhash::fast::FixedState>,
    order: Vec<&'a [u8]>,
}

impl<'a> Symbols<'a> {
    fn new() -> Self {
        Self {
            index: {
                let mut index = HashMap::with_capacity_and_hasher(1024, Default::default());
                index.insert(&b""[..], 0);
                index
            },
            order: vec![b""],
        }
    }

    fn of(&mut self, text: &'a [u8]) -> u32 {
        let next = self.order.len() as u32;
        *self.index.entry(text).or_insert_with(|| {
            self.order.push(text);
            next
        })
    }
}

/// The `name` and `value` of an encoded `Label` message.
fn label(mut message: &[u8]) -> Option<(&[u8], &[u8])> {
    let (mut name, mut value) = (&b""[..], &b""[..]);
    while !message.is_empty() {
        match field(&mut message)? {
            (0x0a, text) => name = text,
            (0x12, text) => value = text,
            _ => {}
        }
    }
    Some((name, value))
}

/// Appends the packed `labels_refs` field of `labels`.
fn labels_refs<'a>(out: &mut Vec<u8>, symbols: &mut Symbols<'a>, labels: &[(&'a [u8], &'a [u8])]) {
    let mut packed = Vec::with_capacity(labels.len() * 4);
    for (name, value) in labels {
        varint(&mut packed, u64::from(symbols.of(name)));
        varint(&mut packed, u64::from(symbols.of(value)));
    }
    bytes_field(out, 0x0a, &packed);
}

/// The family a sample's name belongs to, among those with metadata.
fn family_of<'m>(metadata: &'m Metadata, name: &str) -> Option<&'m FamilyMetadata> {
    if let Some(found) = metadata.0.get(name) {
        return Some(found);
    }
    ["_total", "_bucket", "_sum", "_count", "_created", "_info"]
        .iter()
        .find_map(|suffix| metadata.0.get(name.strip_suffix(suffix)?))
}

impl Metadata {
    fn read(&mut self, mut message: &[u8]) -> Option<()> {
        let (mut name, mut family) = (String::new(), FamilyMetadata::default());
        while !message.is_empty() {
            match field(&mut message)? {
                (0x08, mut raw) => family.kind = read_varint(&mut raw)?,
                (0x12, text) => name = String::from_utf8_lossy(text).into_owned(),
                (0x22, text) => family.help = String::from_utf8_lossy(text).into_owned(),
                (0x2a, text) => family.unit = String::from_utf8_lossy(text).into_owned(),
                _ => {}
            }
        }
        self.0.insert(name, family);
        Some(())
    }

    /// `body`, a 1.0 `WriteRequest` (uncompressed) of this sender's, as a 2.0 `Request`,
    /// each series with its start time from `created` (milliseconds, 0: unknown; one a
    /// series, in order); the families' metadata it carries is kept for later requests.
    /// `None` for a body this sender did not write.
    pub(crate) fn rewrite(&mut self, body: &[u8], created: &[i64]) -> Option<Vec<u8>> {
        let mut rest = body;
        while !rest.is_empty() {
            if let (0x1a, message) = field(&mut rest)? {
                self.read(message)?;
            }
        }
        self.rewrite_series(body, created)
    }

    fn rewrite_series<'a>(&'a self, mut rest: &'a [u8], created: &[i64]) -> Option<Vec<u8>> {
        let body = rest;
        let mut series = Vec::new();
        while !rest.is_empty() {
            if let (0x0a, message) = field(&mut rest)? {
                series.push(message);
            }
        }
        let mut symbols = Symbols::new();
        let mut out_series = Vec::with_capacity(body.len() / 2);
        for (i, message) in series.into_iter().enumerate() {
            let start = created.get(i).copied().unwrap_or(0);
            self.series(message, start, &mut symbols, &mut out_series)?;
        }
        let mut out = Vec::with_capacity(out_series.len() + 64 * symbols.order.len());
        for symbol in &symbols.order {
            bytes_field(&mut out, 0x22, symbol);
        }
        out.extend_from_slice(&out_series);
        Some(out)
    }

    /// Appends one 1.0 `TimeSeries` `message` as a 2.0 one (field 5 of the request).
    fn series<'a>(
        &'a self,
        mut message: &'a [u8],
        created: i64,
        symbols: &mut Symbols<'a>,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let mut labels = Vec::new();
        let mut body = Vec::new();
        let mut exemplars = Vec::new();
        while !message.is_empty() {
            match field(&mut message)? {
                (0x0a, text) => labels.push(label(text)?),
                // Samples and histograms: the same messages in both versions.
                (0x12, sample) => bytes_field(&mut body, 0x12, sample),
                (0x22, histogram) => bytes_field(&mut body, 0x1a, histogram),
                (0x1a, exemplar) => exemplars.push(exemplar),
                _ => {}
            }
        }
        let mut ts = Vec::with_capacity(body.len() + 16);
        labels_refs(&mut ts, symbols, &labels);
        ts.extend_from_slice(&body);
        for mut exemplar in exemplars {
            let mut exemplar_labels = Vec::new();
            let mut rest = Vec::new();
            while !exemplar.is_empty() {
                match field(&mut exemplar)? {
                    (0x0a, text) => exemplar_labels.push(label(text)?),
                    (0x11, raw) => {
                        rest.push(0x11);
                        rest.extend_from_slice(raw);
                    }
                    (0x18, raw) => {
                        rest.push(0x18);
                        rest.extend_from_slice(raw);
                    }
                    _ => {}
                }
            }
            let mut encoded = Vec::new();
            labels_refs(&mut encoded, symbols, &exemplar_labels);
            encoded.extend_from_slice(&rest);
            bytes_field(&mut ts, 0x22, &encoded);
        }
        let name = labels
            .iter()
            .find(|(n, _)| *n == b"__name__")
            .map(|(_, v)| String::from_utf8_lossy(v));
        if let Some(family) = name.and_then(|name| family_of(self, &name)) {
            let mut metadata = Vec::new();
            metadata.push(0x08);
            varint(&mut metadata, family.kind);
            if !family.help.is_empty() {
                metadata.push(0x18);
                varint(&mut metadata, u64::from(symbols.of(family.help.as_bytes())));
            }
            if !family.unit.is_empty() {
                metadata.push(0x20);
                varint(&mut metadata, u64::from(symbols.of(family.unit.as_bytes())));
            }
            bytes_field(&mut ts, 0x2a, &metadata);
        }
        if created != 0 {
            ts.push(0x30);
            varint(&mut ts, created as u64);
        }
        bytes_field(out, 0x2a, &ts);
        Some(())
    }
}
