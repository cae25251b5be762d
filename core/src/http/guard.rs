//! The per-request guard: one in-flight increment, and exactly one decrement and one
//! recorded request however the request ends.

use std::num::NonZeroU16;
#[cfg(feature = "body-sizes")]
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::recorder::Recorder;
use super::routes::RouteEntry;
use crate::base::clock;
use crate::{MethodLabel, Outcome};

/// The route a request is recorded under, resolved once and cheap to clone.
///
/// Adapters resolve one with [`RouteHandle::resolve`] (or take [`RouteHandle::unmatched`])
/// and may cache it: starting a request from a handle touches no lock and hashes nothing.
/// Two handles are equal when they are the same route of the same registry.
///
/// ```
/// use http_metrics_core::adapter::{MethodLabel, RouteHandle};
/// use http_metrics_core::HttpMetrics;
///
/// let metrics = HttpMetrics::new();
/// let route = RouteHandle::resolve(&metrics, "/api/users/{user_id}");
/// assert_eq!(route.template(), "/api/users/{user_id}");
/// let guard = route.start(MethodLabel::Get).expect("the route is not excluded");
/// guard.finish_with_status(200);
/// let scrapes = RouteHandle::resolve(&metrics, "/metrics");
/// assert!(scrapes.start(MethodLabel::Get).is_none(), "excluded by default");
/// ```
#[derive(Clone, Debug)]
pub struct RouteHandle(pub(crate) Arc<RouteEntry>);

impl PartialEq for RouteHandle {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for RouteHandle {}

impl RouteHandle {
    /// The handle of a route template of `metrics`, created on first use. This lookup takes
    /// a read lock and hashes the template: resolve once per route and keep the handle.
    /// The unmatched route's value resolves to [`RouteHandle::unmatched`].
    pub fn resolve(metrics: &impl AsRef<Recorder>, template: &str) -> Self {
        Self(metrics.as_ref().routes().resolve(template))
    }

    /// The handle shared by every request that no route matched.
    pub fn unmatched(metrics: &impl AsRef<Recorder>) -> &Self {
        metrics.as_ref().unmatched()
    }

    /// The `route` label value.
    pub fn template(&self) -> &str {
        self.0.template()
    }

    /// Whether requests on this route are left unrecorded.
    pub fn is_excluded(&self) -> bool {
        self.0.is_excluded()
    }

    /// Records a request that was measured elsewhere (an access log, a proxy's timing, a
    /// protocol this crate has no adapter for): counted with `status` and `duration` in the
    /// counter and the latency histogram, as a guard finished after `duration` would be,
    /// without passing through the in-flight gauge. Nothing for an excluded route or status.
    ///
    /// ```
    /// use std::time::Duration;
    /// use http_metrics_core::adapter::{MethodLabel, RouteHandle};
    /// use http_metrics_core::{Format, HttpMetrics};
    ///
    /// let metrics = HttpMetrics::builder().buckets([0.1, 1.0]).build().unwrap();
    /// let route = RouteHandle::resolve(&metrics, "/report");
    /// route.record(MethodLabel::Get, 200, Duration::from_millis(250));
    /// let text = metrics.encode(Format::Prometheus).unwrap();
    /// assert!(text.contains(r#"http_request_duration_seconds_bucket{le="0.1",method="GET",route="/report",status="200"} 0"#));
    /// assert!(text.contains(r#"http_request_duration_seconds_bucket{le="1.0",method="GET",route="/report",status="200"} 1"#));
    /// assert!(text.contains(r#"http_request_duration_seconds_sum{method="GET",route="/report",status="200"} 0.25"#));
    /// ```
    pub fn record(&self, method: MethodLabel, status: u16, duration: std::time::Duration) {
        if self.0.is_excluded() {
            return;
        }
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        // As `set_status` takes it: 0 is no HTTP status.
        let _ = self.0.observe(method, 0, status.max(1), nanos);
    }

