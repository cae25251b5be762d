//! Timing code into a histogram or a summary: a guard that observes when dropped, a closure
//! form and a future form — the guides' `@REQUEST_LATENCY.time()` and `with ….time():`.

use std::future::Future;
use std::time::Instant;

use prometheus_client::metrics::histogram::Histogram;

/// Something a duration in seconds can be observed into: prometheus-client's `Histogram` and
/// the [`Summary`](crate::Summary), or a type of the application's own.
///
/// ```
/// use std::sync::Mutex;
/// use http_metrics_core::{Observe, TimerExt};
///
/// /// Keeps the slowest duration seen.
/// #[derive(Default)]
/// struct Slowest(Mutex<f64>);
/// impl Observe for Slowest {
///     fn observe_seconds(&self, seconds: f64) {
///         let mut slowest = self.0.lock().unwrap();
///         *slowest = slowest.max(seconds);
///     }
/// }
/// let slowest = Slowest::default();
/// slowest.time(|| ());
/// ```
pub trait Observe {
    /// Records one duration, in seconds.
    fn observe_seconds(&self, seconds: f64);
}

impl Observe for Histogram {
    fn observe_seconds(&self, seconds: f64) {
        self.observe(seconds);
    }
}

impl Observe for crate::Summary {
    fn observe_seconds(&self, seconds: f64) {
        self.observe(seconds);
    }
}

impl<T: Observe + ?Sized> Observe for &T {
    fn observe_seconds(&self, seconds: f64) {
        (**self).observe_seconds(seconds);
    }
}

/// Observes the time since it was started into its target when dropped (see
/// [`TimerExt::start_timer`]), or when [`Timer::stop`] is called.
///
/// ```
/// use http_metrics_core::prometheus_client::metrics::histogram::Histogram;
/// use http_metrics_core::TimerExt;
///
/// let latency = Histogram::new([0.1, 1.0]);
/// let timer = latency.start_timer();
/// let seconds = timer.stop(); // observed now, and returned
/// assert!(seconds >= 0.0);
/// latency.start_timer().discard(); // never observed
/// ```
#[derive(Debug)]
#[must_use = "a timer observes when dropped: bind it to a variable (`let _timer = ...`)"]
pub struct Timer<'a, O: Observe + ?Sized> {
    target: &'a O,
    started: Instant,
}

impl<O: Observe + ?Sized> Timer<'_, O> {
    /// Observes now and returns the duration observed, in seconds.
    pub fn stop(self) -> f64 {
        let seconds = self.started.elapsed().as_secs_f64();
        self.target.observe_seconds(seconds);
        std::mem::forget(self);
        seconds
    }

    /// Drops the timer without observing anything.
    pub fn discard(self) {
        std::mem::forget(self);
    }
}

impl<O: Observe + ?Sized> Drop for Timer<'_, O> {
    fn drop(&mut self) {
        self.target
            .observe_seconds(self.started.elapsed().as_secs_f64());
    }
}

/// The timing forms, for every [`Observe`] target (prometheus-client's `Histogram`,
/// [`Summary`](crate::Summary)): the guides' `@REQUEST_LATENCY.time()` and
/// `with ….time():`.
///
/// ```
/// use http_metrics_core::prometheus_client::metrics::histogram::Histogram;
/// use http_metrics_core::{Summary, TimerExt};
///
/// let latency = Histogram::new([0.01, 0.1, 1.0]);
/// // The closure form:
/// let rows = latency.time(|| 42);
/// // The guard: observed when it goes out of scope, early returns and panics included.
/// {
///     let _timer = latency.start_timer();
///     // ... work ...
/// }
/// // A future: observed when it completes, or when it is dropped before that.
/// let summary = Summary::builder().build().unwrap();
/// let answer = summary.time_future(async { 7 });
/// # let _ = (rows, answer);
/// ```
pub trait TimerExt: Observe {
    /// A guard that observes the time until it is dropped.
    fn start_timer(&self) -> Timer<'_, Self> {
        Timer {
            target: self,
            started: Instant::now(),
        }
    }

    /// Runs `f` and observes how long it took (also when it panics).
    fn time<R>(&self, f: impl FnOnce() -> R) -> R {
        let _timer = self.start_timer();
        f()
    }

    /// Awaits `future` and observes how long it took, from its first poll until it
    /// completes — or until it is dropped unfinished once started (a timeout, a cancelled
    /// task), which is observed too.
    fn time_future<F: Future>(&self, future: F) -> impl Future<Output = F::Output> {
        async move {
            let _timer = self.start_timer();
            future.await
        }
    }
}

impl<O: Observe + ?Sized> TimerExt for O {}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(histogram: &Histogram) -> String {
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register("t", "T", histogram.clone());
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        text.lines()
            .find(|l| l.starts_with("t_count"))
            .unwrap()
            .to_owned()
    }

    #[test]
    fn each_form_observes_once() {
        let histogram = Histogram::new([1.0]);
        assert_eq!(histogram.time(|| 3), 3);
        drop(histogram.start_timer());
        let stopped = histogram.start_timer().stop();
        assert!(stopped >= 0.0);
        histogram.start_timer().discard();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            histogram.time(|| panic!("boom"))
        }));
        assert!(result.is_err());
        // The closure, the dropped guard, the stopped one and the panic: not the discarded.
        assert_eq!(count(&histogram), "t_count 4");
    }

    #[test]
    fn a_future_is_observed_when_it_completes_or_is_dropped() {
        let histogram = Histogram::new([1.0]);
        let done = futures_lite_block_on(histogram.time_future(async { 5 }));
        assert_eq!(done, 5);
        // Never polled: the timer never started, so nothing is observed.
        drop(histogram.time_future(std::future::pending::<()>()));
        assert_eq!(count(&histogram), "t_count 1");
        // Started (polled once), then dropped unfinished: observed all the same.
        {
            use std::task::{Context, Waker};
            let mut cancelled = std::pin::pin!(histogram.time_future(std::future::pending::<()>()));
            let mut cx = Context::from_waker(Waker::noop());
            assert!(cancelled.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(count(&histogram), "t_count 2");
    }

    /// Polls a future that is ready at once to completion.
    fn futures_lite_block_on<F: Future>(future: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut future = std::pin::pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }
}
