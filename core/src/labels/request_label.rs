//! A label taken from the request, kept to a fixed set of values.

use std::fmt;
use std::sync::Arc;

use crate::ConfigError;

/// The value recorded for a request whose header is missing, or whose value is not among the
/// allowed ones.
pub const OTHER_VALUE: &str = "other";

/// The most values a [`RequestLabel`] may allow.
pub const MAX_REQUEST_LABEL_VALUES: usize = 64;

type Mapper = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// A label of the HTTP series taken from the request, such as the tenant or the API version,
/// whose values are restricted to an allow-list: any other value, a missing value and a
/// value that is not text are all recorded as [`OTHER_VALUE`]. A client can therefore never
/// add series by inventing values; the label multiplies the series by at most the number of
/// allowed values plus one.
///
/// The value comes from a request header ([`RequestLabel::header`]) or from a
/// [`RequestLabelValue`] that a middleware of the application put into the request's
/// extensions ([`RequestLabel::extension`]): the tenant an authentication layer found, say.
/// Set it with [`HttpMetricsBuilder::request_label`](crate::HttpMetricsBuilder::request_label);
/// both adapters read it when the request enters. A [`map`](RequestLabel::map) function can
/// normalise a value first (case, a version's minor number), or derive the value, as long as
/// the result is one of the allowed ones.
///
/// ```
/// use http_metrics_core::adapter::{MethodLabel, RouteHandle};
/// use http_metrics_core::{Format, HttpMetrics, RequestLabel};
///
/// let metrics = HttpMetrics::builder()
///     .request_label(
///         RequestLabel::header("x-tenant", "tenant")
///             .allow(["acme", "globex"])
///             .map(|value| Some(value.trim().to_ascii_lowercase())),
///     )
///     .build()
///     .unwrap();
/// let route = RouteHandle::resolve(&metrics, "/api/orders");
/// for tenant in [Some(&b"ACME"[..]), Some(b"evil-corp"), None] {
///     let mut guard = route.start(MethodLabel::Get).unwrap();
///     guard.set_request_label(tenant);
///     guard.finish_with_status(200);
/// }
/// let text = metrics.encode(Format::Prometheus).unwrap();
/// let series = r#"http_requests_total{method="GET",route="/api/orders",status="200""#;
/// assert!(text.contains(&format!(r#"{series},tenant="acme"}} 1"#)));
/// assert!(text.contains(&format!(r#"{series},tenant="other"}} 2"#)));
/// ```
#[derive(Clone)]
#[must_use]
pub struct RequestLabel {
    /// The header the value is read from (lower case), or `None` for the extension.
    pub(crate) header: Option<String>,
    pub(crate) name: String,
    /// The allowed values; a request's value index is its position plus one (0: other).
    pub(crate) values: Vec<String>,
    map: Option<Mapper>,
}

impl fmt::Debug for RequestLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestLabel")
            .field("header", &self.header)
            .field("extension", &self.header.is_none())
            .field("name", &self.name)
            .field("values", &self.values)
            .field("map", &self.map.as_ref().map(|_| "<fn>"))
            .finish()
    }
}

impl RequestLabel {
    /// A label named `name` whose value is the request's `header` (a header name, any
    /// case), once [allowed](RequestLabel::allow).
    pub fn header(header: &str, name: &str) -> Self {
        Self {
            header: Some(header.to_ascii_lowercase()),
            name: name.to_owned(),
            values: Vec::new(),
            map: None,
        }
    }

