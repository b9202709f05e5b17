//! Turning toml's parse errors and serde's messages into diagnostics that name
//! the table, point at the key or value, and suggest the nearest known name.
//!
//! serde reports inside tagged enums (agent script steps, world steps) with the
//! span of the whole step table, so the key is found again by name or by value.

use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::error::{suggest, Mistake, ScenarioError};
use super::head::{unknown_key, KEYS};
use super::span::table_around;
use super::Cx;
use crate::scenario::repr::StepRepr;
use crate::scenario::{AgentSpec, AgentStep, WorldAction};

/// Not valid TOML.
pub(crate) fn syntax(cx: &Cx<'_>, e: &toml::de::Error) -> ScenarioError {
    cx.error(
        e.span().unwrap_or(0..0),
        Mistake::Syntax,
        format!("invalid TOML: {}", e.message().trim()),
        "strings need quotes, tables are `[name]`, lists of tables `[[name]]` (https://toml.io)",
    )
}

/// A serde error from deserializing the scenario body.
pub(crate) fn translate(
    cx: &Cx<'_>,
    root: &Spanned<DeTable<'_>>,
    e: &toml::de::Error,
) -> ScenarioError {
    let (e, span) = refine(root, e.clone());
    let msg = e.message().trim();
    let (path, table) = table_around(root, &span);
    let at = Table { path: &path, table };
    let names = backticked(msg);
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let key = names.first().map_or("", String::as_str);
        let mut known: Vec<&str> = if rest.contains("there are no fields") {
            Vec::new()
        } else {
            names[1..].iter().map(String::as_str).collect()
        };
        if path.is_empty() {
            known.extend(KEYS);
        }
        let span = at.key(key).unwrap_or(span);
        return unknown_key(cx, span, key, &path, &known);
    }
    if msg.starts_with("unknown variant ") {
        let value = names.first().map_or("", String::as_str);
        let known: Vec<&str> = names[1..].iter().map(String::as_str).collect();
        let (key, span) = at
            .string_value(value)
            .map_or(("do".to_owned(), span), |(k, s)| (k, s));
        let what = if key == "do" { "step" } else { "value" };
        return cx.error(
            span,
            Mistake::UnknownName,
            format!("unknown {what} `{key} = \"{value}\"` in {}", at.name()),
            suggest(value, &known),
        );
    }
    if msg.starts_with("missing field ") {
        let key = names.first().map_or("", String::as_str);
        let kind = at
            .step_kind()
            .map_or(String::new(), |k| format!(" (a `{k}` step)"));
        let help = if key == "do" {
            format!("say what the step does: {}", do_choices(&path))
        } else {
            format!("add `{key} = ...` (scenarios/README.md lists every key)")
        };
        return cx.error(
            span,
            Mistake::MissingKey,
            format!("missing key `{key}` in {}{kind}", at.name()),
            help,
        );
    }
    if let Some(rest) = msg
        .strip_prefix("invalid type: ")
        .or_else(|| msg.strip_prefix("invalid value: "))
    {
        let (found, expected) = rest.rsplit_once(", expected ").unwrap_or((rest, "?"));
        let (key, span) = at
            .key_of_value(&span, found)
            .unwrap_or(("a value".to_owned(), span));
        let key = if key == "a value" {
            key
        } else {
            format!("`{key}`")
        };
        return cx.error(
            span,
            Mistake::WrongType,
            format!(
                "{key} in {} must be {}, found {found}",
                at.name(),
                expected_words(expected)
            ),
            type_help(found, expected),
        );
    }
    cx.error(
        span,
        Mistake::WrongType,
        format!("{msg} (in {})", at.name()),
        "",
    )
}

/// serde reports a bad element of an inline list of steps (`script = [{...}, ...]`)
/// with the span of the whole list; deserialize the elements one by one to find it.
fn refine(root: &Spanned<DeTable<'_>>, mut e: toml::de::Error) -> (toml::de::Error, Range<usize>) {
    let mut span = e.span().unwrap_or(0..0);
    // Each pass narrows a list to one element; nesting is shallow.
    for _ in 0..4 {
        let Some((key, items)) = list_at(root.get_ref(), &span) else {
            break;
        };
        let check: fn(&Spanned<DeValue<'_>>) -> Result<(), toml::de::Error> = match key {
            "script" => element::<AgentStep>,
            "steps" => element::<StepRepr>,
            "agents" => element::<AgentSpec>,
            _ => break,
        };
        let Some((item, inner)) = items.iter().find_map(|i| check(i).err().map(|e| (i, e))) else {
            break;
        };
        // An element's own errors may come without a span: then it is the element's.
        let inner_span = inner.span().unwrap_or_else(|| item.span());
        if inner_span == span {
            break;
        }
        (e, span) = (inner, inner_span);
    }
    (e, span)
}

fn element<T: DeserializeOwned>(v: &Spanned<DeValue<'_>>) -> Result<(), toml::de::Error> {
    T::deserialize(toml::de::ValueDeserializer::from(v.clone())).map(drop)
}

