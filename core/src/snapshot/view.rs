//! How a [`Snapshot`](super::Snapshot) hands out its families: views over the HTTP read
//! and over the model's families alike, so that an encoder need not tell them apart.

use std::borrow::Cow;

use super::http::{HttpRead, SeriesId};
use crate::http::cell::DurationCell;
use crate::http::families::HttpFamily;
use crate::http::settings::Settings;
use crate::model::{
    Exemplar, Family, Histogram, Kind, NativeHistogram, Number, Series, Summary, Value,
};
use crate::{Buckets, StatusLabel};

/// One family of a snapshot.
#[derive(Clone, Copy, Debug)]
pub struct FamilyRef<'s>(pub(crate) FamilyInner<'s>);

#[derive(Clone, Copy, Debug)]
pub(crate) enum FamilyInner<'s> {
    Owned(&'s Family),
    Http(&'s HttpRead<'s>, HttpFamily),
}

impl<'s> FamilyRef<'s> {
    /// The family's name, as OpenMetrics' `# TYPE` line has it: a counter's without
    /// `_total`, the unit's suffix included.
    pub fn name(&self) -> &'s str {
        match self.0 {
            FamilyInner::Owned(family) => &family.name,
            FamilyInner::Http(read, family) => read.families.describe(family).0,
        }
    }

    /// The help text, unescaped.
    pub fn help(&self) -> &'s str {
        match self.0 {
            FamilyInner::Owned(family) => &family.help,
            FamilyInner::Http(read, family) => read.families.describe(family).1,
        }
    }

    /// The unit, or `""`.
    pub fn unit(&self) -> &'s str {
        match self.0 {
            FamilyInner::Owned(family) => &family.unit,
            FamilyInner::Http(read, family) => read.families.describe(family).2,
        }
    }

    /// The family's kind.
    pub fn kind(&self) -> Kind {
        match self.0 {
            FamilyInner::Owned(family) => family.kind,
            FamilyInner::Http(read, family) => read.families.describe(family).3,
        }
    }

    /// The family's series, in the order every format writes them.
    pub fn series(&self) -> SeriesIter<'s> {
        SeriesIter(match self.0 {
            FamilyInner::Owned(family) => {
                SeriesIterInner::Owned(family.series.iter(), family.registry_labels)
            }
            FamilyInner::Http(read, family) => SeriesIterInner::Http(read, family, 0),
        })
    }
}

/// The series of a [`FamilyRef`].
#[derive(Debug)]
pub struct SeriesIter<'s>(SeriesIterInner<'s>);

#[derive(Debug)]
enum SeriesIterInner<'s> {
    Owned(std::slice::Iter<'s, Series>, usize),
    Http(&'s HttpRead<'s>, HttpFamily, usize),
}

impl<'s> Iterator for SeriesIter<'s> {
    type Item = SeriesRef<'s>;

    fn next(&mut self) -> Option<SeriesRef<'s>> {
        match &mut self.0 {
            SeriesIterInner::Owned(series, registry) => series
                .next()
                .map(|s| SeriesRef(SeriesInner::Owned(s, *registry))),
            SeriesIterInner::Http(read, family, next) => {
                while *next < read.len(*family) {
                    let i = *next;
                    *next += 1;
                    if read.shows(*family, i) {
                        return Some(SeriesRef(SeriesInner::Http(read, *family, i)));
                    }
                }
                None
            }
        }
    }
}

/// One series of a snapshot: its labels and its value.
#[derive(Clone, Copy, Debug)]
pub struct SeriesRef<'s>(pub(crate) SeriesInner<'s>);

#[derive(Clone, Copy, Debug)]
pub(crate) enum SeriesInner<'s> {
    /// A model series, and how many of its leading labels are its registry's.
    Owned(&'s Series, usize),
    /// Entry `i` of an HTTP family's read.
    Http(&'s HttpRead<'s>, HttpFamily, usize),
}

