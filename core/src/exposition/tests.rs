//! The writers against prometheus-client's own encoders: for random options and random
//! traffic, the HTTP families of a snapshot are replayed into a prometheus-client registry
//! (the same names, help, units, labels and values, through its `Collector` API), and what
//! prometheus-client writes of it is what this crate writes, byte for byte in both text
//! formats and message for message in protobuf.

use std::time::Duration;

use crate::adapter::RouteHandle;
use crate::base::test_clock::advance;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

use crate::model::{Kind, NativeHistogram, Number};
use crate::snapshot::view::FamilyInner;
use crate::snapshot::{FamilyRef, Snapshot, ValueRef};
use crate::{DurationEnd, Format, HttpMetrics, MethodLabel, Naming, RequestLabel, StatusLabel};

/// xorshift64*: enough randomness to vary cases, reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, in_ten: u64) -> bool {
        self.next() % 10 < in_ten
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Templates that need escaping, and one route excluded by pattern.
const ROUTES: [&str; 6] = [
    "/api/users/{id}",
    "/api/orders",
    "/quote \"here\"",
    "/back\\slash",
    "/new\nline",
    "/internal/health",
];
const METHODS: [MethodLabel; 4] = [
    MethodLabel::Get,
    MethodLabel::Post,
    MethodLabel::Delete,
    MethodLabel::Other,
];
const STATUSES: [u16; 7] = [200, 201, 204, 404, 422, 500, 503];

fn options(rng: &mut Rng) -> HttpMetrics {
    let mut builder = HttpMetrics::builder()
        .process_metrics(false)
        .exclude_routes_matching("/internal/*");
    if rng.chance(5) {
        builder = builder.prefix("shop");
    }
    if rng.chance(3) {
        builder = builder.const_label("region", "eu \"west\"\nzone");
    }
    builder = builder.naming(match rng.below(4) {
        0 => Naming::new(),
        1 => Naming::opentelemetry(),
        2 => Naming::axum_prometheus(None),
        _ => Naming::actix_web_prom("api"),
    });
    if rng.chance(3) {
        builder = builder.status_label(StatusLabel::Class);
    }
    if rng.chance(4) {
        builder = builder.duration_end(DurationEnd::Both);
    }
    if rng.chance(3) {
        builder = builder.buckets([0.01, 0.1, 1.0]);
    }
    if rng.chance(3) {
        builder = builder
            .request_label(RequestLabel::header("x-tenant", "tenant").allow(["acme", "q\"x"]));
    }
    if rng.chance(2) {
        builder = builder.max_series(4);
    }
    #[cfg(feature = "body-sizes")]
    if rng.chance(5) {
        builder = builder.body_sizes(true);
    }
    #[cfg(feature = "native-histograms")]
    if rng.chance(4) {
        let native = crate::NativeHistograms::new().with_schema(rng.below(9) as i8 - 1);
        builder = builder.native_histograms(native.classic_buckets(rng.chance(7)));
    }
    builder.build().unwrap()
}

/// Random requests: finished, cancelled, still in flight, or recorded after the fact.
fn traffic(rng: &mut Rng, metrics: &HttpMetrics) -> Vec<crate::adapter::RequestGuard> {
    let mut open = Vec::new();
    for _ in 0..rng.below(60) {
        let template = ROUTES[rng.below(ROUTES.len())];
        let route = RouteHandle::resolve(metrics, template);
        let method = *rng.pick(&METHODS);
        let status = *rng.pick(&STATUSES);
        let nanos = 1u64 << rng.below(34);
        if rng.chance(1) {
            route.record(method, status, Duration::from_nanos(nanos));
            continue;
        }
        let Some(mut guard) = route.start(method) else {
            continue;
        };
        let tenant: &[u8] = match rng.below(3) {
            0 => b"acme",
            1 => b"q\"x",
            _ => b"evil",
        };
        guard.set_request_label(Some(tenant));
        advance(Duration::from_nanos(nanos / 2));
        match rng.below(10) {
            0 => drop(guard),
            1 => open.push(guard),
            _ => {
                guard.set_status(status);
                advance(Duration::from_nanos(nanos / 2));
                if let Some(counter) = guard.request_body_counter() {
                    counter.add(rng.next() % 100_000);
                }
                guard.add_response_bytes(rng.next() % 1_000_000);
                guard.finish();
            }
        }
    }
    open
}

