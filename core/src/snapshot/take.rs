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
        let http_at = owned
            .iter()
            .position(|f| f.name.ends_with(MARKER))
            .unwrap_or(0);
        if http_at < owned.len() && owned[http_at].name.ends_with(MARKER) {
            owned.remove(http_at);
        }
        let registry = owned.len();
        owned.extend(summaries);
        let mut snapshot = Snapshot {
            http,
            owned,
            http_at,
        };
        let mut written = written_names(&snapshot);
        snapshot.keep_unique(inner, &mut written, 0, registry, |_| "registry");
        let mut at = snapshot.owned.len();
        for (name, families) in collected {
            snapshot.owned.extend(families);
            let end = snapshot.owned.len();
            snapshot.keep_unique(inner, &mut written, at, end, |_| name.as_str());
            at = snapshot.owned.len();
        }
        Ok(snapshot)
    }
}

/// Runs every collector at once, against one deadline: slow collectors do not add up.
fn collect(inner: &Inner, native: bool) -> Vec<(String, Vec<Family>)> {
    let collectors = inner.collectors.read().unwrap_or_else(|e| e.into_inner());
    let pending: Vec<_> = collectors.iter().map(|c| c.start(native)).collect();
    // A timeout too large to add (`Duration::MAX` for "no timeout") waits without one.
    let deadline = std::time::Instant::now().checked_add(inner.scrape.collector_timeout);
    collectors
        .iter()
        .zip(pending)
        .filter_map(|(collector, pending)| {
            let families = collector.finish(pending, deadline, &inner.failures)?;
            Some((collector.name().to_owned(), families))
        })
        .collect()
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
    /// it for the collector `source` names; adds the names of the others to `written`.
    fn keep_unique<'n>(
        &mut self,
        inner: &Inner,
        written: &mut HashSet<String>,
        from: usize,
        to: usize,
        source: impl Fn(&Family) -> &'n str,
    ) {
        let mut i = from;
        let mut end = to;
        while i < end {
            let family = &self.owned[i];
            let family_names = names(&family.name, family.kind);
            match family_names.iter().find(|n| written.contains(*n)) {
                Some(clash) => {
                    let source = source(family);
                    inner.log_once(format!(
                        "left out the family {:?} of {source}: the name {clash:?} is another family's",
                        family.name
                    ));
                    count_failure(&inner.failures, source, "clash");
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