impl<'s> SeriesRef<'s> {
    /// The series' labels, in the order they are written.
    pub fn labels(&self) -> LabelsRef<'s> {
        LabelsRef(match self.0 {
            SeriesInner::Owned(series, _) => LabelsInner::Owned(&series.labels),
            SeriesInner::Http(read, family, i) => {
                let (id, status) = match family {
                    HttpFamily::InFlight => (Some(read.in_flight[i].id), false),
                    HttpFamily::UpgradesOpen | HttpFamily::UpgradeDurations => {
                        (Some(read.upgrades[i].id), false)
                    }
                    _ => (read.reads[i].id, true),
                };
                let request = status || family == HttpFamily::InFlight;
                LabelsInner::Http {
                    consts: &read.families.const_labels,
                    settings: read.settings,
                    id,
                    request: request && read.settings.request_label.is_some(),
                }
            }
        })
    }

    /// The series' value.
    pub fn value(&self) -> ValueRef<'s> {
        match self.0 {
            SeriesInner::Owned(series, _) => owned_value(&series.value),
            SeriesInner::Http(read, family, i) => http_value(read, family, i),
        }
    }

    /// When the series started counting (a counter, histogram or summary), in seconds since
    /// the epoch: its start timestamp, when known.
    pub fn created(&self) -> Option<f64> {
        match self.0 {
            SeriesInner::Owned(series, _) => series.created,
            SeriesInner::Http(read, family, i) => match family {
                HttpFamily::InFlight | HttpFamily::UpgradesOpen | HttpFamily::UpgradeDurations => {
                    None
                }
                _ => Some(read.reads[i].cell.created()),
            },
        }
    }

    /// The labels' text as the text formats write them, when the snapshot rendered it (the
    /// HTTP series), without the constant labels.
    pub(crate) fn rendered(&self) -> Option<&'s str> {
        match self.0 {
            SeriesInner::Owned(..) => None,
            SeriesInner::Http(read, family, i) => Some(match family {
                HttpFamily::InFlight => read.in_flight[i].labels,
                HttpFamily::UpgradesOpen | HttpFamily::UpgradeDurations => &read.upgrades[i].labels,
                _ => read.reads[i].labels,
            }),
        }
    }

    /// How many leading labels are the registry's constant labels, which a histogram's
    /// `le` follows in the text formats.
    pub(crate) fn registry_labels(&self) -> usize {
        match self.0 {
            SeriesInner::Owned(_, n) => n,
            SeriesInner::Http(read, ..) => read.families.const_labels.len(),
        }
    }
}

fn owned_value(value: &Value) -> ValueRef<'_> {
    match value {
        Value::Counter(total, exemplar) => {
            ValueRef::Counter(*total, exemplar.as_ref().map(ExemplarRef::owned))
        }
        Value::Gauge(n) => ValueRef::Gauge(*n),
        Value::Histogram(h) => ValueRef::Histogram(HistogramRef(HistogramInner::Owned(h))),
        Value::Summary(s) => ValueRef::Summary(s),
        Value::Info => ValueRef::Info,
    }
}

fn http_value<'s>(read: &'s HttpRead<'s>, family: HttpFamily, i: usize) -> ValueRef<'s> {
    let settings = read.settings;
    let native = |which: usize| read.native.get(i).and_then(|n| n[which].as_ref());
    let histogram = |bounds: &'s Buckets, (values, count): (&'s [u64], u64), cell, native| {
        ValueRef::Histogram(HistogramRef(HistogramInner::Http {
            bounds,
            values,
            count,
            cell,
            native,
            classic: !bounds.as_slice().is_empty() || native.is_none(),
        }))
    };
    match family {
        HttpFamily::Requests => {
            let r = &read.reads[i];
            ValueRef::Counter(Number::UInt(r.count), cell_exemplar(r.cell, None))
        }
        HttpFamily::Duration(which) => {
            let cell = (which == 0).then_some(read.reads[i].cell);
            histogram(
                &settings.buckets,
                read.duration(i, which),
                cell,
                native(which),
            )
        }
        HttpFamily::Size(which) => {
            let bounds = settings.sizes.as_ref().expect("body sizes are on");
            histogram(bounds, read.size(i, which), None, None)
        }
        HttpFamily::InFlight => ValueRef::Gauge(Number::Int(read.in_flight[i].value)),
        HttpFamily::UpgradesOpen => ValueRef::Gauge(Number::Int(read.upgrades[i].open)),
        HttpFamily::UpgradeDurations => {
            let bounds = settings.upgrades.as_ref().expect("upgrades are tracked");
            let count = read.upgrades[i].count;
            histogram(bounds, (read.lifetimes(i), count), None, None)
        }
    }
}

