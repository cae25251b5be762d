//! The direct encoding against prometheus-client's encoding of the same series: for random
//! options and random traffic, the two are the same, byte for byte in both text formats and
//! message for message in protobuf.

use std::time::Duration;

use crate::adapter::RouteHandle;
use crate::base::test_clock::advance;
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

#[test]
fn the_direct_encoding_is_prometheus_clients_in_every_format() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for case in 0..300 {
        let metrics = options(&mut rng);
        let _open = traffic(&mut rng, &metrics);
        for format in [Format::OpenMetrics, Format::Prometheus] {
            let direct = metrics.encode(format).unwrap();
            let legacy = String::from_utf8(metrics.encode_legacy(format).unwrap()).unwrap();
            assert_eq!(direct, legacy, "case {case}, {format:?}");
        }
        #[cfg(feature = "native-histograms")]
        {
            use prost::Message as _;
            let decode = |body: Vec<u8>| {
                let mut buf = &body[..];
                let mut families = Vec::new();
                while !buf.is_empty() {
                    families.push(
                        crate::exposition::protobuf::MetricFamily::decode_length_delimited(
                            &mut buf,
                        )
                        .unwrap(),
                    );
                }
                families
            };
            let direct = decode(metrics.encode_to_vec(Format::Protobuf).unwrap());
            let legacy = decode(metrics.encode_legacy(Format::Protobuf).unwrap());
            assert_eq!(direct, legacy, "case {case}, protobuf");
        }
    }
}