/// The HTTP families of `snapshot`.
fn http_families<'s>(snapshot: &'s Snapshot<'_>) -> impl Iterator<Item = FamilyRef<'s>> {
    snapshot
        .families()
        .filter(|family| matches!(family.0, FamilyInner::Http(..)))
}

/// The first line where `ours` and `theirs` differ, with the line before it.
fn first_difference(ours: &str, theirs: &str) -> Option<String> {
    let (a, b): (Vec<_>, Vec<_>) = (ours.lines().collect(), theirs.lines().collect());
    let i = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i))?;
    Some(format!(
        "after {:?}:\n ours   {:?}\n theirs {:?}",
        i.checked_sub(1).and_then(|j| a.get(j)),
        a.get(i),
        b.get(i)
    ))
}

/// The values of one family of a snapshot, as prometheus-client's encoders take them.
#[derive(Debug)]
struct Replayed {
    name: String,
    help: String,
    unit: Option<Unit>,
    kind: MetricType,
    /// Each series' own labels (the registry's constant labels apart) and value.
    series: Vec<(Vec<(String, String)>, Point)>,
}

#[derive(Debug)]
enum Point {
    Counter(u64),
    Gauge(i64),
    Histogram {
        sum: f64,
        count: u64,
        /// Upper bounds and each bucket's own count.
        buckets: Vec<(f64, u64)>,
        native: Option<NativeHistogram>,
    },
}

/// `snapshot`'s HTTP families on a registry of prometheus-client's, with `const_labels`.
fn replay(snapshot: &Snapshot<'_>, const_labels: &[(String, String)]) -> Registry {
    let families = http_families(snapshot).map(|family| {
        let unit = (!family.unit().is_empty()).then(|| Unit::Other(family.unit().to_owned()));
        let suffix = unit
            .as_ref()
            .map(|u| format!("_{}", u.as_str()))
            .unwrap_or_default();
        let kind = match family.kind() {
            Kind::Counter => MetricType::Counter,
            Kind::Gauge => MetricType::Gauge,
            _ => MetricType::Histogram,
        };
        let series = family.series().map(|series| {
            let labels = (series.labels().iter().skip(const_labels.len()))
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect();
            (labels, point(series.value()))
        });
        Replayed {
            name: family.name().strip_suffix(&suffix).unwrap().to_owned(),
            help: family.help().to_owned(),
            unit,
            kind,
            series: series.collect(),
        }
    });
    let labels = const_labels
        .iter()
        .map(|(n, v)| (n.clone().into(), v.clone().into()));
    let mut registry = Registry::with_labels(labels);
    registry.register_collector(Box::new(Replay(families.collect())));
    registry
}

fn point(value: ValueRef<'_>) -> Point {
    match value {
        ValueRef::Counter(Number::UInt(n), _) => Point::Counter(n),
        ValueRef::Gauge(Number::Int(n)) => Point::Gauge(n),
        ValueRef::Histogram(h) => {
            let mut previous = 0;
            let buckets = h.buckets().map(|b| {
                let own = b.count - previous;
                previous = b.count;
                (b.upper_bound, own)
            });
            Point::Histogram {
                sum: h.sum(),
                count: h.count(),
                buckets: buckets.collect(),
                native: h.native().cloned(),
            }
        }
        other => panic!("not an HTTP family's value: {other:?}"),
    }
}

#[derive(Debug)]
struct Replay(Vec<Replayed>);