/// A series' labels.
#[derive(Clone, Copy, Debug)]
pub struct LabelsRef<'s>(LabelsInner<'s>);

#[derive(Clone, Copy, Debug)]
enum LabelsInner<'s> {
    Owned(&'s [(String, String)]),
    Http {
        consts: &'s [(String, String)],
        settings: &'s Settings,
        /// `None`: the overflow series.
        id: Option<SeriesId<'s>>,
        /// Whether the request label is among them.
        request: bool,
    },
}

impl<'s> LabelsRef<'s> {
    /// `(name, value)` of each label, in the order they are written.
    pub fn iter(&self) -> impl Iterator<Item = (&'s str, &'s str)> + 's {
        let (owned, consts, http) = match self.0 {
            LabelsInner::Owned(labels) => (labels, &[][..], None),
            LabelsInner::Http {
                consts,
                settings,
                id,
                request,
            } => (&[][..], consts, Some((settings, id, request))),
        };
        let pairs = owned
            .iter()
            .chain(consts)
            .map(|(n, v)| (n.as_str(), v.as_str()));
        pairs.chain(
            http.into_iter()
                .flat_map(|(settings, id, request)| http_labels(settings, id, request)),
        )
    }

    /// How many labels there are.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

/// An HTTP series' own labels: method, route, status and request label, or the overflow's.
fn http_labels<'s>(
    settings: &'s Settings,
    id: Option<SeriesId<'s>>,
    request: bool,
) -> impl Iterator<Item = (&'s str, &'s str)> {
    let names = &settings.labels;
    let mut out: [Option<(&'s str, &'s str)>; 4] = [None; 4];
    match id {
        None => out[0] = Some(("otel_metric_overflow", "true")),
        Some(id) => {
            out[0] = Some((&names.method, id.method.as_str()));
            out[1] = Some((&names.route, id.entry.template()));
            if id.key != 0 {
                out[2] = Some((&names.status, status_value(settings.status, id.key)));
            }
            if let (true, Some(label)) = (request, &settings.request_label) {
                out[3] = Some((&label.name, label.value(id.label)));
            }
        }
    }
    out.into_iter().flatten()
}

/// `status`'s value for status key `key` (100..=999): the code, or its class.
pub(crate) fn status_value(mode: StatusLabel, key: u16) -> &'static str {
    const CODES: [u8; 2700] = {
        let mut out = [0u8; 2700];
        let mut i = 0;
        while i < 900 {
            let code = i + 100;
            out[3 * i] = b'0' + (code / 100) as u8;
            out[3 * i + 1] = b'0' + (code / 10 % 10) as u8;
            out[3 * i + 2] = b'0' + (code % 10) as u8;
            i += 1;
        }
        out
    };
    const CLASSES: [&str; 9] = [
        "1xx", "2xx", "3xx", "4xx", "5xx", "6xx", "7xx", "8xx", "9xx",
    ];
    let key = usize::from(key.clamp(100, 999));
    match mode {
        StatusLabel::Code => {
            let at = 3 * (key - 100);
            std::str::from_utf8(&CODES[at..at + 3]).expect("ASCII digits")
        }
        StatusLabel::Class => CLASSES[key / 100 - 1],
    }
}