/// The list of tables whose span is `span`, with the key that holds it.
fn list_at<'d, 'i>(
    table: &'d DeTable<'i>,
    span: &Range<usize>,
) -> Option<(&'d str, &'d [Spanned<DeValue<'i>>])> {
    for (k, v) in table.iter() {
        let found = match v.get_ref() {
            DeValue::Array(a) if v.span() == *span => Some((k.get_ref().as_ref(), &a[..])),
            DeValue::Array(a) => a
                .iter()
                .filter_map(|e| e.get_ref().as_table())
                .find_map(|t| list_at(t, span)),
            DeValue::Table(t) => list_at(t, span),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The table an error is in.
struct Table<'a, 'd, 'i> {
    path: &'a str,
    table: &'d DeTable<'i>,
}

impl Table<'_, '_, '_> {
    fn name(&self) -> String {
        if self.path.is_empty() {
            "the top level".to_owned()
        } else {
            format!("`{}`", self.path)
        }
    }

    fn key(&self, key: &str) -> Option<Range<usize>> {
        self.table.get_key_value(key).map(|(k, _)| k.span())
    }

    fn step_kind(&self) -> Option<&str> {
        self.table.get("do").and_then(|v| v.get_ref().as_str())
    }

    /// The key whose value is the string `value` (`do` first).
    fn string_value(&self, value: &str) -> Option<(String, Range<usize>)> {
        let mut hits: Vec<_> = self
            .table
            .iter()
            .filter(|(_, v)| v.get_ref().as_str() == Some(value))
            .collect();
        hits.sort_by_key(|(k, _)| k.get_ref().as_ref() != "do");
        hits.first()
            .map(|(k, v)| (k.get_ref().to_string(), v.span()))
    }

    /// The key holding the offending value: the one whose value is (or contains)
    /// `span`, or else the one whose value matches serde's `found` description.
    fn key_of_value(&self, span: &Range<usize>, found: &str) -> Option<(String, Range<usize>)> {
        let inside = |s: &Range<usize>| s.start <= span.start && span.end <= s.end && s != span;
        if let Some((k, _)) = self
            .table
            .iter()
            .find(|(_, v)| v.span() == *span || inside(&v.span()))
        {
            return Some((k.get_ref().to_string(), span.clone()));
        }
        self.table
            .iter()
            .filter(|(k, _)| k.get_ref().as_ref() != "do")
            .find_map(|(k, v)| match v.get_ref() {
                _ if describes(found, v.get_ref()) => Some((k.get_ref().to_string(), v.span())),
                DeValue::Array(a) => a
                    .iter()
                    .position(|e| describes(found, e.get_ref()))
                    .map(|i| (format!("{}[{i}]", k.get_ref()), a[i].span())),
                _ => None,
            })
    }
}

/// Whether serde's `found` (`string "5"`, `integer `3``, `boolean `true``, ...) is `v`.
fn describes(found: &str, v: &DeValue<'_>) -> bool {
    match v {
        DeValue::String(s) => found == format!("string {s:?}"),
        DeValue::Integer(i) => {
            let n = i64::from_str_radix(i.as_str(), i.radix()).ok();
            n.is_some_and(|n| found == format!("integer `{n}`"))
        }
        DeValue::Float(_) => found.starts_with("floating point"),
        DeValue::Boolean(b) => found == format!("boolean `{b}`"),
        DeValue::Array(_) => found == "sequence",
        DeValue::Table(_) => found == "map",
        DeValue::Datetime(_) => found.contains("date") || found == "map",
    }
}

/// serde's `expected` in words.
fn expected_words(expected: &str) -> String {
    let max = |t: &str| match t {
        "u8" => Some(u8::MAX as u64),
        "u16" => Some(u16::MAX as u64),
        "u32" => Some(u32::MAX as u64),
        "u64" | "usize" => Some(u64::MAX),
        _ => None,
    };
    if let Some(m) = max(expected) {
        return format!("a whole number from 0 to {m}");
    }
    match expected {
        "a string" | "a borrowed string" => "a string".to_owned(),
        "a sequence" => "a list `[...]`".to_owned(),
        "a boolean" => "true or false".to_owned(),
        e if e.starts_with("struct ") || e == "a map" => "a table".to_owned(),
        e if e.starts_with("internally tagged enum") => "a table with `do = \"...\"`".to_owned(),
        e => e.to_owned(),
    }
}

fn type_help(found: &str, expected: &str) -> String {
    let unquoted = found
        .strip_prefix("string \"")
        .and_then(|s| s.strip_suffix('"'))
        .filter(|s| s.parse::<u64>().is_ok());
    match unquoted {
        Some(n) if expected.starts_with('u') => format!("remove the quotes: `{n}`"),
        _ if found.starts_with("integer `-") => {
            "times, counts and rates cannot be negative".to_owned()
        }
        _ if found.starts_with("floating point") => {
            "use a whole number: times are whole milliseconds, rates whole per-mille".to_owned()
        }
        _ => format!("expected {}", expected_words(expected)),
    }
}

/// The words between backticks in `msg`, in order.
fn backticked(msg: &str) -> Vec<String> {
    msg.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// `do = "connect"`, ... for the step kind the table at `path` holds.
fn do_choices(path: &str) -> String {
    let names = if path.contains("script") {
        variants::<AgentStep>()
    } else {
        variants::<WorldAction>()
    };
    let list: Vec<String> = names.iter().map(|n| format!("`do = \"{n}\"`")).collect();
    list.join(", ")
}

/// The `do` names of a tagged enum, read from serde's own "expected one of" list,
/// so a step kind added to the enum shows up here without an edit.
fn variants<T: DeserializeOwned>() -> Vec<String> {
    match toml::from_str::<T>("do = \"?\"") {
        Err(e) => backticked(e.message()).into_iter().skip(1).collect(),
        Ok(_) => Vec::new(),
    }
}
