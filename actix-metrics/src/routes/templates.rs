//! Route templates a worker has already seen, matched against request paths without asking
//! actix-web: what [`LocalRouteCache::start_for_path`](super::LocalRouteCache::start_for_path)
//! tries first, before its path memo.

use http_metrics_core::adapter::RouteHandle;

/// The most segments a learned template may have. Longer templates are not learned (their
/// paths take the memo and the framework's own match).
const MAX_SEGMENTS: usize = 16;

/// Templates in actix-web's pattern syntax, kept as a tree of segments (a
/// literal child per literal segment, one child for any parameter, one for any digits
/// parameter), so that finding a path's template costs a walk as deep as the path, whatever
/// the number of routes.
///
/// Only templates whose every segment is one of these are learned:
///
/// - a literal, equal to the path's segment;
/// - a whole-segment parameter (`{id}`), which any non-empty segment fits (the `[^/]+` both
///   frameworks give a parameter);
/// - a whole-segment parameter of digits, in actix-web's regular-expression syntax
///   (`{id:\d+}` or `{id:[0-9]+}`), which a non-empty segment of ASCII digits fits and any
///   other ASCII segment does not. A segment with other bytes (non-ASCII, which `\d` may
///   match as Unicode digits, or `%`, which actix-web may decode into digits) cannot be told
///   apart here: such a path is left to the framework;
/// - any other segment with parameters, in actix-web's syntax (`{id:[0-9a-f]+}`,
///   `{id:\d{1,9}}`, `{name}.{ext}`), taken for a parameter: any non-empty segment fits it
///   here, and routing has the last word (see [`super::LocalRouteCache::start_for_path`]);
/// - last, a tail (`{path}*`), actix-web's `.*`: whatever follows the `/` before it fits,
///   slashes and nothing included.
///
/// A template matches a path when both have the same number of segments and each segment
/// fits, or, for a tail, when the segments before it do. Templates whose segments cannot be
/// told apart by `/` (a regular expression with a `/` in it, a tail inside a segment) are
/// refused, and their paths are left to the framework.
///
/// A path that more than one learned template matches (`/items/{id}` and `/items/{key}`,
/// `/users/me` and `/users/{id}`) is *ambiguous*: which one the framework picks depends on
/// the order the routes were registered in, which is not known here, so [`Self::find`]
/// answers nothing and the caller asks the framework. Tails are the exception: a tail is
/// taken for a fallback (`/{page}*` for a single-page app, beside its API routes), which
/// answers only for the paths no template without a tail fits, so that a catch-all does not
/// make every other route's paths ambiguous. Registered before a route whose paths it also
/// fits, it would be actix-web's choice: routing then moves the request.
#[derive(Debug, Default)]
pub(crate) struct LearnedTemplates {
    root: Node,
}

#[derive(Debug, Default)]
struct Node {
    /// Children by literal segment, sorted.
    literals: Vec<(Box<str>, Node)>,
    /// The child for a parameter segment.
    param: Option<Box<Node>>,
    /// The child for a parameter segment of digits.
    digits: Option<Box<Node>>,
    /// The routes of the templates that end here: more than one makes their paths
    /// ambiguous.
    routes: Vec<RouteHandle>,
    /// The routes of the templates that end here in a tail (`/{tail}*`): whatever follows
    /// this node's `/` fits them, nothing included.
    tails: Vec<RouteHandle>,
}

enum Segment<'a> {
    Literal(&'a str),
    Param,
    Digits,
    /// `{name}*`: the rest of the path, slashes and all. Only ever the last segment.
    Tail,
}

impl LearnedTemplates {
    /// Learns `template` as the route of the paths it matches; returns whether it could.
    pub(crate) fn learn(&mut self, template: &str, handle: &RouteHandle) -> bool {
        let Some(segments) = parse(template) else {
            return false;
        };
        let mut node = &mut self.root;
        let mut in_tail = false;
        for segment in segments {
            node = match segment {
                Segment::Tail => {
                    in_tail = true;
                    break;
                }
                Segment::Param => node.param.get_or_insert_with(Box::default),
                Segment::Digits => node.digits.get_or_insert_with(Box::default),
                Segment::Literal(literal) => {
                    let at = match node.literal_at(literal) {
                        Ok(at) => at,
                        Err(at) => {
                            node.literals.insert(at, (literal.into(), Node::default()));
                            at
                        }
                    };
                    &mut node.literals[at].1
                }
            };
        }
        let routes = if in_tail {
            &mut node.tails
        } else {
            &mut node.routes
        };
        if routes.contains(handle) {
            return false;
        }
        routes.push(handle.clone());
        true
    }

