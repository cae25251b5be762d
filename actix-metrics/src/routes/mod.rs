//! How each worker finds a request's route before actix-web routes it: the templates it has
//! learned, a memo of recent paths, and, last, actix-web's own match.
//!
//! actix-web routes a request only after the middleware has run, so the in-flight gauge
//! needs the route earlier than actix-web tells it. The only way actix-web offers is
//! `HttpRequest::match_pattern()`, which then matches the path against the resource
//! patterns in turn, a regular expression each, and returns a new `String`: dear, so each
//! worker avoids it two ways (see [`LocalRouteCache`]). Once the response exists, routing has
//! the last word ([`LocalRouteCache::settle`]).
//!
//! - **Learned templates.** Every pattern routing has produced on the worker is kept in a tree
//!   of segments, if each of its segments is a literal, a plain parameter (`{user_id}`), a
//!   parameter of digits (`{id:\d+}`, `{id:[0-9]+}`) or any other segment with parameters
//!   (`{id:[0-9a-f]+}`, `{name}.{ext}`), the last one possibly a tail (`/static/{path}*`). A
//!   path with the shape of exactly one of them (`/users/42` for `/users/{user_id}`: as many
//!   segments, the same literal ones, digits where digits are asked for, any non-empty segment
//!   elsewhere) is on that route, found in a walk as deep as the path, whatever the number of
//!   routes, with no allocation: paths carrying ids, new on most requests, do not ask
//!   actix-web. A tail is a fallback: it answers for the paths below it that no other pattern
//!   fits, so a catch-all (`/{page}*`) leaves the other routes' paths alone. For a parameter
//!   with another regular expression, the tree cannot tell whether the segment fits: the
//!   request is in flight on that route until routing, which may turn it away (a 404,
//!   recorded as unmatched). A path two of them fit (the same path served by resources chosen
//!   between by guards, `/users/me` beside `/users/{id}`, or two tails) is left to actix-web,
//!   since which one matches first depends on registration order; so are paths of patterns
//!   the tree cannot split into segments (a `/` inside a regular expression, a tail inside a
//!   segment), paths of excluded routes, paths no pattern fits (404s), and, on a digits
//!   parameter, segments with non-ASCII bytes or `%` (which `\d` or actix-web's decoding
//!   might still turn into digits).
//! - **A path memo**, for those. The route of a path depends on the path alone, so each worker
//!   keeps it for the [`Metrics::REMEMBERED_PATHS`](crate::Metrics::REMEMBERED_PATHS) (512)
//!   such paths it saw last (paths up to 256 bytes; a fixed table whose buffers are reused,
//!   so made-up paths cost no memory beyond it): a hash and a comparison. A path it does not
//!   have costs actix-web's match.
//!
//! A learned template can stand in for a pattern actix-web would match first and the worker
//! cannot learn or has not routed to yet (registered earlier): such a request is in flight on
//! the learned route until it is routed, then moves, and is counted on the route actix-web
//! chose. After routing, `match_pattern()` answers from the resource chosen: one allocation
//! per request, none from this crate.

mod templates;

use std::cell::RefCell;
use std::collections::HashMap;

use http_metrics_core::adapter::{MethodLabel, RequestGuard, RouteHandle};
use http_metrics_core::HttpMetrics;

use self::templates::LearnedTemplates;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A per-thread cache of route handles: actix-web builds one middleware per worker thread,
/// and each keeps one of these.
///
/// Everything in it is borrowed through a `RefCell`: no lock, no atomic, no contention with
/// other workers.
///
/// - Route template to handle ([`LocalRouteCache::with`]): one entry per template the worker
///   has seen, which the application's routes bound.
/// - The templates it has seen, as a tree of segments, asked first
///   ([`LocalRouteCache::start_for_path`]): a path with the shape of exactly one of them (as
///   many segments, the same literal ones, a non-empty one for each `{name}` parameter, one
///   of ASCII digits for each `{name:\d+}` or `{name:[0-9]+}`) is on that route, found in a
///   walk as deep as the path, whatever the number of routes, so that paths carrying ids, new
///   on most requests, need not ask the framework and cost no more than paths seen before.
///   A segment with a parameter in another syntax (`{id:[0-9a-f]+}`, `{name}.{ext}`) is taken
///   for one any non-empty segment fits: its regular expression is the framework's to judge,
///   at routing. A tail (`/static/{path}*`) fits whatever follows its `/`, for the paths no
///   template without one fits. Templates it cannot split into segments (a `/` inside a
///   regular expression, a tail inside a segment) are not learned. A path two templates fit
///   is left to the framework, since which one wins there depends on the order routes were
///   registered in; and a path whose one template is an excluded route is left to it too. A
///   request is only ever kept off the metrics on the framework's word: one whose path
///   resolves to an excluded route before routing is held off the metrics
///   ([`RouteHandle::start_before_routing`]) and recorded if routing chooses another
///   resource.
/// - Request path to handle, for the paths the templates do not answer: a memo of the route
///   of each recent one, for frameworks where finding the route of a request before it is
///   routed is much dearer than hashing its path (actix-web matches the path against every
///   resource pattern in turn, a regular expression each, and returns a new `String`). The
///   memo has a fixed size ([`LocalRouteCache::PATHS`] paths of at most
///   [`LocalRouteCache::MAX_PATH_LEN`] bytes, two per hash bucket, the least recently used
///   one replaced), so paths made up by clients cost memory only while they are among the
///   most recent; a path longer than the limit is never kept.

