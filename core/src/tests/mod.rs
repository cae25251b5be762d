//! The core's own tests of what crosses layers: a request recorded through the guard, read
//! back through an encoding. Each module is one subject.

mod body_sizes;
mod durations;
mod escaping;
#[cfg(feature = "exemplars")]
mod exemplars;
#[cfg(feature = "native-histograms")]
mod protobuf;
mod recording;

pub(crate) use crate::adapter::RequestGuard;
pub(crate) use crate::{Format, HttpMetrics, MethodLabel, RouteHandle, StatusLabel};

/// Starts a request on `route` (`None`: unmatched), as an adapter does.
fn start(metrics: &HttpMetrics, method: MethodLabel, route: Option<&str>) -> Option<RequestGuard> {
    match route {
        Some(template) => RouteHandle::resolve(metrics, template).start(method),
        None => RouteHandle::unmatched(metrics).start(method),
    }
}

fn text(metrics: &HttpMetrics) -> String {
    metrics.encode(Format::Prometheus).unwrap()
}

fn sample(metrics: &HttpMetrics, series: &str) -> Option<String> {
    text(metrics).lines().find_map(|line| {
        line.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .map(str::to_owned)
    })
}
