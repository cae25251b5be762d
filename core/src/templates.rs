//! Route templates an adapter has already seen, matched against request paths without asking
//! the framework: the first step of [`crate::LocalRouteCache::start_for_path`].

use crate::RouteHandle;

/// The most segments a learned template may have. Longer templates are not learned (their
/// paths take the memo and the framework's own match).
const MAX_SEGMENTS: usize = 16;

/// Templates in the `{name}` syntax axum and actix-web share, each a list of segments, kept
/// by segment count so that a path is compared only with templates of its own length.
///
/// Only templates whose every segment is a literal or a whole-segment parameter (`{id}`) are
/// learned: such a template matches a path exactly when both have the same number of
/// segments, every literal segment is equal and every parameter segment is not empty (the
/// `[^/]+` both frameworks give a parameter). Anything else (a regular-expression segment
/// `{id:\d+}`, a tail `{tail}*`, a parameter inside a segment) is refused, and its paths are
/// left to the framework.
///
/// A path that more than one learned template matches (`/items/{id}` and `/items/{key}`,
/// `/users/me` and `/users/{id}`) is *ambiguous*: which one the framework picks depends on
/// the order the routes were registered in, which is not known here, so [`Self::find`]
/// answers nothing and the caller asks the framework.
#[derive(Debug, Default)]
pub(crate) struct LearnedTemplates {
    /// Index: a template's segment count.
    by_segments: Vec<Vec<Template>>,
}

#[derive(Debug)]
struct Template {
    segments: Box<[Segment]>,
    handle: RouteHandle,
}

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Literal(Box<str>),
    Param,
}

impl LearnedTemplates {
    /// Learns `template` as the route of the paths it matches; returns whether it could.
    pub(crate) fn learn(&mut self, template: &str, handle: &RouteHandle) -> bool {
        let Some(segments) = parse(template) else {
            return false;
        };
        let count = segments.len();
        if self.by_segments.len() <= count {
            self.by_segments.resize_with(count + 1, Vec::new);
        }
        let bucket = &mut self.by_segments[count];
        let same_route = |known: &Template| std::sync::Arc::ptr_eq(&known.handle.0, &handle.0);
        if bucket
            .iter()
            .any(|known| known.segments == segments && same_route(known))
        {
            return false;
        }
        bucket.push(Template {
            segments,
            handle: handle.clone(),
        });
        true
    }

    /// The route of the one learned template `path` matches; `None` when none does or when
    /// more than one does.
    #[inline]
    pub(crate) fn find(&self, path: &str) -> Option<&RouteHandle> {
        let rest = path.strip_prefix('/')?;
        let count = 1 + rest.bytes().filter(|&b| b == b'/').count();
        let mut found = None;
        for template in self.by_segments.get(count)? {
            if template.matches(rest) {
                if found.is_some() {
                    return None;
                }
                found = Some(&template.handle);
            }
        }
        found
    }
}

impl Template {
    /// Whether the path (without its leading `/`, and with as many segments) matches.
    #[inline]
    fn matches(&self, rest: &str) -> bool {
        let mut rest = rest.as_bytes();
        let Some((last, init)) = self.segments.split_last() else {
            return false;
        };
        for segment in init {
            let end = match segment {
                Segment::Literal(literal) => {
                    let literal = literal.as_bytes();
                    if !(rest.starts_with(literal) && rest.get(literal.len()) == Some(&b'/')) {
                        return false;
                    }
                    literal.len()
                }
                Segment::Param => match rest.iter().position(|&b| b == b'/') {
                    Some(0) | None => return false,
                    Some(end) => end,
                },
            };
            rest = &rest[end + 1..];
        }
        match last {
            Segment::Literal(literal) => rest == literal.as_bytes(),
            // The segment count matched: no `/` is left.
            Segment::Param => !rest.is_empty(),
        }
    }
}

/// The segments of a learnable template, or `None`.
fn parse(template: &str) -> Option<Box<[Segment]>> {
    let rest = template.strip_prefix('/')?;
    let segments = rest
        .split('/')
        .map(|segment| match segment.strip_prefix('{') {
            Some(name) => {
                let name = name.strip_suffix('}')?;
                let plain = !name.is_empty() && !name.contains(['{', '}', ':', '*']);
                plain.then_some(Segment::Param)
            }
            None if segment.contains(['{', '}', '*']) => None,
            None => Some(Segment::Literal(segment.into())),
        })
        .collect::<Option<Box<[Segment]>>>()?;
    (segments.len() <= MAX_SEGMENTS).then_some(segments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HttpMetrics;

    fn learn_all(templates: &[&str]) -> (HttpMetrics, LearnedTemplates) {
        let metrics = HttpMetrics::new();
        let mut learned = LearnedTemplates::default();
        for template in templates {
            assert!(
                learned.learn(template, &metrics.route(template)),
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
    }

    #[test]
    fn a_path_two_templates_match_is_left_to_the_framework() {
        let (_metrics, learned) = learn_all(&["/users/me", "/users/{id}", "/items/{id}"]);
        assert_eq!(find(&learned, "/users/42"), Some("/users/{id}"));
        assert_eq!(find(&learned, "/users/me"), None);
        let (_metrics, learned) = learn_all(&["/items/{id}", "/items/{key}"]);
        assert_eq!(find(&learned, "/items/1"), None);
    }

    #[test]
    fn templates_the_segment_rules_cannot_express_are_refused() {
        let metrics = HttpMetrics::new();
        let mut learned = LearnedTemplates::default();
        let handle = metrics.route("/x");
        let too_long = "/a".repeat(MAX_SEGMENTS + 1);
        for template in [
            r"/users/{id:\d+}",
            "/static/{tail}*",
            "/files/{name}.txt",
            "/files/x{name}",
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
        assert!(learned.learn("/users/{key}", &metrics.route("/users/{key}")));
    }
}
