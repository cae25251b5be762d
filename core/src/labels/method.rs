//! Normalisation of the HTTP method into a bounded label value.

use std::fmt;

/// The `method` label of a request: one of the nine methods of RFC 9110 / RFC 5789,
/// or [`MethodLabel::Other`] (`_OTHER`) for any other token.
///
/// Method tokens are case-sensitive (RFC 9110 §9.1), so `get` is `_OTHER`, not `GET`.
/// Folding unknown tokens into one value keeps a client that invents methods from creating
/// new series; the value `_OTHER` follows the OpenTelemetry HTTP semantic conventions.
///
/// ```
/// use http_metrics_core::adapter::MethodLabel;
///
/// assert_eq!(MethodLabel::from_token("PATCH"), MethodLabel::Patch);
/// assert_eq!(MethodLabel::from_token("PURGE").as_str(), "_OTHER");
/// assert_eq!(MethodLabel::from(&http::Method::GET), MethodLabel::Get);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MethodLabel {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `CONNECT`
    Connect,
    /// `OPTIONS`
    Options,
    /// `TRACE`
    Trace,
    /// `PATCH`
    Patch,
    /// Any other method token, exposed as `_OTHER`.
    Other,
}

impl MethodLabel {
    /// Every label value, in the order series are exposed.
    pub const ALL: [MethodLabel; 10] = [
        MethodLabel::Get,
        MethodLabel::Head,
        MethodLabel::Post,
        MethodLabel::Put,
        MethodLabel::Delete,
        MethodLabel::Connect,
        MethodLabel::Options,
        MethodLabel::Trace,
        MethodLabel::Patch,
        MethodLabel::Other,
    ];

    /// Classifies a method token exactly as it appeared on the request line.
    pub fn from_token(token: &str) -> Self {
        match token {
            "GET" => Self::Get,
            "HEAD" => Self::Head,
            "POST" => Self::Post,
            "PUT" => Self::Put,
            "DELETE" => Self::Delete,
            "CONNECT" => Self::Connect,
            "OPTIONS" => Self::Options,
            "TRACE" => Self::Trace,
            "PATCH" => Self::Patch,
            _ => Self::Other,
        }
    }

    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
            Self::Connect => "CONNECT",
            Self::Options => "OPTIONS",
            Self::Trace => "TRACE",
            Self::Patch => "PATCH",
            Self::Other => "_OTHER",
        }
    }

    /// Position in [`MethodLabel::ALL`]; used to index per-method slots without hashing.
    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl From<&http::Method> for MethodLabel {
    /// Comparing `http::Method`s compares their variants for the standard methods, so the
    /// common case costs a few instructions rather than string comparisons.
    #[inline]
    fn from(method: &http::Method) -> Self {
        use http::Method as M;
        if *method == M::GET {
            Self::Get
        } else if *method == M::POST {
            Self::Post
        } else if *method == M::HEAD {
            Self::Head
        } else if *method == M::PUT {
            Self::Put
        } else if *method == M::DELETE {
            Self::Delete
        } else if *method == M::PATCH {
            Self::Patch
        } else if *method == M::OPTIONS {
            Self::Options
        } else if *method == M::CONNECT {
            Self::Connect
        } else if *method == M::TRACE {
            Self::Trace
        } else {
            // An extension method, however it is spelt (`get` included) is `_OTHER`.
            Self::Other
        }
    }
}

impl fmt::Display for MethodLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_methods_round_trip() {
        for label in MethodLabel::ALL {
            if label != MethodLabel::Other {
                assert_eq!(MethodLabel::from_token(label.as_str()), label);
            }
        }
    }

    #[test]
    fn an_http_method_gets_the_label_of_its_token() {
        for token in [
            "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "get",
            "Post", "PURGE", "QUERY",
        ] {
            let method = http::Method::from_bytes(token.as_bytes()).unwrap();
            assert_eq!(
                MethodLabel::from(&method),
                MethodLabel::from_token(token),
                "{token}"
            );
        }
        assert_eq!(MethodLabel::from(&http::Method::PATCH), MethodLabel::Patch);
        assert_eq!(MethodLabel::from(&http::Method::TRACE), MethodLabel::Trace);
    }

    #[test]
    fn index_matches_position_in_all() {
        for (i, label) in MethodLabel::ALL.iter().enumerate() {
            assert_eq!(label.index(), i);
        }
    }

    #[test]
    fn unknown_and_miscased_tokens_fold_to_other() {
        for token in [
            "get",
            "Get",
            "PURGE",
            "PROPFIND",
            "",
            "GET ",
            "X".repeat(1000).as_str(),
        ] {
            assert_eq!(
                MethodLabel::from_token(token),
                MethodLabel::Other,
                "{token:?}"
            );
        }
        let custom = http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(MethodLabel::from(&custom).as_str(), "_OTHER");
    }
}
