//! Targeted quantiles over a stream, after Cormode, Korn, Muthukrishnan and Srivastava,
//! "Effective Computation of Biased Quantiles over Data Streams" (ICDE 2005): a sorted list
//! of samples, each standing for a range of ranks, compressed as far as the error allowed
//! at each rank permits. For every objective `(φ, ε)`, a query for `φ` returns a value
//! whose rank is within `ε·n` of `φ·n`.

/// One quantile objective: the quantile, and the rank error allowed around it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Objective {
    pub(crate) quantile: f64,
    pub(crate) error: f64,
}

#[derive(Clone, Copy, Debug)]
struct Sample {
    value: f64,
    /// How many observations this sample stands for (`g` in the paper).
    width: f64,
    /// The uncertainty of its rank (`Δ` in the paper).
    delta: f64,
}

/// The compressed stream of one age bucket.
#[derive(Clone, Debug, Default)]
pub(crate) struct Stream {
    samples: Vec<Sample>,
    /// Observations merged so far.
    n: f64,
}

impl Stream {
    /// The largest rank uncertainty allowed at rank `r`: the tightest over all objectives.
    fn allowed(&self, objectives: &[Objective], r: f64) -> f64 {
        let mut allowed = f64::MAX;
        for o in objectives {
            let f = if o.quantile * self.n <= r {
                2.0 * o.error * r / o.quantile
            } else {
                2.0 * o.error * (self.n - r) / (1.0 - o.quantile)
            };
            allowed = allowed.min(f);
        }
        allowed
    }

    /// Merges `sorted` (ascending, no NaN) into the stream in one pass, then compresses it.
    pub(crate) fn merge(&mut self, sorted: &[f64], objectives: &[Objective]) {
        let mut merged = Vec::with_capacity(self.samples.len() + sorted.len());
        let mut old = std::mem::take(&mut self.samples).into_iter().peekable();
        // The rank of everything merged so far.
        let mut r = 0.0;
        for &value in sorted {
            while let Some(sample) = old.next_if(|s| s.value <= value) {
                r += sample.width;
                merged.push(sample);
            }
            let delta = if merged.is_empty() || old.peek().is_none() {
                // A new minimum or maximum: its rank is exact.
                0.0
            } else {
                (self.allowed(objectives, r).floor() - 1.0).max(0.0)
            };
            merged.push(Sample {
                value,
                width: 1.0,
                delta,
            });
            self.n += 1.0;
            r += 1.0;
        }
        merged.extend(old);
        self.samples = merged;
        self.compress(objectives);
    }

    /// Folds samples into their successors wherever the error allowed at their rank admits.
    fn compress(&mut self, objectives: &[Objective]) {
        if self.samples.len() < 2 {
            return;
        }
        let mut kept: Vec<Sample> = Vec::with_capacity(self.samples.len());
        let mut x = self.samples[self.samples.len() - 1];
        let mut r = self.n - 1.0 - x.width;
        for c in self.samples[..self.samples.len() - 1].iter().rev() {
            if c.width + x.width + x.delta <= self.allowed(objectives, r) {
                x.width += c.width;
            } else {
                kept.push(x);
                x = *c;
            }
            r -= c.width;
        }
        kept.push(x);
        kept.reverse();
        self.samples = kept;
    }

    /// The value at quantile `q`, or NaN when the stream is empty.
    pub(crate) fn query(&self, q: f64, objectives: &[Objective]) -> f64 {
        let Some(first) = self.samples.first() else {
            return f64::NAN;
        };
        // The value of rank ⌈φn⌉, give or take half the uncertainty allowed there: with
        // nothing compressed away it is exactly the order statistic.
        let target = (q * self.n).ceil();
        let t = target + self.allowed(objectives, target) / 2.0;
        let mut previous = first;
        let mut r = 0.0;
        for c in &self.samples[1..] {
            r += previous.width;
            if r + c.width + c.delta > t {
                return previous.value;
            }
            previous = c;
        }
        previous.value
    }

    /// The number of observations merged.
    #[cfg(test)]
    fn count(&self) -> f64 {
        self.n
    }

    /// Forgets every observation; keeps the allocation.
    pub(crate) fn reset(&mut self) {
        self.samples.clear();
        self.n = 0.0;
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.samples.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OBJECTIVES: [Objective; 3] = [
        Objective {
            quantile: 0.5,
            error: 0.05,
        },
        Objective {
            quantile: 0.9,
            error: 0.01,
        },
        Objective {
            quantile: 0.99,
            error: 0.001,
        },
    ];

    /// 1..=n in a scrambled order (a fixed permutation: n is odd, the step coprime to it).
    fn scrambled(n: u64) -> Vec<f64> {
        (0..n).map(|i| ((i * 7_919) % n + 1) as f64).collect()
    }

    #[test]
    fn every_objective_holds_within_its_rank_error() {
        for n in [1u64, 2, 10, 999, 10_001, 100_003] {
            let mut stream = Stream::default();
            for chunk in scrambled(n).chunks(500) {
                let mut sorted = chunk.to_vec();
                sorted.sort_by(f64::total_cmp);
                stream.merge(&sorted, &OBJECTIVES);
            }
            assert_eq!(stream.count(), n as f64);
            for o in OBJECTIVES {
                // The values are the ranks 1..=n: the answer's rank is the answer.
                let rank = stream.query(o.quantile, &OBJECTIVES);
                let target = o.quantile * n as f64;
                let allowed = o.error * n as f64 + 1.0;
                assert!(
                    (rank - target).abs() <= allowed,
                    "n={n} q={}: rank {rank}, target {target} ± {allowed}",
                    o.quantile
                );
            }
        }
    }

    #[test]
    fn the_stream_stays_small() {
        let mut stream = Stream::default();
        for chunk in scrambled(100_003).chunks(500) {
            let mut sorted = chunk.to_vec();
            sorted.sort_by(f64::total_cmp);
            stream.merge(&sorted, &OBJECTIVES);
        }
        assert!(stream.len() < 2_000, "{} samples kept", stream.len());
    }

    #[test]
    fn a_small_stream_answers_its_exact_order_statistics() {
        let mut stream = Stream::default();
        stream.merge(&[512.0, 1024.0, 4096.0], &OBJECTIVES);
        assert_eq!(stream.query(0.5, &OBJECTIVES), 1024.0);
        assert_eq!(stream.query(0.9, &OBJECTIVES), 4096.0);
        assert_eq!(stream.query(0.01, &OBJECTIVES), 512.0);
    }

    #[test]
    fn an_empty_stream_answers_nan_and_reset_empties() {
        let mut stream = Stream::default();
        assert!(stream.query(0.5, &OBJECTIVES).is_nan());
        stream.merge(&[3.0], &OBJECTIVES);
        assert_eq!(stream.query(0.5, &OBJECTIVES), 3.0);
        stream.reset();
        assert!(stream.query(0.99, &OBJECTIVES).is_nan());
        assert_eq!(stream.count(), 0.0);
    }
}