impl Collector for Replay {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
        for family in &self.0 {
            let (name, help, unit) = (&family.name, &family.help, family.unit.as_ref());
            let mut metric = encoder.encode_descriptor(name, help, unit, family.kind)?;
            for (labels, point) in &family.series {
                let mut metric = metric.encode_family(labels)?;
                match point {
                    Point::Counter(n) => metric.encode_counter::<NoLabelSet, _, u64>(n, None)?,
                    Point::Gauge(n) => metric.encode_gauge(n)?,
                    Point::Histogram {
                        sum,
                        count,
                        buckets,
                        native: None,
                    } => metric.encode_histogram::<NoLabelSet>(*sum, *count, buckets, None)?,
                    Point::Histogram {
                        sum,
                        count,
                        buckets,
                        native: Some(native),
                    } => {
                        use prometheus_client::encoding::NativeHistogramBuckets;
                        let side = |spans, deltas| NativeHistogramBuckets { spans, deltas };
                        let native = prometheus_client::encoding::NativeHistogram {
                            schema: native.schema,
                            zero_threshold: native.zero_threshold,
                            zero_count: native.zero_count,
                            positive: side(&native.positive_spans, &native.positive_deltas),
                            negative: side(&native.negative_spans, &native.negative_deltas),
                            created: None,
                        };
                        metric.encode_histogram_with_native::<NoLabelSet>(
                            *sum, *count, buckets, None, native,
                        )?
                    }
                }
            }
        }
        Ok(())
    }
}

#[test]
fn the_writers_write_what_prometheus_client_writes_of_the_same_values() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for case in 0..300 {
        let metrics = options(&mut rng);
        let _open = traffic(&mut rng, &metrics);
        let const_labels = &metrics.inner.families.const_labels;
        let snapshot = metrics.take_snapshot(false).unwrap();
        let registry = replay(&snapshot, const_labels);
        let mut ours = String::new();
        super::text::write_families(
            http_families(&snapshot),
            Format::OpenMetrics,
            crate::base::Escaping::Underscores,
            false,
            &mut ours,
        );
        let mut theirs = String::new();
        prometheus_client::encoding::text::encode(&mut theirs, &registry).unwrap();
        assert_eq!(
            first_difference(&ours, &theirs),
            None,
            "case {case}, OpenMetrics"
        );
        #[cfg(feature = "native-histograms")]
        {
            let snapshot = metrics.take_snapshot(true).unwrap();
            let registry = replay(&snapshot, const_labels);
            // prometheus-client keeps no start times: compared without them.
            let mut ours: Vec<_> = http_families(&snapshot)
                .map(|f| super::protobuf::family(f, crate::base::Escaping::Underscores))
                .collect();
            for metric in ours.iter_mut().flat_map(|f| f.metric.iter_mut()) {
                if let Some(counter) = &mut metric.counter {
                    counter.start_timestamp = None;
                }
                if let Some(histogram) = &mut metric.histogram {
                    histogram.start_timestamp = None;
                }
            }
            let theirs =
                prometheus_client::encoding::prometheus_protobuf::encode(&registry).unwrap();
            assert_eq!(ours, theirs, "case {case}, protobuf");
        }
    }
}

#[test]
fn the_prometheus_text_format_is_openmetrics_with_its_own_metadata() {
    // prometheus-client writes OpenMetrics only; 0.0.4 differs from it in the metadata
    // lines alone, as the format's specification has it.
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    for case in 0..100 {
        let metrics = options(&mut rng);
        let _open = traffic(&mut rng, &metrics);
        let openmetrics = metrics.encode(Format::OpenMetrics).unwrap();
        let prometheus = metrics.encode(Format::Prometheus).unwrap();
        let samples = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(samples(&openmetrics), samples(&prometheus), "case {case}");
        let counter = |text: &str| {
            text.lines()
                .filter(|l| l.starts_with("# TYPE") && l.ends_with(" counter"))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        for line in counter(&prometheus) {
            assert!(
                line.split(' ').nth(2).unwrap().ends_with("_total"),
                "case {case}: {line}"
            );
        }
        assert!(!prometheus.contains("# UNIT") && !prometheus.contains("# EOF"));
    }
}