    /// Starts recording a request: the in-flight gauge goes up by one now. Returns `None`
    /// for an excluded route, which records nothing at all.
    #[inline]
    pub fn start(&self, method: MethodLabel) -> Option<RequestGuard> {
        if self.0.is_excluded() {
            return None;
        }
        Some(self.start_before_routing(method))
    }

    /// Starts a request whose route is only a guess until the framework has routed it (one
    /// that routes after its middleware has run): like [`RouteHandle::start`], but on an
    /// excluded route the guard is kept rather than refused. It is then off the metrics —
    /// not in flight, and recording nothing — unless [`RequestGuard::set_route`] moves it to
    /// a route that is recorded, where it enters the in-flight gauge and is recorded as any
    /// other request. So only the framework's own routing keeps a request off the metrics.
    #[inline]
    pub fn start_before_routing(&self, method: MethodLabel) -> RequestGuard {
        let shard = crate::http::shards::shard() as u8;
        if !self.0.is_excluded() {
            self.0.enter(method, 0, shard);
        }
        RequestGuard {
            entry: self.0.clone(),
            clock: clock().raw(),
            status: None,
            method,
            flags: Flags::default(),
            shard,
            label: 0,
            #[cfg(feature = "body-sizes")]
            extras: self.0.settings().sizes.is_some().then(Default::default),
            #[cfg(all(feature = "exemplars", not(feature = "body-sizes")))]
            extras: None,
        }
    }
}

/// What a request carries besides its series, allocated only for the requests that need it:
/// its trace for an exemplar, and the bytes that crossed its bodies so far (shared by its
/// guard and the request body that counts them).
#[cfg(any(feature = "exemplars", feature = "body-sizes"))]
#[derive(Debug, Default)]
struct Extras {
    #[cfg(feature = "exemplars")]
    trace: std::sync::OnceLock<crate::TraceContext>,
    #[cfg(feature = "body-sizes")]
    request_bytes: AtomicU64,
    #[cfg(feature = "body-sizes")]
    response_bytes: AtomicU64,
}

/// Counts the bytes of a request's body as the handler reads them, for the body-size
/// histograms ([`HttpMetricsBuilder::body_sizes`](crate::HttpMetricsBuilder::body_sizes)):
/// an adapter wraps the request body and adds each chunk that passes through. The request is
/// recorded with what was counted by then.
///
#[cfg_attr(feature = "body-sizes", doc = "```")]
#[cfg_attr(not(feature = "body-sizes"), doc = "```ignore")]
/// use http_metrics_core::adapter::{MethodLabel, RouteHandle};
/// use http_metrics_core::HttpMetrics;
///
/// let metrics = HttpMetrics::builder().body_sizes(true).build().unwrap();
/// let guard = RouteHandle::resolve(&metrics, "/upload").start(MethodLabel::Put).unwrap();
/// let counter = guard.request_body_counter().expect("body sizes are on");
/// counter.add(512);
/// counter.add(512);
/// guard.finish_with_status(204);
/// let text = metrics.encode(http_metrics_core::Format::Prometheus).unwrap();
/// assert!(text.contains(r#"http_request_size_bytes_sum{method="PUT",route="/upload",status="204"} 1024"#));
/// ```
#[derive(Clone, Debug)]
pub struct BodyCounter {
    #[cfg(feature = "body-sizes")]
    extras: Arc<Extras>,
}

impl BodyCounter {
    /// Counts `bytes` more of the request body.
    #[inline]
    pub fn add(&self, bytes: u64) {
        #[cfg(feature = "body-sizes")]
        self.extras
            .request_bytes
            .fetch_add(bytes, Ordering::Relaxed);
        #[cfg(not(feature = "body-sizes"))]
        let _ = bytes;
    }
}

/// Tracks one request from the moment it enters the middleware until it is recorded.
///
/// Creating the guard (see [`RouteHandle::start`]) increments the in-flight gauge. The
/// request is recorded — in-flight decremented, counter incremented, duration observed —
/// exactly once, by whichever happens first:
///
/// - [`RequestGuard::finish`] after [`RequestGuard::set_status`] (the body ended), or
///   [`RequestGuard::finish_with_status`];
/// - [`RequestGuard::finish_error`] (the inner service returned an error);
/// - `Drop`: with the status already set if there is one (the body was dropped early), else
///   as panicked while a panic is unwinding, else as cancelled (the request future was
///   dropped, which is what a client disconnect or a timeout does).
///
/// Adapters move the guard from the request future into the response body so that the body's
/// end, or its drop, is what records the request.
///
/// The guard is 24 bytes (32 with the `exemplars` or `body-sizes` feature), and `Option<RequestGuard>` too: it travels inside every response
/// body, which frameworks move several times per request, so its size is part of the cost
/// of every request.
#[derive(Debug)]
#[must_use = "dropping the guard records the request as cancelled"]
pub struct RequestGuard {
    /// The route the request is on: its in-flight gauge counts the request, and the request
    /// is recorded there. Never an excluded route while the request is in flight.
    entry: Arc<RouteEntry>,
    /// The raw clock reading at the start; once `measured`, the duration in nanoseconds.
    clock: u64,
    status: Option<NonZeroU16>,
    method: MethodLabel,
    /// [`Flags`]: what has happened to the request.
    flags: Flags,
    /// The in-flight gauge's shard the request entered and leaves ([`crate::shards`]): the
    /// same one, whichever thread it leaves on, so that no shard's count, and no sum of
    /// them a scrape reads, goes below zero.
    shard: u8,
    /// The request label's value index (0: other, or no request label).
    label: u8,
    /// The request's trace and the bytes of its bodies, when it has either.
    #[cfg(any(feature = "exemplars", feature = "body-sizes"))]
    extras: Option<Arc<Extras>>,
}

// A compile-time check of the size promised above.
#[cfg(not(any(feature = "exemplars", feature = "body-sizes")))]
const _: () = assert!(std::mem::size_of::<Option<RequestGuard>>() == 24);
#[cfg(any(feature = "exemplars", feature = "body-sizes"))]
const _: () = assert!(std::mem::size_of::<Option<RequestGuard>>() == 32);

impl RequestGuard {
    /// Notes the response status once the response head exists; the request is recorded with
    /// it when the guard finishes or is dropped.
    #[inline]
    pub fn set_status(&mut self, status: u16) {
        // 0 is no HTTP status; it would be recorded as 100 either way (see `StatusLabel::key`).
        self.status = Some(NonZeroU16::new(status).unwrap_or(NonZeroU16::MIN));
        if self.flags.has(Flags::MEASURED) {
            return;
        }
        match self.entry.settings().duration_end {
            crate::DurationEnd::Body => {}
            crate::DurationEnd::Head => {
                self.clock = elapsed_nanos(self.clock);
                self.flags.set(Flags::MEASURED);
            }
            crate::DurationEnd::Both => {
                // Recorded now, under the status of the head; the body's end is recorded
                // when it comes. Once per request, however often the status is set.
                if !self.entry.is_excluded()
                    && !self.flags.has(Flags::FINISHED)
                    && !self.flags.replace(Flags::HEAD_RECORDED)
                {
                    let code = self.status().unwrap_or(status);
                    self.entry.observe_head(
                        self.method,
                        self.label,
                        code,
                        elapsed_nanos(self.clock),
                    );
                }
            }
        }
    }

