//! `Accept` and `Accept-Encoding` parsing (RFC 9110 §12.5).

use crate::base::Escaping;

/// One element of a comma-separated header: the token, its quality (`q`, default 1), and
/// the parameters a media type of `/metrics` is told by.
struct Element<'a> {
    token: &'a str,
    q: f32,
    version: Option<&'a str>,
    proto: Option<&'a str>,
    encoding: Option<&'a str>,
    escaping: Option<&'a str>,
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
            escaping: None,
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
                "escaping" => out.escaping = Some(value),
                _ => {}
            }
        }
        Some(out)
    })
}

/// The media types `/metrics` serves, in the order it prefers them at equal quality.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Media {
    Protobuf,
    OpenMetrics1,
    OpenMetrics0,
    Text1,
    Text0,
}

/// The media type of one `Accept` element `/metrics` can serve, if any.
fn media(element: &Element<'_>) -> Option<Media> {
    let token = element.token;
    if token.eq_ignore_ascii_case("application/openmetrics-text") {
        match element.version {
            None | Some("1.0.0") => Some(Media::OpenMetrics1),
            Some("0.0.1") => Some(Media::OpenMetrics0),
            _ => None,
        }
    } else if token.eq_ignore_ascii_case("text/plain") {
        match element.version {
            None | Some("0.0.4") => Some(Media::Text0),
            Some("1.0.0") => Some(Media::Text1),
            _ => None,
        }
    } else if token == "*/*" || token.eq_ignore_ascii_case("text/*") {
        Some(Media::Text0)
    } else if cfg!(feature = "native-histograms")
        && token.eq_ignore_ascii_case("application/vnd.google.protobuf")
        && element.proto == Some("io.prometheus.client.MetricFamily")
        && element
            .encoding
            .is_some_and(|e| e.eq_ignore_ascii_case("delimited"))
    {
        Some(Media::Protobuf)
    } else {
        None
    }
}

/// The media type and escaping an `Accept` value gets: the acceptable element of the highest
/// quality (at equal quality, protobuf, then OpenMetrics 1.0.0 and 0.0.1, then the
/// Prometheus text 1.0.0 and 0.0.4), with the escaping it asks for (`underscores` when it
/// names none, or none known); the Prometheus text format 0.0.4 when nothing is acceptable.
pub(super) fn negotiate(accept: &str) -> (Media, Escaping) {
    let mut best: Option<(f32, Media, Escaping)> = None;
    for element in elements(accept) {
        let Some(media) = media(&element).filter(|_| element.q > 0.0) else {
            continue;
        };
        let escaping = element
            .escaping
            .and_then(Escaping::parse)
            .unwrap_or_default();
        let better = match best {
            None => true,
            Some((q, chosen, _)) => {
                element.q > q || (element.q == q && (media as u8) < (chosen as u8))
            }
        };
        if better {
            best = Some((element.q, media, escaping));
        }
    }
    match best {
        // The formats before 1.0.0 know only the classic names.
        Some((_, media @ (Media::OpenMetrics0 | Media::Text0), _)) => {
            (media, Escaping::Underscores)
        }
        Some((_, media, escaping)) => (media, escaping),
        None => (Media::Text0, Escaping::Underscores),
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
    use crate::exposition::{Exposition, Format};

    fn format(accept: &str) -> Format {
        Exposition::negotiate(Some(accept)).format()
    }

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
