//! The trace: one line per event, in emission order, with simulated time, host,
//! source, name and fields; a stable text form and its FNV-1a hash.
//!
//! A `tracing` layer collects the server's events (targets `wsrace_hub`,
//! `wsrace_zoo`: each has an `event` field naming it) and the harness's own
//! (`wsrace_sim::agent`, `::chaos`, `::fault`, `::sim`). It also names writers:
//! a span called `task` with fields `conn` and `role` labels every write made
//! inside it `"<server> conn#<conn> <role>"` (`hub conn#3 writer`), which the
//! chaos transport asks for through `writer_label`. Raw tokio task ids never
//! appear: they come from a process-wide counter and differ between runs.

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::{LookupSpan, Registry};

use crate::record::TraceEvent;
use crate::rng::fnv1a64;
use crate::tap::Recorder;

/// Emits a harness event: `sim_event!("agent", "agent.connected", agent = "a1")`.
macro_rules! sim_event {
    ($src:literal, $name:literal $(, $($fields:tt)*)?) => {
        ::tracing::info!(target: concat!("wsrace_sim::", $src), event = $name $(, $($fields)*)?)
    };
}
pub(crate) use sim_event;

#[derive(Default)]
pub(crate) struct Collected {
    pub events: Vec<TraceEvent>,
    /// Time for events from the driver, which runs outside any host.
    pub driver_now: Duration,
    /// Set once the run has ended: drops during teardown add nothing.
    pub frozen: bool,
}

/// The layer; one per run, installed with `tracing::subscriber::with_default`.
pub(crate) struct SimLayer {
    pub out: Arc<Mutex<Collected>>,
    pub rec: Recorder,
}

struct HostName(String);
struct WriterLabel(String);

/// The label of the writer running now: the nearest enclosing `task` span, or
/// `server` when the server does not instrument its tasks.
pub(crate) fn writer_label() -> String {
    tracing::dispatcher::get_default(|d| {
        let current = d.current_span();
        let id = current.id()?;
        let registry = d.downcast_ref::<Registry>()?;
        let span = registry.span(id)?;
        span.scope()
            .find_map(|s| s.extensions().get::<WriterLabel>().map(|l| l.0.clone()))
    })
    .unwrap_or_else(|| "server".to_owned())
}

fn wanted(meta: &Metadata<'_>) -> bool {
    meta.target().starts_with("wsrace")
        || (meta.is_span() && matches!(meta.name(), "node" | "task"))
}

/// `wsrace_hub::conn` -> `hub`; `wsrace_sim::agent` -> `agent`; `my_server` -> `my_server`.
fn source_of(target: &str) -> &str {
    if let Some(rest) = target.strip_prefix("wsrace_sim::") {
        return rest.split("::").next().unwrap_or(rest);
    }
    let krate = target.split("::").next().unwrap_or(target);
    krate.strip_prefix("wsrace_").unwrap_or(krate)
}

#[derive(Default)]
struct Fields {
    event: Option<String>,
    list: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, f: &Field, v: &str) {
        if f.name() == "event" {
            self.event = Some(v.to_owned());
        } else {
            self.list.push((f.name().to_owned(), v.to_owned()));
        }
    }
    fn record_debug(&mut self, f: &Field, v: &dyn fmt::Debug) {
        self.list.push((f.name().to_owned(), format!("{v:?}")));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for SimLayer {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        // Everything else (turmoil's per-segment TRACE events with hex payloads,
        // tungstenite's logs) costs nothing once it is `never`.
        if wanted(meta) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let meta = attrs.metadata();
        let mut f = Fields::default();
        attrs.record(&mut f);
        let get = |k: &str| f.list.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let Some(span) = ctx.span(id) else { return };
        if meta.name() == "node" && meta.target() == "turmoil::sim" {
            if let Some(name) = get("name") {
                span.extensions_mut().insert(HostName(name));
            }
        } else if meta.name() == "task" {
            let conn = get("conn").unwrap_or_else(|| "?".to_owned());
            let role = get("role").unwrap_or_else(|| "task".to_owned());
            let label = format!("{} conn#{conn} {role}", source_of(meta.target()));
            span.extensions_mut().insert(WriterLabel(label));
        }
    }

    fn on_event(&self, ev: &Event<'_>, ctx: Context<'_, S>) {
        let meta = ev.metadata();
        if !meta.target().starts_with("wsrace") {
            return;
        }
        let mut f = Fields::default();
        ev.record(&mut f);
        let Some(name) = f.event else { return };
        let source = source_of(meta.target()).to_owned();
        if name == "conn.accepted" && source != "agent" {
            let get = |k: &str| f.list.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            if let (Some(conn), Some(peer)) =
                (get("conn").and_then(|c| c.parse().ok()), get("peer"))
            {
                self.rec.note_server_conn(peer, conn);
            }
        }
        // The server's pending work, for the driver's quiescence check.
        if source == "hub" {
            let conn = f.list.iter().find(|(n, _)| n == "conn");
            if let Some(conn) = conn.and_then(|(_, v)| v.parse().ok()) {
                self.rec.server_event(&name, conn);
            }
        }
        let host = ctx.event_scope(ev).and_then(|scope| {
            scope
                .from_root()
                .find_map(|s| s.extensions().get::<HostName>().map(|h| h.0.clone()))
        });
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        if out.frozen {
            return;
        }
        let at = turmoil::sim_elapsed().unwrap_or(out.driver_now);
        let seq = out.events.len() as u64;
        out.events.push(TraceEvent {
            seq,
            at,
            host: host.unwrap_or_else(|| "sim".to_owned()),
            source,
            name,
            fields: f.list,
        });
    }
}

/// One event as a trace line: `12.345000 hub hub conn.accepted conn=1 peer=...`.
/// Values with spaces, quotes or `=` are quoted (Rust string syntax).
pub fn line(ev: &TraceEvent) -> String {
    let mut s = String::with_capacity(64);
    let _ = write!(
        s,
        "{}.{:06} {} {} {}",
        ev.at.as_secs(),
        ev.at.subsec_micros(),
        ev.host,
        ev.source,
        ev.name
    );
    for (k, v) in &ev.fields {
        if v.is_empty() || v.contains([' ', '"', '=', '\n', '\t']) {
            let _ = write!(s, " {k}={v:?}");
        } else {
            let _ = write!(s, " {k}={v}");
        }
    }
    s
}

/// The whole trace as text, one line per event, each ending in `\n`.
pub fn text(events: &[TraceEvent]) -> String {
    let mut s = String::new();
    for ev in events {
        s.push_str(&line(ev));
        s.push('\n');
    }
    s
}

/// FNV-1a 64 of the trace text: equal hashes, equal traces.
pub fn hash(text: &str) -> u64 {
    fnv1a64(text.as_bytes())
}

/// The first line where two traces differ, with its number (from 1), for
/// determinism failures.
pub fn first_difference(a: &str, b: &str) -> Option<(usize, String, String)> {
    let (mut la, mut lb) = (a.lines(), b.lines());
    for n in 1.. {
        match (la.next(), lb.next()) {
            (None, None) => return None,
            (x, y) if x == y => continue,
            (x, y) => {
                let show = |l: Option<&str>| l.unwrap_or("<end of trace>").to_owned();
                return Some((n, show(x), show(y)));
            }
        }
    }
    None
}