    /// Takes the request's trace for an exemplar, when the metrics keep exemplars
    /// ([`Recorder::exemplars_enabled`]): from the `traceparent` header value given, or
    /// from the function of [`Exemplars::from_fn`](crate::Exemplars::from_fn). Adapters call
    /// it once, at the start. A malformed header gives no exemplar.
    /// Without the `exemplars` feature it does nothing.
    pub fn set_trace(&mut self, traceparent: Option<&[u8]>) {
        #[cfg(feature = "exemplars")]
        if let Some(exemplars) = &self.entry.settings().exemplars {
            if let Some(trace) = exemplars.trace(traceparent) {
                let extras = self.extras.get_or_insert_with(Default::default);
                // The first trace taken is kept.
                let _ = extras.trace.set(trace);
            }
        }
        #[cfg(not(feature = "exemplars"))]
        let _ = traceparent;
    }

    /// Sets the request label from the request's value (`None`: no such header or
    /// extension), when the metrics have a [`RequestLabel`](crate::RequestLabel): the request
    /// moves to the series of the value it maps to. Adapters call it, once, at the start,
    /// with the value from where [`Recorder::request_label_source`] says.
    pub fn set_request_label(&mut self, value: Option<&[u8]>) {
        let Some(label) = &self.entry.settings().request_label else {
            return;
        };
        let index = label.index(value);
        if self.flags.has(Flags::FINISHED) || index == self.label {
            return;
        }
        if !self.entry.is_excluded() {
            self.entry.leave(self.method, self.label, self.shard);
            self.entry.enter(self.method, index, self.shard);
        }
        self.label = index;
    }

