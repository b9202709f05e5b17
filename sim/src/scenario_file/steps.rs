//! The shape of a `[[steps]]` entry, checked on the document before serde reads
//! it: exactly one of `at_ms` (a time), `after` or `when` (an event), and
//! `delay_ms` only with an event. Plain serde would take the first it finds.

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::error::{Mistake, ScenarioError};
use super::Cx;

/// The keys that say when a step happens.
pub(crate) const ANCHOR_KEYS: [&str; 3] = ["at_ms", "after", "when"];

/// The step tables of `[[steps]]`, in file order (anything else is serde's to report).
pub(crate) fn tables<'d, 'i>(root: &'d Spanned<DeTable<'i>>) -> Vec<(usize, &'d DeTable<'i>)> {
    let Some(DeValue::Array(a)) = root.get_ref().get("steps").map(Spanned::get_ref) else {
        return Vec::new();
    };
    a.iter()
        .enumerate()
        .filter_map(|(i, v)| v.get_ref().as_table().map(|t| (i, t)))
        .collect()
}

/// Whether step table `t` is anchored on an event (`after`/`when`) rather than a time.
pub(crate) fn is_anchored(t: &DeTable<'_>) -> bool {
    !t.contains_key("at_ms") && (t.contains_key("after") || t.contains_key("when"))
}

pub(crate) fn shape(cx: &Cx<'_>, root: &Spanned<DeTable<'_>>) -> Result<(), ScenarioError> {
    let Some(list) = root.get_ref().get("steps") else {
        return Ok(());
    };
    let DeValue::Array(items) = list.get_ref() else {
        return Ok(());
    };
    for (i, item) in items.iter().enumerate() {
        let Some(t) = item.get_ref().as_table() else {
            continue;
        };
        let mut given: Vec<_> = t
            .iter()
            .filter(|(k, _)| ANCHOR_KEYS.contains(&k.get_ref().as_ref()))
            .collect();
        given.sort_by_key(|(k, _)| k.span().start);
        // serde lets a unit variant (`do = "shutdown"`) ignore other keys.
        if t.get("do").and_then(|d| d.get_ref().as_str()) == Some("shutdown") {
            const OWN: [&str; 5] = ["at_ms", "after", "when", "delay_ms", "do"];
            if let Some((k, _)) = t.iter().find(|(k, _)| !OWN.contains(&k.get_ref().as_ref())) {
                return Err(cx.error(
                    k.span(),
                    Mistake::UnknownKey,
                    format!("unknown key `{}` in `steps[{i}]`", k.get_ref()),
                    "`do = \"shutdown\"` takes no keys of its own: it shuts the server down \
                     (keys: `at_ms` or `after`/`when` with optional `delay_ms`)",
                ));
            }
        }
        match given.as_slice() {
            [] => {
                return Err(cx.error(
                    item.span(),
                    Mistake::MissingKey,
                    format!("`steps[{i}]` says neither when nor after what it happens"),
                    "add `at_ms = 5000` (simulated time), `after = { agent = \"a1\", event = \"heartbeat\", nth = 3 }` \
                     or `when = { agent = \"a1\", event = \"push_write\", nth = 2 }`",
                ))
            }
            [(first, _), (second, _), ..] => {
                return Err(cx.error(
                    second.span(),
                    Mistake::Impossible,
                    format!(
                        "`steps[{i}]` has both `{}` and `{}`",
                        first.get_ref(),
                        second.get_ref()
                    ),
                    "anchor a step either in time (`at_ms`) or on one event (`after` or `when`): keep one",
                ))
            }
            [(k, _)] if k.get_ref().as_ref() == "at_ms" => {
                if let Some((d, _)) = t.get_key_value("delay_ms") {
                    return Err(cx.error(
                        d.span(),
                        Mistake::Impossible,
                        format!("`delay_ms` in `steps[{i}]`, which is anchored at a time"),
                        "`delay_ms` counts from an event (`after`/`when`); with `at_ms`, add the delay to `at_ms`",
                    ));
                }
            }
            [_] => {}
        }
    }
    Ok(())
}