    /// A label named `name` whose value is the [`RequestLabelValue`] in the request's
    /// extensions, once [allowed](RequestLabel::allow); a request without one is
    /// [`OTHER_VALUE`].
    ///
    /// The adapters read it when the request enters their middleware, so the middleware that
    /// inserts it must run before, outside the metrics layer: on axum, a layer added after
    /// `MetricsLayer` (`.layer(MetricsLayer::new()).layer(from_fn(tenant))`); on actix-web,
    /// a middleware wrapped after `Metrics` (`.wrap(Metrics::new()).wrap(from_fn(tenant))`).
    ///
    /// ```
    /// use http_metrics_core::adapter::{MethodLabel, RouteHandle};
    /// use http_metrics_core::{Format, HttpMetrics, RequestLabel, RequestLabelValue};
    ///
    /// let metrics = HttpMetrics::builder()
    ///     .request_label(RequestLabel::extension("tenant").allow(["acme", "globex"]))
    ///     .build()
    ///     .unwrap();
    /// // What an authentication middleware does once it knows the tenant:
    /// let mut request = http::Request::new(());
    /// request.extensions_mut().insert(RequestLabelValue::new("acme"));
    /// // ... and what an adapter then does with it:
    /// let value = request.extensions().get::<RequestLabelValue>();
    /// let mut guard = RouteHandle::resolve(&metrics, "/api/orders").start(MethodLabel::Get).unwrap();
    /// guard.set_request_label(value.map(RequestLabelValue::as_bytes));
    /// guard.finish_with_status(200);
    /// let text = metrics.encode(Format::Prometheus).unwrap();
    /// assert!(text.contains(r#"http_requests_total{method="GET",route="/api/orders",status="200",tenant="acme"} 1"#));
    /// ```
    pub fn extension(name: &str) -> Self {
        Self {
            header: None,
            name: name.to_owned(),
            values: Vec::new(),
            map: None,
        }
    }

    /// The values recorded as they are; every other is [`OTHER_VALUE`].
    pub fn allow<I, V>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        self.values.extend(values.into_iter().map(Into::into));
        self
    }

    /// Turns the header's (or extension's) value into the label's before the allow-list is
    /// checked (`None`: [`OTHER_VALUE`]). It runs once per request that has a value.
    pub fn map(mut self, map: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.map = Some(Arc::new(map));
        self
    }

    /// Where adapters read the value.
    pub(crate) fn source(&self) -> RequestLabelSource {
        match &self.header {
            Some(header) => RequestLabelSource::Header(
                http::HeaderName::from_bytes(header.as_bytes())
                    .expect("a header name, checked by HttpMetricsBuilder::build"),
            ),
            None => RequestLabelSource::Extension,
        }
    }

    /// The index of the value a request with this header value is recorded under: 0 for
    /// [`OTHER_VALUE`], else one past the allowed value's position.
    pub(crate) fn index(&self, value: Option<&[u8]>) -> u8 {
        let Some(text) = value.and_then(|v| std::str::from_utf8(v).ok()) else {
            return 0;
        };
        let find = |text: &str| {
            self.values
                .iter()
                .position(|allowed| allowed == text)
                .map_or(0, |i| i as u8 + 1)
        };
        match &self.map {
            None => find(text),
            Some(map) => map(text).map_or(0, |mapped| find(&mapped)),
        }
    }

    /// The value recorded under `index`.
    pub(crate) fn value(&self, index: u8) -> &str {
        match index {
            0 => OTHER_VALUE,
            i => &self.values[usize::from(i) - 1],
        }
    }

    /// Checks the label against the series' other labels.
    pub(crate) fn check(&self, taken: &[&str]) -> Result<(), ConfigError> {
        let bad = |why: String| Err(ConfigError::RequestLabel(why));
        if !crate::base::is_label_name(&self.name)
            || self.name.starts_with("__")
            || self.name == "le"
        {
            return bad(format!("{:?} cannot be a label name", self.name));
        }
        if taken.contains(&self.name.as_str()) {
            return bad(format!("{:?} is already a label of the series", self.name));
        }
        if let Some(header) = &self.header {
            if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return bad(format!("{header:?} is not a header name"));
            }
        }
        if self.values.is_empty() || self.values.len() > MAX_REQUEST_LABEL_VALUES {
            return bad(format!(
                "allow from 1 to {MAX_REQUEST_LABEL_VALUES} values (got {})",
                self.values.len()
            ));
        }
        for (i, value) in self.values.iter().enumerate() {
            if value.is_empty() || value == OTHER_VALUE || self.values[..i].contains(value) {
                return bad(format!(
                    "{value:?} cannot be an allowed value: values are distinct, not empty, \
                     and not {OTHER_VALUE:?}"
                ));
            }
        }
        Ok(())
    }

    /// How many values the label takes, [`OTHER_VALUE`] included.
    pub(crate) fn len(&self) -> usize {
        self.values.len() + 1
    }
}

