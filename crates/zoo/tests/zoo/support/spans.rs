//! A minimal per-thread `tracing` subscriber. It knows which `task` span is
//! entered, so the scripted transport can say which task wrote each chunk (the
//! simulation's trace layer does the same with `tracing-subscriber`), and it
//! checks every `wsrace_hub` event against the hub's documented schema. Each
//! `#[tokio::test]` runs on its own thread, so thread-locals are per test.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

thread_local! {
    /// `task` span id -> `"<target> conn#<conn> <role>"`.
    static LABELS: RefCell<BTreeMap<u64, String>> = const { RefCell::new(BTreeMap::new()) };
    /// Entered spans, innermost last.
    static STACK: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    /// Events off the hub's schema.
    static SCHEMA_ERRORS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// Names of the hub events seen, in order.
    static EVENTS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Panics if any `wsrace_hub` event broke the schema; returns the event names.
pub fn assert_schema() -> Vec<String> {
    let errors = SCHEMA_ERRORS.with(|e| e.borrow().clone());
    assert!(
        errors.is_empty(),
        "events off the schema:\n{}",
        errors.join("\n")
    );
    EVENTS.with(|e| e.borrow().clone())
}

struct Spans {
    next: AtomicU64,
}

/// Installs the subscriber on this thread until the guard drops, with an empty
/// event log.
pub fn install() -> tracing::subscriber::DefaultGuard {
    SCHEMA_ERRORS.with(|e| e.borrow_mut().clear());
    EVENTS.with(|e| e.borrow_mut().clear());
    tracing::subscriber::set_default(Spans {
        next: AtomicU64::new(1),
    })
}

/// The label of the innermost entered `task` span (`wsrace_zoo conn#1
/// writeLoop`), or `-` outside any.
pub fn current_role() -> String {
    let labels = LABELS.with(|l| l.borrow().clone());
    STACK
        .with(|s| {
            s.borrow()
                .iter()
                .rev()
                .find_map(|id| labels.get(id).cloned())
        })
        .unwrap_or_else(|| "-".to_owned())
}

struct Fields(BTreeMap<String, String>);

/// Field names and values in the order they were recorded.
struct Ordered(Vec<(String, String)>);

impl Visit for Ordered {
    fn record_debug(&mut self, f: &Field, v: &dyn fmt::Debug) {
        self.0.push((f.name().to_owned(), format!("{v:?}")));
    }
    fn record_str(&mut self, f: &Field, v: &str) {
        self.0.push((f.name().to_owned(), v.to_owned()));
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, f: &Field, v: &dyn fmt::Debug) {
        self.0.insert(f.name().to_owned(), format!("{v:?}"));
    }
    fn record_str(&mut self, f: &Field, v: &str) {
        self.0.insert(f.name().to_owned(), v.to_owned());
    }
}

impl Subscriber for Spans {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        if attrs.metadata().name() == "task" {
            let mut f = Fields(BTreeMap::new());
            attrs.record(&mut f);
            let get = |k: &str| f.0.get(k).cloned().unwrap_or_default();
            let label = format!(
                "{} conn#{} {}",
                attrs.metadata().target(),
                get("conn"),
                get("role")
            );
            LABELS.with(|l| l.borrow_mut().insert(id, label));
        }
        Id::from_u64(id)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        if meta.target() != wsrace_hub::events::TARGET {
            return;
        }
        let mut f = Ordered(Vec::new());
        event.record(&mut f);
        let Some((_, name)) = f.0.first().filter(|(k, _)| k == "event").cloned() else {
            SCHEMA_ERRORS.with(|e| {
                e.borrow_mut()
                    .push(format!("no leading `event`: {:?}", f.0))
            });
            return;
        };
        let got: Vec<&str> = f.0[1..].iter().map(|(k, _)| k.as_str()).collect();
        let level = meta.level().as_str().to_ascii_lowercase();
        match wsrace_hub::events::EVENTS.iter().find(|s| s.name == name) {
            Some(spec) if spec.fields == got.as_slice() && spec.level == level => {}
            Some(spec) => SCHEMA_ERRORS.with(|e| {
                e.borrow_mut().push(format!(
                    "`{name}`: {got:?} at {level}, documented {:?} at {}",
                    spec.fields, spec.level
                ))
            }),
            None => SCHEMA_ERRORS.with(|e| e.borrow_mut().push(format!("undocumented `{name}`"))),
        }
        EVENTS.with(|e| e.borrow_mut().push(name));
    }

    fn enter(&self, id: &Id) {
        STACK.with(|s| s.borrow_mut().push(id.into_u64()));
    }

    fn exit(&self, id: &Id) {
        STACK.with(|s| {
            let mut s = s.borrow_mut();
            if let Some(i) = s.iter().rposition(|&x| x == id.into_u64()) {
                s.remove(i);
            }
        });
    }
}