#[derive(Debug, Default)]
pub(crate) struct LocalRouteCache {
    routes: RefCell<FastMap<Box<str>, RouteHandle>>,
    templates: RefCell<LearnedTemplates>,
    paths: RefCell<PathMemo>,
}

impl LocalRouteCache {
    /// How many request paths the path memo holds.
    pub(crate) const PATHS: usize = PATH_SETS * PATH_WAYS;
    /// The longest request path, in bytes, the path memo holds.
    pub(crate) const MAX_PATH_LEN: usize = 256;

    /// Calls `f` with the handle of `route` (`None`: no route matched).
    ///
    /// The first time, a template in the syntax of [`LocalRouteCache`]'s tree is learned for
    /// [`LocalRouteCache::start_for_path`]; an excluded route's too, so that the paths it
    /// shares with another template are known to be ambiguous, though it never answers for a
    /// path itself.
    pub(crate) fn with<R>(
        &self,
        metrics: &HttpMetrics,
        route: Option<&str>,
        f: impl FnOnce(&RouteHandle) -> R,
    ) -> R {
        let Some(template) = route else {
            return f(RouteHandle::unmatched(metrics));
        };
        if let Some(handle) = self.routes.borrow().get(template) {
            return f(handle);
        }
        let handle = RouteHandle::resolve(metrics, template);
        let result = f(&handle);
        self.templates.borrow_mut().learn(template, &handle);
        self.routes.borrow_mut().insert(template.into(), handle);
        result
    }

    /// Starts a request on the route `path` resolves to: the one learned template the path
    /// fits, or else the path memo's answer, or else `resolve`'s answer, which the memo
    /// keeps.
    ///
    /// `resolve` returns the route template (`None`: no route matches) and must depend on
    /// the path alone, never on anything else about the request, since its answer is reused
    /// for every later request on the same path: actix-web's `match_pattern()` before
    /// routing is such a function of the worker's resource map and the path.
    ///
    /// The answer is the route the request is in flight on until routing says otherwise
    /// ([`LocalRouteCache::settle`]). A learned template can stand in for one the framework
    /// would prefer and this cache cannot learn (registered earlier, written with a regular
    /// expression), or has not seen yet: such a request is in flight on the learned route
    /// until it is routed, then moves, and is counted where it was routed.
    #[inline]
    pub(crate) fn start_for_path(
        &self,
        metrics: &HttpMetrics,
        method: MethodLabel,
        path: &str,
        resolve: impl FnOnce() -> Option<String>,
    ) -> RequestGuard {
        if let Some(handle) = self.templates.borrow().find(path) {
            return handle.start_before_routing(method);
        }
        let hash = {
            let mut memo = self.paths.borrow_mut();
            let hash = memo.hash(path);
            if let Some(handle) = memo.get(hash, path) {
                return handle.start_before_routing(method);
            }
            hash
        };
        let template = resolve();
        self.with(metrics, template.as_deref(), |handle| {
            self.paths.borrow_mut().insert(hash, path, handle);
            handle.start_before_routing(method)
        })
    }

    /// After routing: moves `guard` to `route` (`None`: no route matched) if that is not the
    /// route it is already on (see [`RequestGuard::set_route`]). Costs a string comparison
    /// when routing agreed with the route the request entered on.
    #[inline]
    pub(crate) fn settle(
        &self,
        metrics: &HttpMetrics,
        guard: &mut RequestGuard,
        route: Option<&str>,
    ) {
        // One entry per template, the unmatched value's included: the template says it all.
        let template = route.unwrap_or(RouteHandle::unmatched(metrics).template());
        if guard.route() != template {
            self.with(metrics, route, |handle| guard.set_route(handle));
        }
    }
}