    /// The counter the adapter's request body adds the bytes it passes to, when the metrics
    /// record body sizes ([`HttpMetricsBuilder::body_sizes`](crate::HttpMetricsBuilder::body_sizes)).
    /// Always `None` without the `body-sizes` feature.
    pub fn request_body_counter(&self) -> Option<BodyCounter> {
        #[cfg(feature = "body-sizes")]
        {
            let extras = self.extras.as_ref()?;
            self.entry.settings().sizes.is_some().then(|| BodyCounter {
                extras: extras.clone(),
            })
        }
        #[cfg(not(feature = "body-sizes"))]
        None
    }

    /// Counts `bytes` more of the response body, when the metrics record body sizes.
    /// Without the `body-sizes` feature it does nothing.
    #[inline]
    pub fn add_response_bytes(&self, bytes: u64) {
        #[cfg(feature = "body-sizes")]
        if let Some(extras) = &self.extras {
            extras.response_bytes.fetch_add(bytes, Ordering::Relaxed);
        }
        #[cfg(not(feature = "body-sizes"))]
        let _ = bytes;
    }

    /// Moves the request to `route`, for frameworks that only know the final route after
    /// routing (resources chosen between by guards): the request leaves the in-flight gauge
    /// of the route it was on for that of `route`, and is recorded there. On an excluded
    /// route it is off the metrics: in no in-flight gauge, and recorded nowhere unless moved
    /// again.
    pub fn set_route(&mut self, route: &RouteHandle) {
        // A route of other metrics has other series (and request-label values): the request
        // stays where it is.
        if self.flags.has(Flags::FINISHED)
            || Arc::ptr_eq(&route.0, &self.entry)
            || !route.0.shares_settings(&self.entry)
        {
            return;
        }
        if !self.entry.is_excluded() {
            self.entry.leave(self.method, self.label, self.shard);
        }
        if !route.0.is_excluded() {
            route.0.enter(self.method, self.label, self.shard);
        }
        self.entry = route.0.clone();
    }

    /// The route the request is on, and will be recorded under.
    pub fn route(&self) -> &str {
        self.entry.template()
    }

    /// Whether the request records into `metrics` (into one of its clones), rather than into
    /// another registry: for an adapter that must tell whether another of its layers
    /// recorded the same request into the same series.
    pub fn records_into(&self, metrics: &impl AsRef<Recorder>) -> bool {
        self.entry.is_in(metrics.as_ref().routes())
    }

    /// Whether the request is on an excluded route, and so off the metrics (see
    /// [`RouteHandle::start_before_routing`]).
    pub fn is_excluded(&self) -> bool {
        self.entry.is_excluded()
    }

    /// The status noted by [`RequestGuard::set_status`], if any.
    pub fn status(&self) -> Option<u16> {
        self.status.map(NonZeroU16::get)
    }

    /// Records the request now: with its status if one was set, else as cancelled.
    #[inline]
    pub fn finish(mut self) {
        let outcome = self.status().map_or(Outcome::Cancelled, Outcome::Response);
        self.record(outcome);
    }