    /// The route of the one learned template `path` matches; `None` when none does or when
    /// more than one does. Tails are fallbacks: one answers only for a path no other
    /// template matches.
    #[inline]
    pub(crate) fn find(&self, path: &str) -> Option<&RouteHandle> {
        let rest = path.strip_prefix('/')?;
        let mut found = Fits {
            whole: Found::None,
            tail: Found::None,
        };
        self.root.find(rest, &mut found);
        match found {
            Fits {
                whole: Found::One(handle),
                ..
            }
            | Fits {
                whole: Found::None,
                tail: Found::One(handle),
            } if !handle.is_excluded() => Some(handle),
            Fits { .. } => None,
        }
    }
}

/// The routes a path fits, so far.
struct Fits<'a> {
    /// Among the templates without a tail.
    whole: Found<'a>,
    /// Among the tails.
    tail: Found<'a>,
}

enum Found<'a> {
    None,
    One(&'a RouteHandle),
    /// Two routes match, or a segment could not be told apart: the framework decides.
    Ambiguous,
}

impl Node {
    /// Where `segment` is or would go among the literals, sorted by length, then bytes:
    /// most comparisons stop at the length.
    fn literal_at(&self, segment: &str) -> Result<usize, usize> {
        self.literals.binary_search_by(|(literal, _)| {
            (literal.len().cmp(&segment.len())).then_with(|| (**literal).cmp(segment))
        })
    }

    /// The literal child that is the first segment of `rest`, and that segment's length.
    ///
    /// With few literals, each is compared with the start of `rest` where it would end, at
    /// a `/` or the end of the path: no scan of the segment for its end.
    #[inline]
    fn literal_prefix(&self, rest: &str) -> Option<(&Node, usize)> {
        if self.literals.len() <= 8 {
            let bytes = rest.as_bytes();
            self.literals.iter().find_map(|(literal, child)| {
                let len = literal.len();
                let ends = matches!(bytes.get(len), None | Some(b'/'));
                (ends && bytes.get(..len) == Some(literal.as_bytes())).then_some((child, len))
            })
        } else {
            let len = segment_len(rest);
            let at = self.literal_at(&rest[..len]).ok()?;
            Some((&self.literals[at].1, len))
        }
    }

    /// Adds the routes matching `rest` (the path from this node's segment on) to `found`,
    /// stopping once two templates without a tail are found. Each node is visited at most
    /// once per path, and no deeper than the deepest template.
    ///
    /// A loop down the one child that fits each segment, the common case; only a segment
    /// that several children fit branches, into a call for each but the last.
    #[inline]
    fn find<'a>(&'a self, mut rest: &str, found: &mut Fits<'a>) {
        let mut node = self;
        loop {
            // `rest` follows a `/`: the tails ending here fit it, whatever it is.
            if !node.tails.is_empty() {
                add(&node.tails, &mut found.tail);
            }
            let (literal, len) = match node.literal_prefix(rest) {
                Some((child, len)) => (Some(child), len),
                None if node.param.is_none() && node.digits.is_none() => return,
                None => (None, segment_len(rest)),
            };
            let segment = &rest[..len];
            // After the segment, a `/` and the rest, or the end of the path.
            let tail = rest.get(len + 1..);
            let (param, digits) = match (segment.is_empty(), node.digits.as_deref()) {
                (true, _) => (None, None),
                (false, None) => (node.param.as_deref(), None),
                (false, Some(digits)) => match all_digits(segment) {
                    Some(fits) => (node.param.as_deref(), fits.then_some(digits)),
                    None => {
                        found.whole = Found::Ambiguous;
                        return;
                    }
                },
            };
            let next = match (literal, param, digits) {
                (None, None, None) => return,
                (Some(child), None, None)
                | (None, Some(child), None)
                | (None, None, Some(child)) => child,
                _ => {
                    // Several fit: the last goes on in this loop, the others in calls.
                    let mut fits = [literal, param, digits];
                    let last = fits.iter_mut().rev().find_map(Option::take);
                    for child in fits.into_iter().flatten() {
                        child.visit(tail, found);
                        if matches!(found.whole, Found::Ambiguous) {
                            return;
                        }
                    }
                    match last {
                        Some(last) => last,
                        None => return,
                    }
                }
            };
            match tail {
                Some(tail) => {
                    node = next;
                    rest = tail;
                }
                None => return next.count(found),
            }
        }
    }

    /// Goes on below this node with the rest of the path, or counts its routes if the path
    /// ends here.
    fn visit<'a>(&'a self, tail: Option<&str>, found: &mut Fits<'a>) {
        match tail {
            Some(tail) => self.find(tail, found),
            None => self.count(found),
        }
    }

    /// The path ends here: adds this node's routes to `found`.
    #[inline]
    fn count<'a>(&'a self, found: &mut Fits<'a>) {
        add(&self.routes, &mut found.whole);
    }
}