/// Where an adapter reads a request's [`RequestLabel`] value:
/// [`Recorder::request_label_source`](crate::adapter::Recorder::request_label_source).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestLabelSource {
    /// The request header of this name.
    Header(http::HeaderName),
    /// The [`RequestLabelValue`] in the request's extensions.
    Extension,
}

/// The value of a [`RequestLabel::extension`] label, put into a request's extensions by
/// the application's own middleware (the tenant it authenticated, the API version it
/// resolved). It is checked against the label's allow-list like a header's value.
///
/// ```
/// use http_metrics_core::RequestLabelValue;
///
/// let tenant = String::from("acme");
/// let mut request = http::Request::new(());
/// request.extensions_mut().insert(RequestLabelValue::new(tenant));
/// assert_eq!(request.extensions().get::<RequestLabelValue>().unwrap().as_str(), "acme");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLabelValue(std::borrow::Cow<'static, str>);

impl RequestLabelValue {
    /// A value, borrowed when it is `'static` (a literal), else owned.
    pub fn new(value: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Self(value.into())
    }

    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value's bytes, as [`RequestGuard::set_request_label`] takes them.
    ///
    /// [`RequestGuard::set_request_label`]: crate::adapter::RequestGuard::set_request_label
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_outside_the_list_are_other() {
        let label = RequestLabel::header("X-Api-Version", "version").allow(["v1", "v2"]);
        assert_eq!(label.header.as_deref(), Some("x-api-version"));
        assert_eq!(label.index(Some(b"v1")), 1);
        assert_eq!(label.index(Some(b"v2")), 2);
        assert_eq!(label.index(Some(b"v3")), 0);
        assert_eq!(label.index(Some(b"\xff")), 0);
        assert_eq!(label.index(None), 0);
        assert_eq!((label.value(0), label.value(2)), ("other", "v2"));
        let major = label.map(|v| v.split('.').next().map(str::to_owned));
        assert_eq!(major.index(Some(b"v2.7")), 2);
        assert_eq!(major.index(Some(b"v9.1")), 0);
    }

    #[test]
    fn mistakes_are_named() {
        let why = |label: RequestLabel| label.check(&["method", "route"]).unwrap_err().to_string();
        let ok = RequestLabel::header("x-tenant", "tenant").allow(["a"]);
        assert_eq!(ok.check(&["method"]), Ok(()));
        assert_eq!(
            why(RequestLabel::header("x-tenant", "route").allow(["a"])),
            "invalid request label: \"route\" is already a label of the series"
        );
        assert_eq!(
            why(RequestLabel::header("x tenant", "tenant").allow(["a"])),
            "invalid request label: \"x tenant\" is not a header name"
        );
        assert_eq!(
            why(RequestLabel::header("x-tenant", "tenant")),
            "invalid request label: allow from 1 to 64 values (got 0)"
        );
        assert_eq!(
            why(RequestLabel::extension("tenant")),
            "invalid request label: allow from 1 to 64 values (got 0)"
        );
        assert_eq!(
            RequestLabel::extension("tenant")
                .allow(["a"])
                .check(&["method"]),
            Ok(())
        );
        assert_eq!(
            why(RequestLabel::header("x-tenant", "tenant").allow(["a", "other"])),
            "invalid request label: \"other\" cannot be an allowed value: values are distinct, \
             not empty, and not \"other\""
        );
        assert_eq!(
            why(RequestLabel::header("x-tenant", "le").allow(["a"])),
            "invalid request label: \"le\" cannot be a label name"
        );
    }
}
