//! Histogram bucket bounds, validated once and resolved to nanoseconds.

use crate::ConfigError;

/// OpenTelemetry's recommended bucket bounds for HTTP server durations, in seconds.
pub const DEFAULT_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Bucket bounds for the body-size histograms, in bytes: powers of ten from 100 B to 100 MB.
pub const DEFAULT_SIZE_BUCKETS: [f64; 7] = [1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];

/// Bucket bounds for the lifetime of upgraded connections, in seconds: a second to a day.
pub const DEFAULT_CONNECTION_BUCKETS: [f64; 9] = [
    1.0, 10.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 14400.0, 86400.0,
];

/// Upper bounds of a histogram's buckets: of the latency histogram in seconds, of the
/// body-size histograms in bytes.
///
/// Bounds are finite, non-negative and strictly increasing; the `+Inf` bucket is implicit.
/// Each bound is also kept as a whole number of the recorded unit (nanoseconds, bytes) so
/// that recording a request compares integers, never floats.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Buckets {
    seconds: Box<[f64]>,
    nanos: Box<[u64]>,
    /// Recorded units per exposed unit: 1e9 nanoseconds a second, 1 byte a byte.
    scale: f64,
}

impl Buckets {
    /// Validates the bounds.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Buckets`] when there are no bounds, or a bound is negative, not finite,
    /// or not greater than the previous one.
    pub(crate) fn new(bounds: impl IntoIterator<Item = f64>) -> Result<Self, ConfigError> {
        Self::scaled(bounds, 1e9, "seconds")
    }

    /// Validates bounds in bytes, for the body-size histograms.
    ///
    /// # Errors
    ///
    /// As [`Buckets::new`].
    #[cfg(any(feature = "body-sizes", test))]
    pub(crate) fn bytes(bounds: impl IntoIterator<Item = f64>) -> Result<Self, ConfigError> {
        Self::scaled(bounds, 1.0, "bytes")
    }

    /// No bounds but the implicit `+Inf`: a latency histogram without classic buckets.
    #[cfg(feature = "native-histograms")]
    pub(crate) fn inf_only() -> Self {
        Self {
            seconds: Box::default(),
            nanos: Box::default(),
            scale: 1e9,
        }
    }

    fn scaled(
        bounds: impl IntoIterator<Item = f64>,
        scale: f64,
        unit: &str,
    ) -> Result<Self, ConfigError> {
        let seconds: Box<[f64]> = bounds.into_iter().collect();
        if seconds.is_empty() {
            return Err(ConfigError::Buckets(
                "at least one bucket bound is required".into(),
            ));
        }
        for (i, &b) in seconds.iter().enumerate() {
            if !b.is_finite() || b < 0.0 {
                return Err(ConfigError::Buckets(format!(
                    "bound {b} is not a finite, non-negative number of {unit}"
                )));
            }
            if i > 0 && b <= seconds[i - 1] {
                return Err(ConfigError::Buckets(format!(
                    "bounds must increase strictly, but {b} follows {}",
                    seconds[i - 1]
                )));
            }
        }
        // Rounding to the nearest nanosecond keeps 0.005 at exactly 5 ms although the float is
        // a hair above it; durations are measured in whole nanoseconds anyway.
        let nanos = seconds.iter().map(|s| (s * scale).round() as u64).collect();
        Ok(Self {
            seconds,
            nanos,
            scale,
        })
    }

    /// A sum of recorded units (nanoseconds, bytes) in the exposed unit.
    pub(crate) fn to_unit(&self, recorded: u64) -> f64 {
        recorded as f64 / self.scale
    }

    /// The bounds in the exposed unit, without the implicit `+Inf`.
    pub(crate) fn as_slice(&self) -> &[f64] {
        &self.seconds
    }

    /// The number of buckets including `+Inf`.
    pub(crate) fn len_with_inf(&self) -> usize {
        self.seconds.len() + 1
    }

    /// The index of the bucket a duration in nanoseconds (or a size in bytes) falls in: the
    /// first bound it does not exceed, or the `+Inf` bucket.
    #[inline]
    pub(crate) fn index(&self, nanos: u64) -> usize {
        self.nanos.partition_point(|&bound| bound < nanos)
    }
}

impl Default for Buckets {
    fn default() -> Self {
        Self::new(DEFAULT_BUCKETS).expect("the default buckets are valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duration_lands_in_the_first_bucket_it_does_not_exceed() {
        let b = Buckets::default();
        assert_eq!(b.index(0), 0);
        assert_eq!(b.index(5_000_000), 0, "exactly 5 ms is le=0.005");
        assert_eq!(b.index(5_000_001), 1);
        assert_eq!(b.index(20_000_000), 2, "20 ms is le=0.025");
        assert_eq!(b.index(10_000_000_000), 13, "exactly 10 s is le=10");
        assert_eq!(b.index(10_000_000_001), 14, "beyond the last bound is +Inf");
        assert_eq!(b.len_with_inf(), 15);
    }

    #[test]
    fn invalid_bounds_are_rejected_with_a_reason() {
        let msg = |r: Result<Buckets, ConfigError>| r.unwrap_err().to_string();
        assert!(msg(Buckets::new([])).contains("at least one"));
        assert!(msg(Buckets::new([0.1, 0.1])).contains("increase strictly"));
        assert!(msg(Buckets::new([f64::NAN])).contains("finite"));
        assert!(msg(Buckets::new([-1.0])).contains("non-negative"));
        assert!(msg(Buckets::new([f64::INFINITY])).contains("finite"));
        assert_eq!(
            msg(Buckets::bytes([-1.0])),
            "invalid histogram buckets: bound -1 is not a finite, non-negative number of bytes"
        );
    }

    #[test]
    fn a_size_lands_in_the_first_bucket_it_does_not_exceed() {
        let b = Buckets::bytes(DEFAULT_SIZE_BUCKETS).unwrap();
        assert_eq!(b.index(0), 0);
        assert_eq!(b.index(100), 0, "exactly 100 bytes is le=100");
        assert_eq!(b.index(101), 1);
        assert_eq!(b.index(100_000_001), 7, "beyond the last bound is +Inf");
        assert_eq!(b.to_unit(1_500), 1500.0);
        assert_eq!(Buckets::default().to_unit(1_500_000_000), 1.5);
    }
}