/// Adds `routes`, which fit the path, to `found`.
#[inline]
fn add<'a>(routes: &'a [RouteHandle], found: &mut Found<'a>) {
    for handle in routes {
        *found = match found {
            Found::None => Found::One(handle),
            Found::One(_) | Found::Ambiguous => Found::Ambiguous,
        };
    }
}

/// The length of the first segment of `rest`: up to its first `/`, or all of it.
#[inline]
fn segment_len(rest: &str) -> usize {
    rest.bytes().position(|b| b == b'/').unwrap_or(rest.len())
}

/// Whether a path segment is all ASCII digits, or `None` if it has a byte that makes it
/// impossible to tell without the framework: non-ASCII (`\d` matches Unicode digits) or `%`
/// (actix-web decodes some escapes before matching).
#[inline]
fn all_digits(segment: &str) -> Option<bool> {
    let mut digits = true;
    for byte in segment.bytes() {
        if !byte.is_ascii() || byte == b'%' {
            return None;
        }
        digits &= byte.is_ascii_digit();
    }
    Some(digits)
}

/// The segments of a learnable template, or `None`.
fn parse(template: &str) -> Option<Vec<Segment<'_>>> {
    let mut rest = template.strip_prefix('/')?.split('/').peekable();
    let mut segments = Vec::new();
    while let Some(segment) = rest.next() {
        let last = rest.peek().is_none();
        segments.push(if last && is_tail(segment) {
            Segment::Tail
        } else {
            parse_segment(segment)?
        });
    }
    (segments.len() <= MAX_SEGMENTS).then_some(segments)
}

/// One segment of a template (between two `/`): `None` if it is not learnable.
fn parse_segment(segment: &str) -> Option<Segment<'_>> {
    if !segment.contains(['{', '}', '*']) {
        return Some(Segment::Literal(segment));
    }
    if let Some(param) = segment.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
        match param.split_once(':') {
            None if plain_name(param) => return Some(Segment::Param),
            Some((name, r"\d+" | "[0-9]+")) if plain_name(name) => return Some(Segment::Digits),
            _ => {}
        }
    }
    // Any other segment with parameters (`{id:[0-9a-f]+}`, `{name}.{ext}`): no `/` inside it
    // (a `/` in a regular expression would split it here, and leave its braces unbalanced),
    // so as a parameter it is one segment. Whether it fits is for the framework's regular
    // expression to say; it is learned as a parameter that any non-empty segment fits, so
    // that where it is the only template of a path's shape, the request is in flight on it
    // until routing confirms the route or moves the request.
    well_formed(segment).then_some(Segment::Param)
}

/// Whether a segment is a tail, `{name}*`: actix-web's `.*` to the end of the path.
fn is_tail(segment: &str) -> bool {
    let name = segment.strip_prefix('{').and_then(|s| s.strip_suffix("}*"));
    name.is_some_and(plain_name)
}

/// A parameter's name: not empty, and nothing a pattern would read as syntax.
fn plain_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['{', '}', ':', '*'])
}