    /// Records the request now with `status`.
    #[inline]
    pub fn finish_with_status(mut self, status: u16) {
        self.record(Outcome::Response(status));
    }

    /// Records the request now as failed: the inner service returned an error, not a
    /// response.
    pub fn finish_error(mut self) {
        self.record(Outcome::Error);
    }

    /// Records the request now as panicked (500), whatever its status.
    pub fn finish_panicked(mut self) {
        self.record(Outcome::Panicked);
    }

    /// Leaves the in-flight gauge and records nothing: for a request that another recorder
    /// of the same series records (an adapter that finds itself wrapped twice).
    pub fn discard(mut self) {
        if !self.flags.replace(Flags::FINISHED) && !self.entry.is_excluded() {
            self.entry.leave(self.method, self.label, self.shard);
        }
    }

    #[inline]
    fn record(&mut self, outcome: Outcome) {
        if self.flags.replace(Flags::FINISHED) || self.entry.is_excluded() {
            return;
        }
        let settings = self.entry.settings();
        let code = match outcome {
            Outcome::Response(code) => code,
            Outcome::Error => settings.error_status,
            Outcome::Cancelled => settings.cancelled_status,
            Outcome::Panicked => settings.panic_status,
        };
        let nanos = if self.flags.has(Flags::MEASURED) {
            self.clock
        } else {
            elapsed_nanos(self.clock)
        };
        let recorded = self.entry.observe(self.method, self.label, code, nanos);
        #[cfg(feature = "body-sizes")]
        if let (Some(extras), Some((cell, _))) = (&self.extras, recorded) {
            // A response to HEAD has no body (RFC 9110, 9.3.2), whatever the handler made of
            // it: some servers (actix-web) still pull that body through, and drop it.
            let head = self.method == MethodLabel::Head;
            record_sizes(settings, cell, extras, head);
        }
        #[cfg(feature = "exemplars")]
        if let (Some(trace), Some((cell, bucket))) =
            (self.extras.as_ref().and_then(|e| e.trace.get()), recorded)
        {
            cell.keep_exemplar(bucket, nanos, trace);
        }
        let _ = recorded;
        self.entry.leave(self.method, self.label, self.shard);
    }
}

/// What has happened to a request, one bit each: four booleans in the space of one, so that
/// the guard keeps its size with [`RequestGuard::shard`](RequestGuard) beside them.
#[derive(Clone, Copy, Debug, Default)]
struct Flags(u8);

impl Flags {
    /// The duration was taken at the response head ([`crate::DurationEnd::Head`]).
    const MEASURED: u8 = 1;
    /// Recorded, or moved to an excluded route: nothing more to do.
    const FINISHED: u8 = 2;
    /// The time to the head is recorded ([`crate::DurationEnd::Both`]).
    const HEAD_RECORDED: u8 = 4;
    /// Recorded as a 101, and now the upgraded connection carried by the response body,
    /// open since the guard's clock reading: closed when the guard drops.
    const UPGRADED: u8 = 8;

    #[inline]
    fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }

    #[inline]
    fn set(&mut self, flag: u8) {
        self.0 |= flag;
    }

    #[inline]
    fn clear(&mut self, flag: u8) {
        self.0 &= !flag;
    }

    /// Sets `flag`, and says whether it was set already.
    #[inline]
    fn replace(&mut self, flag: u8) -> bool {
        let was = self.has(flag);
        self.set(flag);
        was
    }
}

/// Out of line: only the services with body sizes on pay for it.
#[cfg(feature = "body-sizes")]
#[inline(never)]
fn record_sizes(
    settings: &super::settings::Settings,
    cell: &super::cell::DurationCell,
    extras: &Extras,
    head: bool,
) {
    if let Some(bounds) = &settings.sizes {
        let sent = if head {
            0
        } else {
            extras.response_bytes.load(Ordering::Relaxed)
        };
        cell.observe_sizes(bounds, extras.request_bytes.load(Ordering::Relaxed), sent);
    }
}

