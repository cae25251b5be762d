//! Taking a snapshot: the collectors first (so that a failure among them is counted in the
//! very scrape it happens in), the summaries, the HTTP series, the registry; then the one
//! rule that keeps a scrape whole, that no name is written by two families.

use std::collections::HashSet;

use super::http::HttpRead;
use super::Snapshot;
use crate::base::names;
use crate::model::{self, Family};
use crate::registry::collectors::count_failure;
use crate::registry::metrics::{Inner, MARKER};
use crate::HttpMetrics;

impl HttpMetrics {
    /// Reads every family of the registry once: see [`crate::snapshot`]. Native buckets are
    /// read (when the registry keeps any), as the protobuf format and remote-write carry
    /// them.
    ///
    /// # Errors
    ///
    /// When a metric of prometheus-client's registry fails to encode (its error carries no
    /// detail).
    pub fn snapshot(&self) -> Result<Snapshot<'_>, std::fmt::Error> {
        self.take_snapshot(true)
    }

    /// A snapshot, with native buckets when `native`: the text formats show none.
    pub(crate) fn take_snapshot(&self, native: bool) -> Result<Snapshot<'_>, std::fmt::Error> {
        let inner = &*self.inner;
        // Collectors first, their clashes with the names the registry knows counted before
        // the registry is read: a failure shows in the scrape it happens in.
        let collected = collect(inner, native);
        let summaries = (inner
            .summaries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter())
        .map(|(name, help, family)| family.collect(name, help))
        .collect::<Vec<_>>();
        let routes = inner.recorder.routes();
        let http = HttpRead::read(&inner.families, routes, native, &inner.last_values);
        let mut owned = read_registry(inner, native)?;
        let http_at = owned.iter().position(|f| f.name.ends_with(MARKER));
        if let Some(at) = http_at {
            owned.remove(at);
        }
        let registry = owned.len();
        owned.extend(summaries);
        let mut snapshot = Snapshot {
            http,
            owned,
            http_at: http_at.unwrap_or(0),
        };
        // The families added through `with_registry` are only known now: one that clashes
        // is counted from the next scrape on.
        let mut written = written_names(&snapshot);
        snapshot.keep_unique(inner, &mut written, 0, registry, "registry");
        let summaries_end = snapshot.owned.len();
        snapshot.keep_unique(inner, &mut written, registry, summaries_end, "summaries");
        for (name, families) in collected {
            let from = snapshot.owned.len();
            snapshot.owned.extend(families);
            let to = snapshot.owned.len();
            snapshot.keep_unique(inner, &mut written, from, to, &name);
        }
        Ok(snapshot)
    }
}

/// Runs every collector at once, against one deadline (slow collectors do not add up), and
/// leaves out each family of theirs that would write a name the registry knows another
/// family writes, or an earlier collector's family wrote.
fn collect(inner: &Inner, native: bool) -> Vec<(String, Vec<Family>)> {
    let collectors = inner.collectors.read().unwrap_or_else(|e| e.into_inner());
    let pending: Vec<_> = collectors.iter().map(|c| c.start(native)).collect();
    // A timeout too large to add (`Duration::MAX` for "no timeout") waits without one.
    let deadline = std::time::Instant::now().checked_add(inner.scrape.collector_timeout);
    let mut written = HashSet::new();
    let mut out = Vec::with_capacity(collectors.len());
    for (collector, pending) in collectors.iter().zip(pending) {
        let Some(mut families) = collector.finish(pending, deadline, &inner.failures) else {
            continue;
        };
        families.retain(|family| {
            let names = names(&family.name, family.kind);
            let clash = names.iter().find(|name| {
                let holder = inner.taken.holder(name);
                let foreign = holder.is_some_and(|h| Some(h.as_str()) != collector.family());
                foreign || written.contains(*name)
            });
            match clash {
                Some(clash) => {
                    left_out(inner, family, clash, collector.name());
                    false
                }
                None => {
                    written.extend(names);
                    true
                }
            }
        });
        out.push((collector.name().to_owned(), families));
    }
    out
}

/// Counts and logs (once) a family of `source` left out for writing `clash`.
fn left_out(inner: &Inner, family: &Family, clash: &str, source: &str) {
    inner.log_once(format!(
        "left out the family {:?} of {source}: the name {clash:?} is another family's",
        family.name
    ));
    count_failure(&inner.failures, source, "clash");
}

/// prometheus-client's registry, its families each told how many of their labels are its
/// own, with their native buckets when `native`.
fn read_registry(inner: &Inner, native: bool) -> Result<Vec<Family>, std::fmt::Error> {
    let registry = inner.registry.read().unwrap_or_else(|e| e.into_inner());
    let mut families = model::from_openmetrics(&registry)?;
    if native {
        model::merge_native(&mut families, &registry)?;
    }
    drop(registry);
    for family in &mut families {
        family.registry_labels = inner.registry_labels;
    }
    Ok(families)
}

/// Every name the HTTP families write.
fn written_names(snapshot: &Snapshot<'_>) -> HashSet<String> {
    let mut written = HashSet::new();
    for (name, kind) in snapshot.http.families.names() {
        written.extend(names(name, kind));
    }
    written
}

impl Snapshot<'_> {
    /// Leaves out each of `owned[from..to]` that writes a name already in `written`, counting
    /// it for `source`; adds the names of the others to `written`.
    fn keep_unique(
        &mut self,
        inner: &Inner,
        written: &mut HashSet<String>,
        from: usize,
        to: usize,
        source: &str,
    ) {
        let mut i = from;
        let mut end = to;
        while i < end {
            let family = &self.owned[i];
            let family_names = names(&family.name, family.kind);
            match family_names.iter().find(|n| written.contains(*n)) {
                Some(clash) => {
                    left_out(inner, family, clash, source);
                    self.owned.remove(i);
                    if i < self.http_at {
                        self.http_at -= 1;
                    }
                    end -= 1;
                }
                None => {
                    written.extend(family_names);
                    i += 1;
                }
            }
        }
    }
}