const PATH_SETS: usize = 256;
const PATH_WAYS: usize = 2;

/// The path memo of [`LocalRouteCache`]: a two-way set-associative table, allocated on first
/// use, whose path buffers are reused when a slot is replaced.
#[derive(Debug, Default)]
struct PathMemo {
    hasher: foldhash::fast::RandomState,
    slots: Vec<PathSlot>,
    /// Per set: the way used last.
    recent: Vec<u8>,
}

#[derive(Debug, Default)]
struct PathSlot {
    hash: u64,
    path: String,
    route: Option<RouteHandle>,
}

impl PathMemo {
    #[inline]
    fn hash(&self, path: &str) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(path)
    }

    #[inline]
    fn get(&mut self, hash: u64, path: &str) -> Option<&RouteHandle> {
        if self.slots.is_empty() {
            return None;
        }
        let set = set_of(hash);
        let way = (0..PATH_WAYS).find(|&way| {
            let slot = &self.slots[set * PATH_WAYS + way];
            slot.hash == hash && slot.route.is_some() && slot.path == path
        })?;
        self.recent[set] = way as u8;
        self.slots[set * PATH_WAYS + way].route.as_ref()
    }

    fn insert(&mut self, hash: u64, path: &str, route: &RouteHandle) {
        if path.len() > LocalRouteCache::MAX_PATH_LEN {
            return;
        }
        if self.slots.is_empty() {
            self.slots
                .resize_with(LocalRouteCache::PATHS, PathSlot::default);
            self.recent = vec![0; PATH_SETS];
        }
        let set = set_of(hash);
        // Replace the way not used last (an empty one is never the one used last).
        let way = (usize::from(self.recent[set]) + 1) % PATH_WAYS;
        let slot = &mut self.slots[set * PATH_WAYS + way];
        slot.hash = hash;
        slot.path.clear();
        slot.path.push_str(path);
        slot.route = Some(route.clone());
        self.recent[set] = way as u8;
    }
}

