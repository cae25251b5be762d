//! Exemplars: the trace a request belongs to, attached to the latency histogram's bucket it
//! fell in, and to the request counter.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// A trace and span id, as W3C Trace Context gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TraceContext {
    /// The 16-byte trace id.
    pub trace_id: [u8; 16],
    /// The 8-byte id of the span the request is in.
    pub span_id: [u8; 8],
}

impl TraceContext {
    /// Reads a W3C `traceparent` header value: `version-trace_id-parent_id-flags`, in lower
    /// case hex, with a trace and a span id that are not all zeros, and the `sampled` flag
    /// set (an unsampled trace is not kept by the tracing backend, and an exemplar would
    /// point at nothing: OpenTelemetry's trace-based exemplar filter). `None` for anything
    /// else: such a header records no exemplar, and the request is recorded as any other.
    ///
    /// ```
    /// use http_metrics_core::TraceContext;
    ///
    /// let ok = TraceContext::from_traceparent(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    /// assert_eq!(ok.unwrap().trace_id[0], 0x4b);
    /// assert!(TraceContext::from_traceparent(b"00-00000000000000000000000000000000-00f067aa0ba902b7-01").is_none());
    /// assert!(TraceContext::from_traceparent(b"not a traceparent").is_none());
    /// ```
    pub fn from_traceparent(value: &[u8]) -> Option<Self> {
        let value = value.trim_ascii();
        // Version 00 is exactly 55 bytes; later versions may append fields after a `-`.
        if value.len() < 55 || (value.len() > 55 && value[55] != b'-') {
            return None;
        }
        let version = hex::<1>(&value[0..2])?;
        if version[0] == 0xff || (version[0] == 0 && value.len() != 55) {
            return None;
        }
        if value[2] != b'-' || value[35] != b'-' || value[52] != b'-' {
            return None;
        }
        let trace_id = hex::<16>(&value[3..35])?;
        let span_id = hex::<8>(&value[36..52])?;
        let flags = hex::<1>(&value[53..55])?;
        if trace_id == [0; 16] || span_id == [0; 8] || flags[0] & 1 == 0 {
            return None;
        }
        Some(Self { trace_id, span_id })
    }

    /// The ids in lower-case hex, as exemplar labels carry them.
    #[cfg(test)]
    fn write_labels(&self, out: &mut String) {
        out.push_str("trace_id=\"");
        push_hex(&self.trace_id, out);
        out.push_str("\",span_id=\"");
        push_hex(&self.span_id, out);
        out.push('"');
    }
}

/// Appends `bytes` in lower-case hex.
pub(crate) fn push_hex(bytes: &[u8], out: &mut String) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
}

/// `N` bytes from `2N` lower-case hex digits (W3C Trace Context allows no upper case).
fn hex<const N: usize>(digits: &[u8]) -> Option<[u8; N]> {
    if digits.len() != 2 * N {
        return None;
    }
    let mut out = [0; N];
    // Any digit outside `0-9a-f` sets the high bits.
    let mut invalid = 0;
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = (HEX[usize::from(pair[0])], HEX[usize::from(pair[1])]);
        invalid |= high | low;
        *byte = high << 4 | low;
    }
    (invalid & 0xf0 == 0).then_some(out)
}

/// Each byte's value as a lower-case hexadecimal digit, or `0xff`: a table rather than a
/// branch per digit (a trace id and a span id are 48 digits on every traced request).
static HEX: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

type TraceFn = Arc<dyn Fn() -> Option<TraceContext> + Send + Sync>;

/// Where the exemplars' trace ids come from; set with
/// [`HttpMetricsBuilder::exemplars`](crate::HttpMetricsBuilder::exemplars).
///
/// ```
/// use http_metrics_core::{Exemplars, HttpMetrics};
///
/// // The W3C `traceparent` header of each request.
/// let metrics = HttpMetrics::builder().exemplars(Exemplars::traceparent()).build().unwrap();
/// // Or the current span of a tracing library, read when the request starts.
/// let metrics = HttpMetrics::builder()
///     .exemplars(Exemplars::from_fn(|| None /* e.g. the current OpenTelemetry span */))
///     .build()
///     .unwrap();
/// ```
#[derive(Clone)]
pub struct Exemplars {
    pub(crate) source: Option<TraceFn>,
}

impl std::fmt::Debug for Exemplars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.source {
            None => "Exemplars::traceparent()",
            Some(_) => "Exemplars::from_fn(..)",
        })
    }
}

impl Exemplars {
    /// Trace ids from each request's W3C `traceparent` header.
    pub fn traceparent() -> Self {
        Self { source: None }
    }

    /// Trace ids from `source`, called as each request enters the middleware (in the task
    /// that serves it, so a tracing span entered around the middleware is current).
    pub fn from_fn(source: impl Fn() -> Option<TraceContext> + Send + Sync + 'static) -> Self {
        Self {
            source: Some(Arc::new(source)),
        }
    }

    /// The request's trace: from the function, or from its `traceparent` header value.
    pub(crate) fn trace(&self, traceparent: Option<&[u8]>) -> Option<TraceContext> {
        match &self.source {
            Some(source) => source(),
            None => traceparent.and_then(TraceContext::from_traceparent),
        }
    }
}

/// The last exemplar of each bucket of one series (and of its counter).
#[derive(Debug)]
pub(crate) struct Slots {
    buckets: Box<[Mutex<Option<Stored>>]>,
    counter: Mutex<Option<Stored>>,
}

/// One exemplar as a slot keeps it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stored {
    pub(crate) trace: TraceContext,
    /// The request's duration.
    pub(crate) seconds: f64,
    /// When it was recorded, in seconds since the epoch.
    pub(crate) timestamp: f64,
}

impl Slots {
    pub(crate) fn new(buckets: usize) -> Self {
        Self {
            buckets: (0..buckets).map(|_| Mutex::new(None)).collect(),
            counter: Mutex::new(None),
        }
    }

    /// Keeps `trace` as the latest exemplar of `bucket` and of the counter. Never waits: a
    /// slot another request is writing keeps that request's exemplar instead.
    pub(crate) fn record(&self, bucket: usize, nanos: u64, trace: &TraceContext) {
        let stored = Stored {
            trace: *trace,
            seconds: nanos as f64 / 1e9,
            timestamp: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        };
        for slot in [&self.buckets[bucket], &self.counter] {
            if let Ok(mut slot) = slot.try_lock() {
                *slot = Some(stored);
            }
        }
    }

    /// The exemplar `bucket` (or the counter, `None`) keeps now, if any.
    pub(crate) fn stored(&self, bucket: Option<usize>) -> Option<Stored> {
        let slot = match bucket {
            Some(i) => &self.buckets[i],
            None => &self.counter,
        };
        *slot.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_is_read_strictly() {
        let ok = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let trace = TraceContext::from_traceparent(ok).unwrap();
        let mut labels = String::new();
        trace.write_labels(&mut labels);
        assert_eq!(
            labels,
            "trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\""
        );
        for bad in [
            &b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"[..],
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            b"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            b"00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
            // Not sampled.
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
            b"",
            b"\xff\xfe",
        ] {
            assert_eq!(TraceContext::from_traceparent(bad), None, "{bad:?}");
        }
        // A later version may carry more fields.
        let v1 = b"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more";
        assert!(TraceContext::from_traceparent(v1).is_some());
    }
}