#[inline]
fn elapsed_nanos(start: u64) -> u64 {
    let clock = clock();
    clock.delta_as_nanos(start, clock.raw())
}

impl RequestGuard {
    /// The response is a 101: records the request now, under 101, and takes it out of the
    /// in-flight gauge. With `carried` (the response body is the upgraded connection, as on
    /// actix-web) and upgraded connections tracked, the guard lives on as that connection,
    /// open from now until it drops.
    fn upgrade(mut self, carried: bool) -> Option<RequestGuard> {
        self.set_status(101);
        self.record(Outcome::Response(101));
        if !carried {
            return None;
        }
        let cell = self.entry.upgrade_cell(self.method)?;
        cell.open();
        self.flags.set(Flags::UPGRADED);
        self.clock = clock().raw();
        Some(self)
    }

    #[cold]
    #[inline(never)]
    fn close_upgraded(&mut self) {
        self.flags.clear(Flags::UPGRADED);
        close(&self.entry, self.method, self.clock);
    }
}

/// Closes an upgraded connection of `entry` opened at the raw clock reading `opened`.
fn close(entry: &RouteEntry, method: MethodLabel, opened: u64) {
    if let (Some(cell), Some(bounds)) = (entry.upgrade_cell(method), &entry.settings().upgrades) {
        cell.close(bounds, elapsed_nanos(opened));
    }
}

/// One upgraded connection (a WebSocket, say) open on a route: counted in
/// `http_upgraded_connections_open` while it lives, and its lifetime observed in
/// `http_upgraded_connection_duration_seconds` when it drops, when the metrics track
/// upgraded connections ([`HttpMetricsBuilder::upgraded_connections`](crate::HttpMetricsBuilder::upgraded_connections));
/// otherwise it does nothing. Made by [`HttpMetrics::upgraded_connection`](crate::HttpMetrics::upgraded_connection): on axum, where the
/// upgraded connection lives in a task of the handler's, outside any middleware, the
/// handler keeps it in that task; actix-web's adapter tracks the connection itself.
#[derive(Debug)]
#[must_use = "the connection is closed when this drops"]
pub struct UpgradedConnection {
    open: Option<(Arc<RouteEntry>, MethodLabel, u64)>,
}

impl UpgradedConnection {
    pub(crate) fn open(recorder: &Recorder, method: MethodLabel, route: &str) -> Self {
        let entry = recorder.routes().resolve(route);
        let Some(cell) = entry.upgrade_cell(method) else {
            return Self { open: None };
        };
        cell.open();
        Self {
            open: Some((entry, method, clock().raw())),
        }
    }
}

impl Drop for UpgradedConnection {
    fn drop(&mut self) {
        if let Some((entry, method, opened)) = self.open.take() {
            close(&entry, method, opened);
        }
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        if self.flags.has(Flags::FINISHED) {
            if self.flags.has(Flags::UPGRADED) {
                self.close_upgraded();
            }
            return;
        }
        let outcome = match self.status() {
            Some(code) => Outcome::Response(code),
            None if std::thread::panicking() => Outcome::Panicked,
            None => Outcome::Cancelled,
        };
        self.record(outcome);
    }
}

/// The guard of a request as an adapter carries it through its response future and body:
/// `None` inside when the route is excluded. Every adapter makes the same three calls, so the
/// decisions live here.
///
/// ```
/// use http_metrics_core::adapter::{ActiveRequest, MethodLabel, RouteHandle};
/// use http_metrics_core::HttpMetrics;
///
/// let metrics = HttpMetrics::new();
/// let route = RouteHandle::resolve(&metrics, "/items/{id}");
/// // In the middleware's `call`:
/// let mut pending = ActiveRequest::from(route.start(MethodLabel::Get));
/// // In the response future, once the response head exists:
/// let mut body = pending.respond(200);
/// // In the response body, after every poll of the inner body:
/// body.polled(false);
/// body.polled(true); // the end: recorded now
/// ```
#[derive(Debug, Default)]
pub struct ActiveRequest(Option<RequestGuard>);