/// Whether a segment is literal text and `{name}` or `{name:regex}` parameters, with the
/// braces inside each regular expression balanced, and no `*` outside them (a tail, `{tail}*`,
/// spans segments).
fn well_formed(segment: &str) -> bool {
    let mut rest = segment;
    while let Some(at) = rest.find(['{', '}', '*']) {
        if !rest[at..].starts_with('{') {
            return false;
        }
        // A parameter: its name, then its regular expression up to the brace closing it.
        let param = &rest[at + 1..];
        let mut depth = 1usize;
        let Some(end) = param.char_indices().find_map(|(i, c)| {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            (depth == 0).then_some(i)
        }) else {
            return false;
        };
        let name = param[..end]
            .split_once(':')
            .map_or(&param[..end], |(name, _)| name);
        if !plain_name(name) {
            return false;
        }
        rest = &param[end + 1..];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_metrics_core::HttpMetrics;

    fn learn_all(templates: &[&str]) -> (HttpMetrics, LearnedTemplates) {
        let metrics = HttpMetrics::new();
        let mut learned = LearnedTemplates::default();
        for template in templates {
            assert!(
                learned.learn(template, &RouteHandle::resolve(&metrics, template)),
                "{template}"
            );
        }
        (metrics, learned)
    }

    fn find<'a>(learned: &'a LearnedTemplates, path: &str) -> Option<&'a str> {
        learned.find(path).map(RouteHandle::template)
    }

    #[test]
    fn a_path_matches_the_template_of_its_shape() {
        let (_metrics, learned) = learn_all(&[
            "/",
            "/health",
            "/users/{id}",
            "/users/{id}/orders/{order}",
            "/files/{name}/",
        ]);
        assert_eq!(find(&learned, "/"), Some("/"));
        assert_eq!(find(&learned, "/health"), Some("/health"));
        assert_eq!(find(&learned, "/users/42"), Some("/users/{id}"));
        assert_eq!(find(&learned, "/users/a%2Fb"), Some("/users/{id}"));
        assert_eq!(
            find(&learned, "/users/42/orders/7"),
            Some("/users/{id}/orders/{order}")
        );
        assert_eq!(find(&learned, "/files/a/"), Some("/files/{name}/"));
        // A parameter is one segment, never an empty one.
        assert_eq!(find(&learned, "/users/"), None);
        assert_eq!(find(&learned, "/users"), None);
        assert_eq!(find(&learned, "/users/42/"), None);
        assert_eq!(find(&learned, "/users/42/orders"), None);
        assert_eq!(find(&learned, "/files/a"), None);
        // Literals are compared exactly.
        assert_eq!(find(&learned, "/Health"), None);
        assert_eq!(find(&learned, "/healthz"), None);
        assert_eq!(find(&learned, "health"), None);
        assert_eq!(find(&learned, ""), None);
        // A hostile path goes no deeper than the templates do.
        assert_eq!(find(&learned, &"/users".repeat(100_000)), None);
        assert_eq!(find(&learned, &"/".repeat(100_000)), None);
    }

    #[test]
    fn a_path_two_templates_match_is_left_to_the_framework() {
        let (_metrics, learned) = learn_all(&["/users/me", "/users/{id}", "/items/{id}"]);
        assert_eq!(find(&learned, "/users/42"), Some("/users/{id}"));
        assert_eq!(find(&learned, "/users/me"), None);
        let (_metrics, learned) = learn_all(&["/items/{id}", "/items/{key}"]);
        assert_eq!(find(&learned, "/items/1"), None);
        // Overlapping at different depths.
        let (_metrics, learned) = learn_all(&["/a/{x}/c", "/a/b/{y}", "/a/{x}/{y}/d"]);
        assert_eq!(find(&learned, "/a/b/c"), None);
        assert_eq!(find(&learned, "/a/b/d"), Some("/a/b/{y}"));
        assert_eq!(find(&learned, "/a/z/c"), Some("/a/{x}/c"));
        assert_eq!(find(&learned, "/a/z/d"), None);
        assert_eq!(find(&learned, "/a/b/c/d"), Some("/a/{x}/{y}/d"));
        assert_eq!(find(&learned, "/a//c"), None);
    }

    #[test]
    fn a_digits_parameter_fits_ascii_digits_and_defers_bytes_it_cannot_judge() {
        let (_metrics, learned) =
            learn_all(&[r"/users/{id:\d+}", "/orders/{id:[0-9]+}/items", "/users/me"]);
        assert_eq!(find(&learned, "/users/42"), Some(r"/users/{id:\d+}"));
        assert_eq!(
            find(&learned, "/users/0123456789"),
            Some(r"/users/{id:\d+}")
        );
        assert_eq!(
            find(&learned, "/orders/7/items"),
            Some("/orders/{id:[0-9]+}/items")
        );
        assert_eq!(find(&learned, "/users/me"), Some("/users/me"));
        // Other ASCII is not digits.
        assert_eq!(find(&learned, "/users/4x2"), None);
        assert_eq!(find(&learned, "/users/-1"), None);
        assert_eq!(find(&learned, "/users/"), None);
        assert_eq!(find(&learned, "/orders/a/items"), None);
        // Unicode digits, and escapes actix-web may decode into digits, are the framework's
        // to judge: no answer, even where another template would fit.
        let (_metrics, learned) = learn_all(&[r"/users/{id:\d+}", "/users/{name}"]);
        assert_eq!(find(&learned, "/users/\u{663}"), None);
        assert_eq!(find(&learned, "/users/%31"), None);
        assert_eq!(find(&learned, "/users/ann"), Some("/users/{name}"));
        // Digits fit both: which route wins is registration order, unknown here.
        assert_eq!(find(&learned, "/users/42"), None);
    }

    #[test]
    fn a_parameter_in_another_syntax_is_one_segment_routing_judges() {
        let (_metrics, learned) = learn_all(&[
            r"/users/{id:\d{1,9}}",
            "/keys/{id:[0-9a-f]+}/value",
            "/files/{name}.{ext}",
            "/v{version}/health",
            "/items/me",
            r"/items/{id:[a-z]{2}\d+}",
        ]);
        // Any non-empty segment fits here; actix-web's regular expression decides at routing.
        assert_eq!(find(&learned, "/users/42"), Some(r"/users/{id:\d{1,9}}"));
        assert_eq!(find(&learned, "/users/abc"), Some(r"/users/{id:\d{1,9}}"));
        assert_eq!(
            find(&learned, "/keys/zz/value"),
            Some("/keys/{id:[0-9a-f]+}/value")
        );
        assert_eq!(find(&learned, "/files/a.txt"), Some("/files/{name}.{ext}"));
        assert_eq!(find(&learned, "/v2/health"), Some("/v{version}/health"));
        assert_eq!(
            find(&learned, "/items/ab12"),
            Some(r"/items/{id:[a-z]{2}\d+}")
        );
        // Still one segment, never an empty one, and no less ambiguous than `{name}`.
        assert_eq!(find(&learned, "/users/"), None);
        assert_eq!(find(&learned, "/users/4/2"), None);
        assert_eq!(find(&learned, "/keys/ab/cd/value"), None);
        assert_eq!(find(&learned, "/items/me"), None);
        let (_metrics, learned) = learn_all(&[r"/users/{id:\d{1,9}}", "/users/{name}"]);
        assert_eq!(find(&learned, "/users/ann"), None);
    }

    #[test]
    fn a_tail_fits_the_rest_of_a_path_no_other_template_fits() {
        let (_metrics, learned) = learn_all(&["/static/{path}*"]);
        assert_eq!(find(&learned, "/static/app.js"), Some("/static/{path}*"));
        assert_eq!(find(&learned, "/static/a/b/c"), Some("/static/{path}*"));
        assert_eq!(find(&learned, "/static/"), Some("/static/{path}*"));
        assert_eq!(find(&learned, "/static//x"), Some("/static/{path}*"));
        assert_eq!(find(&learned, "/static"), None);
        assert_eq!(find(&learned, "/staticx"), None);
        // A catch-all answers for the paths the other templates leave; two tails that fit
        // leave the path to the framework.
        let (_metrics, learned) =
            learn_all(&["/{page}*", "/static/{path}*", "/users/{id}", "/users/me"]);
        assert_eq!(find(&learned, "/users/42"), Some("/users/{id}"));
        assert_eq!(find(&learned, "/users/me"), None);
        assert_eq!(find(&learned, "/users/42/x"), Some("/{page}*"));
        assert_eq!(find(&learned, "/about"), Some("/{page}*"));
        assert_eq!(find(&learned, "/"), Some("/{page}*"));
        assert_eq!(find(&learned, "/static/app.js"), None);
    }

    #[test]
    fn templates_the_segment_rules_cannot_express_are_refused() {
        let metrics = HttpMetrics::new();
        let mut learned = LearnedTemplates::default();
        let handle = RouteHandle::resolve(&metrics, "/x");
        let too_long = "/a".repeat(MAX_SEGMENTS + 1);
        for template in [
            r"/users/{:\d+}",
            r"/users/{id:\d+}*",
            r"/users/{id:\d{1,9}",
            r"/users/{id:[^/]+}",
            "/static/{tail}*/x",
            "/static/x{tail}*",
            "/static/{tail:.*}*",
            "/files/{name}.{}",
            "/a/{}",
            "/a/{{b}}",
            "/a/b}",
            "/a/*",
            "users/{id}",
            "",
            too_long.as_str(),
        ] {
            assert!(!learned.learn(template, &handle), "{template}");
        }
        assert!(learned.learn(&"/a".repeat(MAX_SEGMENTS), &handle));
        // A route is learned once per shape.
        assert!(learned.learn("/users/{id}", &handle));
        assert!(!learned.learn("/users/{id}", &handle));
        assert!(!learned.learn("/users/{key}", &handle));
        assert!(learned.learn(
            "/users/{key}",
            &RouteHandle::resolve(&metrics, "/users/{key}")
        ));
    }
}
