//! Prometheus 3's name escaping: how a metric or label name outside the classic character
//! set is written for a scraper, by the `escaping` parameter of its `Accept` header. The
//! rules are the Prometheus documentation's (and client_python's `escape_metric_name`):
//!
//! | scheme | `payments.processed_total` | `http_requests_total` |
//! |---|---|---|
//! | `allow-utf-8` | `"payments.processed_total"` (quoted, in the braces) | as it is |
//! | `underscores` | `payments_processed_total` | as it is |
//! | `dots` | `payments_dot_processed__total` | `http__requests__total` |
//! | `values` | `U__payments_2e_processed__total` | as it is |

use super::names::{is_label_name, is_metric_name};

/// How names outside the classic character set (`[a-zA-Z_:][a-zA-Z0-9_:]*` for metrics,
/// without `:` for labels) are written: Prometheus 3's `escaping` schemes.
///
/// ```
/// use http_metrics_core::names::Escaping;
///
/// assert_eq!(Escaping::parse("allow-utf8"), Some(Escaping::AllowUtf8));
/// assert_eq!(Escaping::AllowUtf8.as_str(), "allow-utf-8");
/// assert_eq!(Escaping::Dots.metric_name("payments.processed"), "payments_dot_processed");
/// assert_eq!(Escaping::Values.label_name("payment.method"), "U__payment_2e_method");
/// assert_eq!(Escaping::default(), Escaping::Underscores);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Escaping {
    /// Names as they are; in the text formats a name outside the classic set is quoted.
    AllowUtf8,
    /// Each character outside the classic set becomes `_`: what a scraper that asks for no
    /// scheme gets.
    #[default]
    Underscores,
    /// `_` becomes `__`, `.` becomes `_dot_`, any other character outside the set `__`: every
    /// name, classic or not, so that the dots can be read back.
    Dots,
    /// A name outside the classic set becomes `U__` and its characters, `_` as `__` and each
    /// other outside the set as `_<hex code point>_`; a classic name stays as it is.
    Values,
}

impl Escaping {
    /// The scheme an `escaping` parameter names (`allow-utf-8`, also `allow-utf8`,
    /// `underscores`, `dots`, `values`).
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "allow-utf-8" | "allow-utf8" => Some(Self::AllowUtf8),
            "underscores" => Some(Self::Underscores),
            "dots" => Some(Self::Dots),
            "values" => Some(Self::Values),
            _ => None,
        }
    }

    /// The scheme as the `escaping` parameter of a `Content-Type` names it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AllowUtf8 => "allow-utf-8",
            Self::Underscores => "underscores",
            Self::Dots => "dots",
            Self::Values => "values",
        }
    }

    /// A metric name as this scheme writes it (without the quotes `allow-utf-8` puts around a
    /// name outside the classic set in the text formats).
    pub fn metric_name(self, name: &str) -> String {
        let mut out = String::new();
        self.write_name(name, true, &mut out);
        out
    }

    /// A label name as this scheme writes it (without quotes).
    pub fn label_name(self, name: &str) -> String {
        let mut out = String::new();
        self.write_name(name, false, &mut out);
        out
    }

    /// Whether this scheme writes `name` as it is (a metric name when `metric`).
    pub(crate) fn keeps(self, name: &str, metric: bool) -> bool {
        let classic = if metric {
            is_metric_name(name)
        } else {
            is_label_name(name)
        };
        match self {
            Self::AllowUtf8 | Self::Underscores | Self::Values => classic,
            Self::Dots => classic && !name.contains('_'),
        }
    }

    /// Appends `name` as this scheme writes it, unquoted.
    pub(crate) fn write_name(self, name: &str, metric: bool, out: &mut String) {
        if self.keeps(name, metric) || name.is_empty() {
            out.push_str(name);
            return;
        }
        let classic = |c: char, i: usize| {
            c.is_ascii_alphabetic()
                || c == '_'
                || (metric && c == ':')
                || (i > 0 && c.is_ascii_digit())
        };
        match self {
            Self::AllowUtf8 => out.push_str(name),
            Self::Underscores => {
                out.extend(
                    (name.chars().enumerate()).map(|(i, c)| if classic(c, i) { c } else { '_' }),
                )
            }
            Self::Dots => {
                for (i, c) in name.chars().enumerate() {
                    match c {
                        '_' => out.push_str("__"),
                        '.' => out.push_str("_dot_"),
                        c if classic(c, i) => out.push(c),
                        _ => out.push_str("__"),
                    }
                }
            }
            Self::Values => {
                out.push_str("U__");
                for (i, c) in name.chars().enumerate() {
                    match c {
                        '_' => out.push_str("__"),
                        c if classic(c, i) => out.push(c),
                        c => {
                            use std::fmt::Write as _;
                            let _ = write!(out, "_{:x}_", c as u32);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// client_python 0.26's `escape_metric_name` and `escape_label_name` for the same names.
    #[test]
    fn each_scheme_writes_names_as_the_reference_does() {
        let cases = [
            (
                "payments.processed_total",
                true,
                [
                    "payments.processed_total",
                    "payments_processed_total",
                    "payments_dot_processed__total",
                    "U__payments_2e_processed__total",
                ],
            ),
            (
                "http_requests_total",
                true,
                [
                    "http_requests_total",
                    "http_requests_total",
                    "http__requests__total",
                    "http_requests_total",
                ],
            ),
            (
                "payment.method",
                false,
                [
                    "payment.method",
                    "payment_method",
                    "payment_dot_method",
                    "U__payment_2e_method",
                ],
            ),
            ("a:b", false, ["a:b", "a_b", "a__b", "U__a_3a_b"]),
            ("a:b", true, ["a:b", "a:b", "a:b", "a:b"]),
            (
                "9lives",
                true,
                ["9lives", "_lives", "__lives", "U___39_lives"],
            ),
            ("é", true, ["é", "_", "__", "U___e9_"]),
            ("region", false, ["region", "region", "region", "region"]),
        ];
        let schemes = [
            Escaping::AllowUtf8,
            Escaping::Underscores,
            Escaping::Dots,
            Escaping::Values,
        ];
        for (name, metric, expected) in cases {
            for (scheme, expected) in schemes.into_iter().zip(expected) {
                let written = if metric {
                    scheme.metric_name(name)
                } else {
                    scheme.label_name(name)
                };
                assert_eq!(written, expected, "{name} in {scheme:?}");
            }
        }
    }

    #[test]
    fn parameters() {
        for scheme in [
            Escaping::AllowUtf8,
            Escaping::Underscores,
            Escaping::Dots,
            Escaping::Values,
        ] {
            assert_eq!(Escaping::parse(scheme.as_str()), Some(scheme));
        }
        assert_eq!(Escaping::parse("Dots"), None);
        assert_eq!(Escaping::parse(""), None);
    }
}