#[inline]
fn set_of(hash: u64) -> usize {
    // The high bits: foldhash mixes them best.
    (hash >> (64 - PATH_SETS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// Starts and finishes a request on `path`, resolving it to `route`; returns the route
    /// it was recorded on and whether `resolve` was called.
    fn request(
        cache: &LocalRouteCache,
        metrics: &HttpMetrics,
        path: &str,
        route: Option<&str>,
    ) -> (String, bool) {
        let called = Cell::new(false);
        let guard = cache.start_for_path(metrics, MethodLabel::Get, path, || {
            called.set(true);
            route.map(str::to_owned)
        });
        assert!(!guard.is_excluded(), "{path}");
        let recorded = guard.route().to_owned();
        guard.finish_with_status(200);
        (recorded, called.get())
    }

    /// A template the tree of learned templates refuses: its paths are the memo's.
    const UNLEARNABLE: &str = r"/users/{id:\d+/?}";

    #[test]
    fn a_path_is_resolved_once_then_answered_from_the_memo() {
        let metrics = HttpMetrics::new();
        let cache = LocalRouteCache::default();
        // A `/` in a regular expression: not learned, so the memo answers.
        let users = Some(UNLEARNABLE);
        assert_eq!(
            request(&cache, &metrics, "/users/1", users),
            (UNLEARNABLE.into(), true)
        );
        assert_eq!(
            request(&cache, &metrics, "/users/1", users),
            (UNLEARNABLE.into(), false)
        );
        // A path no route matches is kept too, as unmatched.
        assert_eq!(
            request(&cache, &metrics, "/nope", None),
            ("unmatched".into(), true)
        );
        assert_eq!(
            request(&cache, &metrics, "/nope", None),
            ("unmatched".into(), false)
        );
        // Another path of the same route is a different key.
        assert_eq!(
            request(&cache, &metrics, "/users/2", users),
            (UNLEARNABLE.into(), true)
        );
    }

    #[test]
    fn paths_past_the_length_limit_are_resolved_every_time() {
        let metrics = HttpMetrics::new();
        let cache = LocalRouteCache::default();
        let at_limit = format!("/{}", "a".repeat(LocalRouteCache::MAX_PATH_LEN - 1));
        let past_limit = format!("/{}", "a".repeat(LocalRouteCache::MAX_PATH_LEN));
        let route = Some(UNLEARNABLE);
        assert!(request(&cache, &metrics, &at_limit, route).1);
        assert!(!request(&cache, &metrics, &at_limit, route).1);
        assert!(request(&cache, &metrics, &past_limit, route).1);
        assert!(request(&cache, &metrics, &past_limit, route).1);
    }

    #[test]
    fn the_memo_keeps_the_two_most_recent_paths_of_a_bucket() {
        let metrics = HttpMetrics::new();
        let cache = LocalRouteCache::default();
        // Find three paths that share a bucket.
        let memo_set = |path: &str| set_of(cache.paths.borrow().hash(path));
        let target = memo_set("/p/0");
        let same: Vec<String> = (1..)
            .map(|i| format!("/p/{i}"))
            .filter(|path| memo_set(path) == target)
            .take(2)
            .collect();
        let (a, b, c) = ("/p/0", same[0].as_str(), same[1].as_str());
        let route = Some(UNLEARNABLE);
        assert!(request(&cache, &metrics, a, route).1);
        assert!(request(&cache, &metrics, b, route).1);
        assert!(
            !request(&cache, &metrics, a, route).1,
            "a is kept, and now the most recent"
        );
        assert!(
            request(&cache, &metrics, c, route).1,
            "c replaces b, the least recent"
        );
        assert!(!request(&cache, &metrics, a, route).1);
        assert!(!request(&cache, &metrics, c, route).1);
        assert!(request(&cache, &metrics, b, route).1, "b was replaced");
    }

    #[test]
    fn a_learned_template_answers_for_every_path_of_its_shape() {
        let metrics = HttpMetrics::new();
        let cache = LocalRouteCache::default();
        let users = Some("/users/{id}");
        assert_eq!(
            request(&cache, &metrics, "/users/1", users),
            ("/users/{id}".into(), true)
        );
        for path in ["/users/1", "/users/2", "/users/abc"] {
            assert_eq!(
                request(&cache, &metrics, path, users),
                ("/users/{id}".into(), false),
                "{path}"
            );
        }
        // Another shape is resolved (and kept in the memo, since it fits no template).
        assert_eq!(
            request(&cache, &metrics, "/users/1/x", None),
            ("unmatched".into(), true)
        );
        assert_eq!(
            request(&cache, &metrics, "/users/1/x", None),
            ("unmatched".into(), false)
        );
        // A second template the same paths fit makes them ambiguous: the framework decides,
        // once per path.
        let mut guard =
            cache.start_for_path(&metrics, MethodLabel::Get, "/users/3", || unreachable!());
        cache.settle(&metrics, &mut guard, Some("/users/{name}"));
        guard.finish_with_status(200);
        let name = Some("/users/{name}");
        assert_eq!(
            request(&cache, &metrics, "/users/4", name),
            ("/users/{name}".into(), true)
        );
        assert_eq!(
            request(&cache, &metrics, "/users/4", None),
            ("/users/{name}".into(), false)
        );
    }

    #[test]
    fn an_excluded_template_never_answers_for_a_path() {
        let metrics = HttpMetrics::builder()
            .exclude_route("/internal/{key}")
            .build()
            .expect("valid configuration");
        let cache = LocalRouteCache::default();
        let resolves = Cell::new(0);
        for path in ["/internal/a", "/internal/b", "/internal/a"] {
            let guard = cache.start_for_path(&metrics, MethodLabel::Get, path, || {
                resolves.set(resolves.get() + 1);
                Some("/internal/{key}".to_owned())
            });
            assert!(guard.is_excluded(), "{path}");
        }
        // Each new path asks the framework; the memo keeps its answer.
        assert_eq!(resolves.get(), 2);
    }

    #[test]
    fn an_excluded_template_makes_the_paths_it_shares_with_another_ambiguous() {
        let metrics = HttpMetrics::new(); // `/metrics` is excluded by default
        let cache = LocalRouteCache::default();
        let page = Some("/{page}");
        assert_eq!(
            request(&cache, &metrics, "/about", page),
            ("/{page}".into(), true)
        );
        // Before routing has ever named `/metrics`, `/{page}` is the only template its path
        // fits; routing then keeps the request off the metrics.
        let mut guard =
            cache.start_for_path(&metrics, MethodLabel::Get, "/metrics", || unreachable!());
        assert_eq!(
            guard.route(),
            "/{page}",
            "in flight on /{{page}} until routed"
        );
        cache.settle(&metrics, &mut guard, Some("/metrics"));
        assert_eq!(guard.route(), "/metrics");
        // Dropped, it records nothing: the route is excluded.
        drop(guard);
        // From then on the path fits two templates: the framework decides, once.
        let resolves = Cell::new(0);
        for _ in 0..2 {
            let guard = cache.start_for_path(&metrics, MethodLabel::Get, "/metrics", || {
                resolves.set(resolves.get() + 1);
                Some("/metrics".to_owned())
            });
            assert!(guard.is_excluded());
        }
        assert_eq!(resolves.get(), 1);
        assert_eq!(
            request(&cache, &metrics, "/contact", None),
            ("/{page}".into(), false)
        );
        let scrape = metrics
            .encode(http_metrics_core::Format::OpenMetrics)
            .expect("encodes");
        assert!(!scrape.contains(r#"route="/metrics""#), "{scrape}");
        assert!(
            scrape.contains(r#"http_requests_total{method="GET",route="/{page}",status="200"} 2"#),
            "{scrape}"
        );
    }

    #[test]
    fn a_learned_template_or_the_memo_answers_without_resolving() {
        let metrics = HttpMetrics::new();
        let cache = LocalRouteCache::default();
        let get = MethodLabel::Get;
        let users = || Some("/users/{id}".to_owned());
        // The first request resolves its path; the template it gets is learned, so later
        // requests on paths of that shape need no resolving.
        let mut guard = cache.start_for_path(&metrics, get, "/users/42", users);
        let other = cache.start_for_path(&metrics, get, "/users/7", || unreachable!());
        assert_eq!(other.route(), "/users/{id}");
        other.finish_with_status(200);
        // A template with a `/` in a regular expression is not learned: a path of it is
        // resolved once, then answered by the memo, and each new path is resolved.
        let slash = || Some(r"/orders/{id:\d+/?}".to_owned());
        let order = cache.start_for_path(&metrics, get, "/orders/1", slash);
        let again = cache.start_for_path(&metrics, get, "/orders/1", || unreachable!());
        let resolved = Cell::new(false);
        let next = cache.start_for_path(&metrics, get, "/orders/2/", || {
            resolved.set(true);
            slash()
        });
        assert!(resolved.get());
        for guard in [order, again, next] {
            assert_eq!(guard.route(), r"/orders/{id:\d+/?}");
            guard.finish_with_status(200);
        }
        // Routing settled on another route: recorded there.
        cache.settle(&metrics, &mut guard, Some("/users/{name}"));
        assert_eq!(guard.route(), "/users/{name}");
        guard.finish_with_status(200);
        let text = metrics
            .encode(http_metrics_core::Format::Prometheus)
            .unwrap();
        // The exposition escapes the `\` of a label value.
        let orders = r"/orders/{id:\\d+/?}";
        for (route, count) in [("/users/{id}", 1), (orders, 3), ("/users/{name}", 1)] {
            let series = format!(
                r#"http_requests_total{{method="GET",route="{route}",status="200"}} {count}"#
            );
            assert!(text.contains(&series), "{series} in {text}");
        }
    }

    #[test]
    fn settle_moves_the_request_only_when_routing_disagreed() {
        let metrics = HttpMetrics::new();
        let cache = LocalRouteCache::default();
        let start = |route: Option<&str>| {
            let route = route.map(str::to_owned);
            cache.start_for_path(&metrics, MethodLabel::Get, "/x", || route)
        };
        let mut guard = start(Some("/{name}"));
        cache.settle(&metrics, &mut guard, Some("/{name}"));
        assert_eq!(guard.route(), "/{name}");
        cache.settle(&metrics, &mut guard, None);
        assert_eq!(guard.route(), "unmatched");
        cache.settle(&metrics, &mut guard, Some("/x"));
        assert_eq!(guard.route(), "/x");
        guard.finish_with_status(200);
        // A route whose template is the unmatched value is the unmatched series.
        let cache = LocalRouteCache::default();
        let mut guard = cache.start_for_path(&metrics, MethodLabel::Get, "/y", || None);
        cache.settle(&metrics, &mut guard, Some("unmatched"));
        assert_eq!(guard.route(), RouteHandle::unmatched(&metrics).template());
        assert!(!guard.is_excluded());
        guard.finish_with_status(200);
    }
}
