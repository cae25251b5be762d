//! `Accept` and `Accept-Encoding` parsing (RFC 9110 §12.5).

use super::Format;

/// One element of a comma-separated header: the token, its quality (`q`, default 1), and
/// the parameters a media type of `/metrics` is told by.
struct Element<'a> {
    token: &'a str,
    q: f32,
    version: Option<&'a str>,
    proto: Option<&'a str>,
    encoding: Option<&'a str>,
}

fn elements(header: &str) -> impl Iterator<Item = Element<'_>> {
    header.split(',').filter_map(|element| {
        let mut parts = element.split(';').map(str::trim);
        let token = parts.next().filter(|t| !t.is_empty())?;
        let mut out = Element {
            token,
            q: 1.0,
            version: None,
            proto: None,
            encoding: None,
        };
        for param in parts {
            let Some((name, value)) = param.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match name.trim().to_ascii_lowercase().as_str() {
                // An unparsable quality makes the element unacceptable rather than preferred.
                "q" => {
                    out.q = value
                        .parse()
                        .ok()
                        .filter(|q: &f32| (0.0..=1.0).contains(q))
                        .unwrap_or(0.0)
                }
                "version" => out.version = Some(value),
                "proto" => out.proto = Some(value),
                "encoding" => out.encoding = Some(value),
                _ => {}
            }
        }
        Some(out)
    })
}

pub(super) fn format(accept: &str) -> Format {
    let (mut openmetrics, mut text, mut protobuf) = (0.0_f32, 0.0_f32, 0.0_f32);
    for Element {
        token: media,
        q,
        version,
        proto,
        encoding,
    } in elements(accept)
    {
        if media.eq_ignore_ascii_case("application/openmetrics-text") {
            if matches!(version, None | Some("1.0.0") | Some("0.0.1")) {
                openmetrics = openmetrics.max(q);
            }
        } else if media.eq_ignore_ascii_case("text/plain") {
            if matches!(version, None | Some("0.0.4")) {
                text = text.max(q);
            }
        } else if media == "*/*" || media.eq_ignore_ascii_case("text/*") {
            text = text.max(q);
        } else if media.eq_ignore_ascii_case("application/vnd.google.protobuf")
            && proto == Some("io.prometheus.client.MetricFamily")
            && encoding.is_some_and(|e| e.eq_ignore_ascii_case("delimited"))
        {
            protobuf = protobuf.max(q);
        }
    }
    // Only with native histograms is the protobuf format served.
    #[cfg(feature = "native-histograms")]
    if protobuf > 0.0 && protobuf >= openmetrics && protobuf >= text {
        return Format::Protobuf;
    }
    #[cfg(not(feature = "native-histograms"))]
    let _ = protobuf;
    if openmetrics > 0.0 && openmetrics >= text {
        Format::OpenMetrics
    } else {
        Format::Prometheus
    }
}

/// Whether an `Accept-Encoding` value allows gzip: `gzip` (or `x-gzip`) with a non-zero
/// quality, or `*` with a non-zero quality when gzip is not listed by name.
pub(crate) fn accepts_gzip(accept_encoding: &str) -> bool {
    let (mut named, mut wildcard) = (None, None);
    for Element {
        token: coding, q, ..
    } in elements(accept_encoding)
    {
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            named = Some(named.map_or(q, |n: f32| n.max(q)));
        } else if coding == "*" {
            wildcard = Some(q);
        }
    }
    named.or(wildcard).is_some_and(|q| q > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_scrape_headers_get_openmetrics() {
        // Prometheus 2.x and 3.x defaults.
        for accept in [
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
            "application/openmetrics-text",
        ] {
            assert_eq!(format(accept), Format::OpenMetrics, "{accept}");
        }
    }

    #[cfg(feature = "native-histograms")]
    #[test]
    fn protobuf_when_asked_for_first() {
        // Prometheus 2.x with `--enable-feature=native-histograms`, and 3.x's PrometheusProto.
        for accept in [
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;q=0.5",
            "Application/Vnd.Google.Protobuf; encoding=\"delimited\"; proto=io.prometheus.client.MetricFamily",
        ] {
            assert_eq!(format(accept), Format::Protobuf, "{accept}");
        }
        for accept in [
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily",
            "application/vnd.google.protobuf;encoding=delimited",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.4,text/plain;q=0.5",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0",
        ] {
            assert_eq!(format(accept), Format::Prometheus, "{accept}");
        }
    }

    #[test]
    fn everything_else_gets_prometheus_text() {
        for accept in [
            "",
            "*/*",
            "text/plain",
            "text/plain;version=0.0.4",
            "application/json",
            "text/html,application/xhtml+xml,*/*;q=0.8",
            "application/openmetrics-text;q=0",
            "application/openmetrics-text;version=2.0.0",
            "application/openmetrics-text;q=0.5, text/plain",
            "application/openmetrics-text;q=banana",
            ",;;=,",
        ] {
            assert_eq!(format(accept), Format::Prometheus, "{accept:?}");
        }
    }

    #[test]
    fn equal_quality_prefers_openmetrics() {
        assert_eq!(
            format("text/plain, application/openmetrics-text"),
            Format::OpenMetrics
        );
    }

    #[test]
    fn gzip_negotiation() {
        assert!(accepts_gzip("gzip"));
        assert!(accepts_gzip("GZIP;q=0.5"));
        assert!(accepts_gzip("x-gzip"));
        assert!(accepts_gzip("br;q=1, gzip;q=0.1"));
        assert!(!accepts_gzip(""));
        assert!(!accepts_gzip("identity"));
        assert!(!accepts_gzip("*;q=0"));
        assert!(
            !accepts_gzip("gzip;q=0, *"),
            "a named refusal beats the wildcard"
        );
    }
}
