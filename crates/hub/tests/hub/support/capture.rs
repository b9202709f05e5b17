//! Records the hub's `tracing` events per test thread and checks each against the
//! documented schema (`wsrace_hub::events::EVENTS`).
//!
//! One global subscriber for the whole binary; every `#[tokio::test]` runs on its own
//! thread with a current-thread runtime, so a thread-local log is a per-test log.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::sync::Once;
use std::time::Duration;

use tokio::sync::Notify;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use wsrace_hub::events::{EVENTS, TARGET};

/// One recorded hub event.
#[derive(Clone, Debug)]
pub struct HubEvent {
    pub name: String,
    pub fields: Vec<(String, String)>,
}

impl HubEvent {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }

    pub fn is(&self, name: &str) -> bool {
        self.name == name
    }

    /// `name` with every `(field, value)` pair in `want`.
    pub fn matches(&self, name: &str, want: &[(&str, &str)]) -> bool {
        self.is(name) && want.iter().all(|(k, v)| self.get(k) == Some(*v))
    }
}

impl fmt::Display for HubEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        for (k, v) in &self.fields {
            write!(f, " {k}={v}")?;
        }
        Ok(())
    }
}

thread_local! {
    static LOG: RefCell<Vec<HubEvent>> = const { RefCell::new(Vec::new()) };
    static SCHEMA_ERRORS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    static CHANGED: Rc<Notify> = Rc::new(Notify::new());
}

static INSTALL: Once = Once::new();

/// Installs the recorder (once per binary) and clears this thread's log.
pub fn start() {
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(Recorder).expect("no other global subscriber");
    });
    LOG.with(|l| l.borrow_mut().clear());
    SCHEMA_ERRORS.with(|l| l.borrow_mut().clear());
}

/// Everything recorded on this thread so far.
pub fn events() -> Vec<HubEvent> {
    LOG.with(|l| l.borrow().clone())
}

/// Events named `name` having all of `want`.
pub fn find(name: &str, want: &[(&str, &str)]) -> Vec<HubEvent> {
    events()
        .into_iter()
        .filter(|e| e.matches(name, want))
        .collect()
}

/// The log, one event per line, for failure messages.
pub fn dump() -> String {
    events().iter().map(|e| format!("  {e}\n")).collect()
}

/// Panics if any recorded event broke the schema.
pub fn assert_schema() {
    let errors = SCHEMA_ERRORS.with(|l| l.borrow().clone());
    assert!(
        errors.is_empty(),
        "events off the documented schema:\n{}",
        errors.join("\n")
    );
}

/// Waits (in simulated time, up to an hour) until an event named `name` with all of
/// `want` has been recorded, and returns it.
pub async fn wait_for(name: &str, want: &[(&str, &str)]) -> HubEvent {
    let notify = CHANGED.with(Rc::clone);
    let wait = async {
        loop {
            let changed = notify.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Some(e) = find(name, want).into_iter().next() {
                return e;
            }
            changed.await;
        }
    };
    match tokio::time::timeout(Duration::from_secs(3600), wait).await {
        Ok(e) => e,
        Err(_) => panic!(
            "no `{name}` event with {want:?} within an hour; got:\n{}",
            dump()
        ),
    }
}

struct Recorder;

impl Subscriber for Recorder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == TARGET
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(Vec::new());
        event.record(&mut fields);
        let mut fields = fields.0;
        let name = match fields.first() {
            Some((k, v)) if k == "event" => v.clone(),
            _ => {
                SCHEMA_ERRORS.with(|l| {
                    l.borrow_mut()
                        .push(format!("no leading `event` field: {fields:?}"))
                });
                return;
            }
        };
        fields.remove(0);
        let level = event.metadata().level().as_str().to_ascii_lowercase();
        match EVENTS.iter().find(|s| s.name == name) {
            None => {
                SCHEMA_ERRORS.with(|l| l.borrow_mut().push(format!("undocumented event `{name}`")))
            }
            Some(spec) => {
                let got: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
                if got != spec.fields || level != spec.level {
                    SCHEMA_ERRORS.with(|l| {
                        l.borrow_mut().push(format!(
                            "`{name}`: fields {got:?} at {level}, documented {:?} at {}",
                            spec.fields, spec.level
                        ))
                    });
                }
            }
        }
        LOG.with(|l| l.borrow_mut().push(HubEvent { name, fields }));
        CHANGED.with(|n| n.notify_waiters());
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
}
