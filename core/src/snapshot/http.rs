//! The HTTP families of one snapshot: every series of the route table read once, before any
//! family is written, so that `http_requests_total`, the histogram's `_count` and its `+Inf`
//! bucket are the same numbers in every format, however busy the service.
//!
//! Each series' labels are rendered (and escaped) for the text formats once in its lifetime,
//! by the first snapshot that shows it, and kept in its cell; the series' values go into one
//! flat array, sized from the previous snapshot's.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use crate::base::escape_into;
use crate::http::cell::DurationCell;
use crate::http::families::{HttpFamilies, HttpFamily};
use crate::http::routes::{RouteEntry, RouteTable};
use crate::http::settings::Settings;
use crate::model::NativeHistogram;
use crate::MethodLabel;

/// Which series a read is: its route, method, request-label value and status key (0 for
/// none, as on the in-flight gauge); `None` is the overflow series.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SeriesId<'a> {
    pub(crate) entry: &'a RouteEntry,
    pub(crate) method: MethodLabel,
    pub(crate) label: u8,
    pub(crate) key: u16,
}

/// One series of the counter and the histograms, as this snapshot read it.
#[derive(Debug)]
pub(crate) struct Read<'a> {
    /// Its labels as the text formats write them.
    pub(crate) labels: &'a str,
    pub(crate) cell: &'a DurationCell,
    pub(crate) id: Option<SeriesId<'a>>,
    /// Requests: the latency buckets' total.
    pub(crate) count: u64,
    /// Requests the head histogram has.
    pub(crate) head: u64,
    /// Requests the request- and response-size histograms have.
    pub(crate) sizes: [u64; 2],
}

/// One series of the in-flight gauge.
#[derive(Debug)]
pub(crate) struct InFlight<'a> {
    pub(crate) labels: &'a str,
    pub(crate) value: i64,
    pub(crate) id: SeriesId<'a>,
}

/// One (route, method) of upgraded connections.
#[derive(Debug)]
pub(crate) struct Upgrade<'a> {
    pub(crate) labels: String,
    pub(crate) id: SeriesId<'a>,
    pub(crate) open: i64,
    /// The lifetimes' count; their sum and buckets are in [`HttpRead::upgrade_values`].
    pub(crate) count: u64,
}

/// Every HTTP series of a registry, read once.
#[derive(Debug)]
pub(crate) struct HttpRead<'a> {
    pub(crate) families: &'a HttpFamilies,
    pub(crate) settings: &'a Settings,
    pub(crate) reads: Vec<Read<'a>>,
    /// Each read's values, `stride` apart: the latency histogram's sum and buckets, then
    /// the head histogram's, then each body-size histogram's.
    values: Vec<u64>,
    stride: usize,
    /// Values of a latency histogram: its sum and buckets.
    duration_len: usize,
    /// Where a read's body-size histograms start, and the values of each.
    sizes_at: usize,
    size_len: usize,
    pub(crate) in_flight: Vec<InFlight<'a>>,
    pub(crate) upgrades: Vec<Upgrade<'a>>,
    /// Each upgrade's lifetimes: their sum in nanoseconds, then each bucket's count.
    upgrade_values: Vec<u64>,
    /// The latency (0) and head (1) histograms' native buckets of each read, when read.
    pub(crate) native: Vec<[Option<NativeHistogram>; 2]>,
}

impl<'a> HttpRead<'a> {
    /// Reads every series of `routes`, with their native buckets when `native`. `last`
    /// holds the size of the previous read's values, to allocate this one's at once.
    pub(crate) fn read(
        families: &'a HttpFamilies,
        routes: &'a RouteTable,
        native: bool,
        last: &AtomicUsize,
    ) -> Self {
        let settings = routes.settings();
        let duration_len = settings.buckets.len_with_inf() + 1;
        let head = settings.duration_end == crate::DurationEnd::Both;
        let sizes_at = duration_len * if head { 2 } else { 1 };
        let size_len = settings.sizes.as_ref().map_or(0, |b| b.len_with_inf() + 1);
        let mut read = Self {
            families,
            settings,
            reads: Vec::new(),
            values: Vec::with_capacity(last.load(Relaxed)),
            stride: sizes_at + 2 * size_len,
            duration_len,
            sizes_at,
            size_len,
            in_flight: Vec::new(),
            upgrades: Vec::new(),
            upgrade_values: Vec::new(),
            native: Vec::new(),
        };
        let entries = routes.entries();
        for entry in &entries {
            read.read_route(entry);
        }
        let overflow = &settings.limit.overflow;
        let labels = overflow.labels(|| "otel_metric_overflow=\"true\"".to_owned());
        read.read_cell(labels, overflow, None);
        for entry in &entries {
            read.read_in_flight(entry);
            read.read_upgrades(entry);
        }
        if native {
            read.read_native();
        }
        debug_assert_eq!(read.values.len(), read.reads.len() * read.stride);
        last.store(read.values.len(), Relaxed);
        read
    }

    /// Every series of `entry`, in exposition order (request-label value, method, status).
    fn read_route(&mut self, entry: &'a RouteEntry) {
        let settings = self.settings;
        let _ = entry.for_each_series(|method, label, key, cell| {
            let id = SeriesId {
                entry,
                method,
                label,
                key,
            };
            let labels = cell.labels(|| series_labels(settings, &id));
            self.read_cell(labels, cell, Some(id));
            Ok::<(), ()>(())
        });
    }