impl ActiveRequest {
    /// The response head exists: notes its status and hands the guard over, for the body.
    /// A 101 (Switching Protocols) is recorded now, and leaves the in-flight gauge: what
    /// follows is another protocol on the connection, not the response.
    #[inline]
    pub fn respond(&mut self, status: u16) -> ActiveRequest {
        self.respond_inner(status, false)
    }

    /// [`ActiveRequest::respond`] for a framework whose response body to a 101 carries the
    /// upgraded connection (actix-web's WebSockets): with upgraded connections tracked, the
    /// body's guard is then that connection, open until the body ends or drops.
    #[inline]
    pub fn respond_carrying_upgrade(&mut self, status: u16) -> ActiveRequest {
        self.respond_inner(status, true)
    }

    #[inline]
    fn respond_inner(&mut self, status: u16, carried: bool) -> ActiveRequest {
        let mut guard = self.0.take();
        if status == 101 {
            return ActiveRequest(guard.and_then(|guard| guard.upgrade(carried)));
        }
        if let Some(guard) = &mut guard {
            guard.set_status(status);
        }
        ActiveRequest(guard)
    }

    /// The inner service failed: records the request now, with `status` if the error carries
    /// one (a framework's mapping of errors to responses), else with the error status (500).
    pub fn fail(&mut self, status: Option<u16>) {
        match (self.0.take(), status) {
            (Some(guard), Some(status)) => guard.finish_with_status(status),
            (Some(guard), None) => guard.finish_error(),
            (None, _) => {}
        }
    }

    /// Called by a response body with the size of each chunk of data it passes on, for the
    /// body-size histograms (nothing is counted when they are off, and nothing is compiled
    /// without the `body-sizes` feature).
    #[inline]
    pub fn sent(&mut self, bytes: usize) {
        if let Some(guard) = &self.0 {
            guard.add_response_bytes(bytes as u64);
        }
    }

    /// Called by a response body after each poll of the body it wraps: `ended` when that
    /// poll returned the end, an error, or left the body at its end. Records on the first
    /// end; later calls do nothing.
    #[inline]
    pub fn polled(&mut self, ended: bool) {
        if ended {
            if let Some(guard) = self.0.take() {
                guard.finish();
            }
        }
    }

    /// Runs `poll` (the adapter's poll of the inner future or body) and, if a panic unwinds
    /// out of it, records the request as panicked on the way out.
    ///
    /// A guard dropped during unwinding sees the panic by itself, but a panic caught by an
    /// outer `catch_unwind` (a panic-catching middleware outside the metrics layer) leaves
    /// the future to be dropped later, when nothing is unwinding any more: without this
    /// watch it would be recorded as cancelled.
    #[inline]
    pub fn watch<T>(&mut self, poll: impl FnOnce() -> T) -> T {
        struct Watch<'a>(&'a mut ActiveRequest);
        impl Drop for Watch<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    if let Some(guard) = self.0 .0.take() {
                        guard.finish_panicked();
                    }
                }
            }
        }
        let watch = Watch(self);
        let output = poll();
        std::mem::forget(watch);
        output
    }

    /// Another recorder of the same series records this request: leaves the in-flight gauge
    /// and records nothing (see [`RequestGuard::discard`]).
    pub fn discard(&mut self) {
        if let Some(guard) = self.0.take() {
            guard.discard();
        }
    }

    /// The guard, unless the request is excluded or already recorded.
    pub fn guard_mut(&mut self) -> Option<&mut RequestGuard> {
        self.0.as_mut()
    }
}

impl From<RequestGuard> for ActiveRequest {
    fn from(guard: RequestGuard) -> Self {
        Self(Some(guard))
    }
}

impl From<Option<RequestGuard>> for ActiveRequest {
    fn from(guard: Option<RequestGuard>) -> Self {
        Self(guard)
    }
}