/// A series' value.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum ValueRef<'s> {
    /// A counter's total, and its exemplar.
    Counter(Number, Option<ExemplarRef<'s>>),
    /// A gauge's (or an untyped metric's) value.
    Gauge(Number),
    /// A histogram.
    Histogram(HistogramRef<'s>),
    /// A summary.
    Summary(&'s Summary),
    /// An info metric: its labels are the information, its value 1.
    Info,
}

/// A histogram of a snapshot.
#[derive(Clone, Copy, Debug)]
pub struct HistogramRef<'s>(pub(crate) HistogramInner<'s>);

#[derive(Clone, Copy, Debug)]
pub(crate) enum HistogramInner<'s> {
    Owned(&'s Histogram),
    /// An HTTP histogram: `values` is its sum in the recorded unit, then each bucket's own
    /// count; `cell` keeps its exemplars, when they are shown.
    Http {
        bounds: &'s Buckets,
        values: &'s [u64],
        count: u64,
        cell: Option<&'s DurationCell>,
        native: Option<&'s NativeHistogram>,
        /// Whether its classic buckets are shown (not for a native-only histogram read
        /// with its native buckets).
        classic: bool,
    },
}

impl<'s> HistogramRef<'s> {
    /// The sum of the observations.
    pub fn sum(&self) -> f64 {
        match self.0 {
            HistogramInner::Owned(h) => h.sum,
            HistogramInner::Http { bounds, values, .. } => bounds.to_unit(values[0]),
        }
    }

    /// The number of observations (with native buckets, theirs).
    pub fn count(&self) -> u64 {
        match self.0 {
            HistogramInner::Owned(h) => h.count,
            HistogramInner::Http { native, count, .. } => {
                native.map_or(count, NativeHistogram::count)
            }
        }
    }

    /// The classic buckets, cumulative, `+Inf` last.
    pub fn buckets(&self) -> impl Iterator<Item = BucketRef<'s>> + 's {
        let (owned, http) = match self.0 {
            HistogramInner::Owned(h) => (h.buckets.as_slice(), None),
            HistogramInner::Http {
                bounds,
                values,
                cell,
                classic,
                ..
            } => (&[][..], classic.then_some((bounds, &values[1..], cell))),
        };
        let owned = owned.iter().map(|b| BucketRef {
            upper_bound: b.upper_bound,
            count: b.count,
            exemplar: b.exemplar.as_ref().map(ExemplarRef::owned),
        });
        let http = http.into_iter().flat_map(|(bounds, counts, cell)| {
            let mut cumulative = 0;
            counts.iter().enumerate().map(move |(i, n)| {
                cumulative += n;
                BucketRef {
                    upper_bound: bounds.as_slice().get(i).copied().unwrap_or(f64::INFINITY),
                    count: cumulative,
                    exemplar: cell.and_then(|cell| cell_exemplar(cell, Some(i))),
                }
            })
        });
        owned.chain(http)
    }

    /// The native buckets, when the histogram has them and the snapshot read them.
    pub fn native(&self) -> Option<&'s NativeHistogram> {
        match self.0 {
            HistogramInner::Owned(h) => h.native.as_ref(),
            HistogramInner::Http { native, .. } => native,
        }
    }
}

/// One classic bucket of a [`HistogramRef`].
#[derive(Clone, Copy, Debug)]
pub struct BucketRef<'s> {
    /// The upper bound (`f64::INFINITY` for `+Inf`).
    pub upper_bound: f64,
    /// The observations at or below it.
    pub count: u64,
    /// Its exemplar.
    pub exemplar: Option<ExemplarRef<'s>>,
}

/// An exemplar of a snapshot.
#[derive(Clone, Copy, Debug)]
pub struct ExemplarRef<'s>(pub(crate) ExemplarInner<'s>);

