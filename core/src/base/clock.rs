//! The clock every duration is measured with.

// The request clock. On cloud VMs two reads of `std::time::Instant` are most of the
// recording path's cost; quanta reads the CPU's invariant
// TSC (calibrated once per process) and falls back to the OS clock where the TSC cannot be
// trusted. The guard keeps the raw reading and scales only the difference, once, and goes to
// the clock directly rather than through `quanta::Instant::now()`, which first looks for a
// thread-local mock clock on every read.
#[cfg(not(test))]
#[inline]
pub(crate) fn clock() -> &'static quanta::Clock {
    static CLOCK: std::sync::OnceLock<quanta::Clock> = std::sync::OnceLock::new();
    CLOCK.get_or_init(quanta::Clock::new)
}

// In the core's own tests, a mock clock per thread that only moves when a test moves it, so
// that durations are exact and no test has to sleep.
#[cfg(test)]
pub(crate) fn clock() -> &'static quanta::Clock {
    test_clock::CLOCK.with(|(clock, _)| *clock)
}

#[cfg(test)]
pub(crate) mod test_clock {
    use std::sync::Arc;

    thread_local! {
        pub(super) static CLOCK: (&'static quanta::Clock, Arc<quanta::Mock>) = {
            let (clock, mock) = quanta::Clock::mock();
            (Box::leak(Box::new(clock)), mock)
        };
    }

    /// Moves this thread's clock forward.
    pub(crate) fn advance(by: std::time::Duration) {
        CLOCK.with(|(_, mock)| mock.increment(by));
    }
}