    fn read_cell(&mut self, labels: &'a str, cell: &'a DurationCell, id: Option<SeriesId<'a>>) {
        let values = &mut self.values;
        let count = cell.read_into(values);
        let head = cell.read_head_into(values).unwrap_or(0);
        let sizes =
            [false, true].map(|response| cell.read_size_into(response, values).unwrap_or(0));
        self.reads.push(Read {
            labels,
            cell,
            id,
            count,
            head,
            sizes,
        });
    }

    fn read_in_flight(&mut self, entry: &'a RouteEntry) {
        if !self.families.has(HttpFamily::InFlight) {
            return;
        }
        for (method, label, value, cache) in entry.in_flight_series() {
            let id = SeriesId {
                entry,
                method,
                label,
                key: 0,
            };
            let labels = cache.get_or_init(|| series_labels(self.settings, &id).into());
            self.in_flight.push(InFlight { labels, value, id });
        }
    }

    fn read_upgrades(&mut self, entry: &'a RouteEntry) {
        for (method, cell) in entry.upgraded() {
            let id = SeriesId {
                entry,
                method,
                label: 0,
                key: 0,
            };
            // The gauge first: a connection it no longer counts open is in the lifetimes.
            let open = cell.open_now().unwrap_or(0);
            let count = cell.read_into(&mut self.upgrade_values);
            self.upgrades.push(Upgrade {
                labels: route_labels(self.settings, &id),
                id,
                open,
                count,
            });
        }
    }

    #[cfg(feature = "native-histograms")]
    fn read_native(&mut self) {
        let readers = [0, 1].map(|which| crate::http::native::Reader::new(self.settings, which));
        let [mut latency, mut head] = readers;
        let classic = latency.as_ref().is_none_or(|r| r.classic);
        for read in &self.reads {
            let mut histograms = [None, None];
            for (slot, reader) in histograms.iter_mut().zip([&mut latency, &mut head]) {
                let Some(reader) = reader.as_mut() else {
                    continue;
                };
                *slot = reader.read(read.cell);
            }
            if !classic {
                if let Some(native) = &mut histograms[0] {
                    native.exemplars = super::view::cell_exemplars(read.cell, self.settings);
                }
            }
            self.native.push(histograms);
        }
    }

    #[cfg(not(feature = "native-histograms"))]
    fn read_native(&mut self) {}

    /// Read `i`'s latency (`which` 0) or head (1) histogram: its sum and buckets, and count.
    pub(crate) fn duration(&self, i: usize, which: usize) -> (&[u64], u64) {
        let read = &self.reads[i];
        let count = if which == 0 { read.count } else { read.head };
        let at = self.stride * i + which * self.duration_len;
        (&self.values[at..at + self.duration_len], count)
    }

    /// Read `i`'s request-size (`which` 0) or response-size (1) histogram: its sum and
    /// buckets, and count.
    pub(crate) fn size(&self, i: usize, which: usize) -> (&[u64], u64) {
        let at = self.stride * i + self.sizes_at + which * self.size_len;
        (
            &self.values[at..at + self.size_len],
            self.reads[i].sizes[which],
        )
    }

    /// Upgrade `i`'s lifetimes: their sum and buckets.
    pub(crate) fn lifetimes(&self, i: usize) -> &[u64] {
        let len = self
            .settings
            .upgrades
            .as_ref()
            .map_or(0, |b| b.len_with_inf() + 1);
        &self.upgrade_values[i * len..(i + 1) * len]
    }

    /// How many series `family` shows: those with observations, every in-flight gauge and
    /// upgraded connection seen, and the open connections of the routes that had one.
    pub(crate) fn shows(&self, family: HttpFamily, i: usize) -> bool {
        match family {
            HttpFamily::Requests => self.reads[i].count > 0,
            HttpFamily::Duration(which) => self.duration(i, which).1 > 0,
            HttpFamily::Size(which) => self.reads[i].sizes[which] > 0,
            HttpFamily::InFlight | HttpFamily::UpgradesOpen | HttpFamily::UpgradeDurations => true,
        }
    }

    /// How many entries `family`'s series are drawn from.
    pub(crate) fn len(&self, family: HttpFamily) -> usize {
        match family {
            HttpFamily::Requests | HttpFamily::Duration(_) | HttpFamily::Size(_) => {
                self.reads.len()
            }
            HttpFamily::InFlight => self.in_flight.len(),
            HttpFamily::UpgradesOpen | HttpFamily::UpgradeDurations => self.upgrades.len(),
        }
    }
}

/// `method="GET",route="…"`, then `status="200"` (for a status key) and the request label,
/// escaped, under the names the [`Naming`](crate::Naming) gives them.
fn series_labels(settings: &Settings, id: &SeriesId<'_>) -> String {
    let mut out = route_labels(settings, id);
    let names = &settings.labels;
    if id.key != 0 {
        out.push(',');
        out.push_str(&names.status);
        out.push_str("=\"");
        out.push_str(super::view::status_value(settings.status, id.key));
        out.push('"');
    }
    if let Some(request) = &settings.request_label {
        out.push(',');
        out.push_str(&request.name);
        out.push_str("=\"");
        escape_into(request.value(id.label), &mut out);
        out.push('"');
    }
    out
}

/// `method="GET",route="…"`.
fn route_labels(settings: &Settings, id: &SeriesId<'_>) -> String {
    let names = &settings.labels;
    let mut out = String::with_capacity(64);
    out.push_str(&names.method);
    out.push_str("=\"");
    out.push_str(id.method.as_str());
    out.push_str("\",");
    out.push_str(&names.route);
    out.push_str("=\"");
    escape_into(id.entry.template(), &mut out);
    out.push('"');
    out
}