#[derive(Clone, Copy, Debug)]
pub(crate) enum ExemplarInner<'s> {
    Owned(&'s Exemplar),
    /// An HTTP series' trace: on a bucket (the request's duration), or on the counter
    /// (`None`: the increment, 1).
    #[cfg(feature = "exemplars")]
    Trace(crate::http::exemplar::Stored, Option<f64>),
    #[cfg(not(feature = "exemplars"))]
    #[allow(dead_code)]
    Never(std::marker::PhantomData<&'s ()>),
}

impl<'s> ExemplarRef<'s> {
    fn owned(exemplar: &'s Exemplar) -> Self {
        Self(ExemplarInner::Owned(exemplar))
    }

    /// The observed value.
    pub fn value(&self) -> f64 {
        match self.0 {
            ExemplarInner::Owned(e) => e.value,
            #[cfg(feature = "exemplars")]
            ExemplarInner::Trace(_, value) => value.unwrap_or(1.0),
            #[cfg(not(feature = "exemplars"))]
            ExemplarInner::Never(_) => 0.0,
        }
    }

    /// When it was observed, in seconds since the epoch.
    pub fn timestamp(&self) -> Option<f64> {
        match self.0 {
            ExemplarInner::Owned(e) => e.timestamp,
            #[cfg(feature = "exemplars")]
            ExemplarInner::Trace(stored, _) => Some(stored.timestamp),
            #[cfg(not(feature = "exemplars"))]
            ExemplarInner::Never(_) => None,
        }
    }

    /// Its labels, `(name, value)`: a trace's are `trace_id` and `span_id`, in lower-case
    /// hex.
    pub fn labels(&self) -> Vec<(Cow<'s, str>, Cow<'s, str>)> {
        match self.0 {
            ExemplarInner::Owned(e) => e
                .labels
                .iter()
                .map(|(n, v)| (Cow::Borrowed(n.as_str()), Cow::Borrowed(v.as_str())))
                .collect(),
            #[cfg(feature = "exemplars")]
            ExemplarInner::Trace(stored, _) => {
                let hex = |bytes: &[u8]| {
                    let mut out = String::with_capacity(2 * bytes.len());
                    crate::http::exemplar::push_hex(bytes, &mut out);
                    Cow::Owned(out)
                };
                vec![
                    ("trace_id".into(), hex(&stored.trace.trace_id)),
                    ("span_id".into(), hex(&stored.trace.span_id)),
                ]
            }
            #[cfg(not(feature = "exemplars"))]
            ExemplarInner::Never(_) => Vec::new(),
        }
    }

    /// Whether this is a request counter's exemplar, whose value the text formats write as
    /// the integer `1`.
    pub(crate) fn is_increment(&self) -> bool {
        #[cfg(feature = "exemplars")]
        if let ExemplarInner::Trace(_, None) = self.0 {
            return true;
        }
        false
    }
}

/// The exemplar `cell` keeps for `bucket` (or for the counter, `None`).
fn cell_exemplar(cell: &DurationCell, bucket: Option<usize>) -> Option<ExemplarRef<'_>> {
    #[cfg(feature = "exemplars")]
    {
        let stored = cell.exemplars()?.stored(bucket)?;
        let value = bucket.map(|_| stored.seconds);
        Some(ExemplarRef(ExemplarInner::Trace(stored, value)))
    }
    #[cfg(not(feature = "exemplars"))]
    {
        let _ = (cell, bucket);
        None
    }
}

/// The exemplars of every bucket of `cell`, as a native-only histogram carries them.
#[cfg(feature = "native-histograms")]
pub(crate) fn cell_exemplars(cell: &DurationCell, settings: &Settings) -> Vec<Exemplar> {
    (0..settings.buckets.len_with_inf())
        .filter_map(|i| cell_exemplar(cell, Some(i)))
        .map(|e| Exemplar {
            labels: e
                .labels()
                .into_iter()
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect(),
            value: e.value(),
            timestamp: e.timestamp(),
        })
        .collect()
}
