//! The file-level part: the leading comment and the keys that are not the
//! scenario body (`name`, `server`, `seeds`, `[expect]`), plus seeds from the
//! environment.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::error::{closest, expected_one_of, suggest, Mistake, ScenarioError};
use super::{Cx, Expect, DEFAULT_SEEDS, ORACLES};
use crate::scenario::Scenario;
use crate::server::server_names;

/// The top-level keys read here rather than by serde.
pub(crate) const KEYS: [&str; 4] = ["name", "server", "seeds", "expect"];

/// More seeds than this in one file is a typo or a sweep (`wsrace explore --seeds`).
const MAX_SEEDS: u64 = 1_000_000;

pub(crate) struct Head {
    pub name: String,
    pub server: String,
    pub seeds: Vec<u64>,
    pub expect: Expect,
}

/// The leading comment lines without `#`; the first must be `# Reproduces: ...`.
pub(crate) fn header_comment(cx: &Cx<'_>) -> Result<String, ScenarioError> {
    let text = cx.text.strip_prefix('\u{feff}').unwrap_or(cx.text);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim())
        .collect();
    let first = lines.first().copied().unwrap_or("");
    let what = first
        .get(..11)
        .filter(|p| p.eq_ignore_ascii_case("reproduces:"))
        .map(|_| first[11..].trim());
    if what.is_none_or(str::is_empty) {
        let start = cx.text.len() - text.trim_start().len();
        return Err(cx.error(
            start..start,
            Mistake::MissingHeader,
            "a scenario file must start with a `# Reproduces: ...` comment",
            "say what it reproduces and where it came from, e.g. \
             `# Reproduces: a reconnect while the old writer is mid-frame (incident.md)`",
        ));
    }
    Ok(lines.join("\n"))
}

pub(crate) fn take(cx: &Cx<'_>, root: &Spanned<DeTable<'_>>) -> Result<Head, ScenarioError> {
    let get = |k: &str| root.get_ref().get_key_value(k);
    let name = match get("name") {
        Some((_, v)) => {
            let name = string(cx, "name", v)?;
            if name.trim().is_empty() {
                return Err(cx.error(
                    v.span(),
                    Mistake::Impossible,
                    "`name` is empty",
                    "give a name, or leave `name` out to use the file stem",
                ));
            }
            name.to_owned()
        }
        None => cx.path.file_stem().map_or_else(
            || "unnamed".to_owned(),
            |s| s.to_string_lossy().into_owned(),
        ),
    };
    let server = match get("server") {
        Some((_, v)) => {
            let server = string(cx, "server", v)?;
            let names = server_names();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            if !names.contains(&server) {
                return Err(cx.error(
                    v.span(),
                    Mistake::UnknownName,
                    format!("unknown server `{server}`"),
                    suggest(server, &names),
                ));
            }
            server.to_owned()
        }
        None => "hub".to_owned(),
    };
    let seeds = match get("seeds") {
        Some((_, v)) => seeds(cx, v)?,
        None => (0..DEFAULT_SEEDS).collect(),
    };
    let expect = match get("expect") {
        Some((_, v)) => expect(cx, v)?,
        None => {
            let start = first_key(root).unwrap_or(0);
            return Err(cx.error(
                start..start,
                Mistake::MissingKey,
                "missing `[expect]` table",
                "add `[expect]` with `result = \"pass\"`, or `result = \"fail\"` and \
                 `oracle = \"wire.grammar\"` (the oracle that must catch it)",
            ));
        }
    };
    Ok(Head {
        name,
        server,
        seeds,
        expect,
    })
}

fn first_key(root: &Spanned<DeTable<'_>>) -> Option<usize> {
    root.get_ref().keys().map(|k| k.span().start).min()
}

fn string<'v>(
    cx: &Cx<'_>,
    key: &str,
    v: &'v Spanned<DeValue<'_>>,
) -> Result<&'v str, ScenarioError> {
    v.get_ref().as_str().ok_or_else(|| {
        cx.error(
            v.span(),
            Mistake::WrongType,
            format!("`{key}` must be a string, found {}", v.get_ref().type_str()),
            format!("write it in quotes: `{key} = \"...\"`"),
        )
    })
}

fn seeds(cx: &Cx<'_>, v: &Spanned<DeValue<'_>>) -> Result<Vec<u64>, ScenarioError> {
    const FORMS: &str = "expected `seeds = 100` (seeds 0..100), `seeds = [3, 17]`, \
                         `seeds = { start = 1000, count = 50 }` or `seeds = \"1000..1050\"`";
    let wrong = |span: Range<usize>, what: String| cx.error(span, Mistake::WrongType, what, FORMS);
    let seeds: Vec<u64> = match v.get_ref() {
        DeValue::Integer(_) => {
            let n = uint(cx, "seeds", v)?;
            count_from(cx, v.span(), 0, n)?
        }
        DeValue::Array(a) => a
            .iter()
            .map(|e| uint(cx, "a seed", e))
            .collect::<Result<_, _>>()?,
        DeValue::String(s) => {
            parse_range(s).map_err(|e| wrong(v.span(), format!("`seeds`: {e}")))?
        }
        DeValue::Table(t) => {
            let mut start = 0;
            let mut count = None;
            for (k, e) in t.iter() {
                match k.get_ref().as_ref() {
                    "start" => start = uint(cx, "start", e)?,
                    "count" => count = Some(uint(cx, "count", e)?),
                    other => {
                        return Err(cx.error(
                            k.span(),
                            Mistake::UnknownKey,
                            format!("unknown key `{other}` in `seeds`"),
                            suggest(other, &["start", "count"]),
                        ))
                    }
                }
            }
            let Some(count) = count else {
                return Err(cx.error(
                    v.span(),
                    Mistake::MissingKey,
                    "missing key `count` in `seeds`",
                    "write `seeds = { start = 1000, count = 50 }`",
                ));
            };
            count_from(cx, v.span(), start, count)?
        }
        other => {
            return Err(wrong(
                v.span(),
                format!("`seeds` cannot be a {}", other.type_str()),
            ))
        }
    };
    if seeds.is_empty() {
        return Err(cx.error(v.span(), Mistake::Impossible, "`seeds` is empty", FORMS));
    }
    Ok(seeds)
}

fn count_from(
    cx: &Cx<'_>,
    span: Range<usize>,
    start: u64,
    count: u64,
) -> Result<Vec<u64>, ScenarioError> {
    let end = start.checked_add(count);
    match end {
        Some(end) if count <= MAX_SEEDS => Ok((start..end).collect()),
        _ => Err(cx.error(
            span,
            Mistake::Impossible,
            format!("{count} seeds starting at {start} is too many"),
            format!(
                "a file runs at most {MAX_SEEDS} seeds; sweep more with `wsrace explore --seeds N`"
            ),
        )),
    }
}

fn uint(cx: &Cx<'_>, what: &str, v: &Spanned<DeValue<'_>>) -> Result<u64, ScenarioError> {
    match v.get_ref() {
        DeValue::Integer(i) => u64::from_str_radix(i.as_str(), i.radix()).map_err(|_| {
            cx.error(
                v.span(),
                Mistake::WrongType,
                format!(
                    "{what} must be a whole number from 0 to {}, found {i}",
                    u64::MAX
                ),
                "seeds are unsigned 64-bit integers",
            )
        }),
        other => Err(cx.error(
            v.span(),
            Mistake::WrongType,
            format!("{what} must be a whole number, found {}", other.type_str()),
            "seeds are unsigned 64-bit integers",
        )),
    }
}

fn expect(cx: &Cx<'_>, v: &Spanned<DeValue<'_>>) -> Result<Expect, ScenarioError> {
    let DeValue::Table(t) = v.get_ref() else {
        return Err(cx.error(
            v.span(),
            Mistake::WrongType,
            format!("`expect` must be a table, found {}", v.get_ref().type_str()),
            "write `[expect]` then `result = \"pass\"` on the next line",
        ));
    };
    let mut result = None;
    let mut oracle = None;
    for (k, e) in t.iter() {
        match k.get_ref().as_ref() {
            "result" => result = Some(e),
            "oracle" => oracle = Some((k, e)),
            other => {
                return Err(unknown_key(
                    cx,
                    k.span(),
                    other,
                    "expect",
                    &["result", "oracle"],
                ))
            }
        }
    }
    let Some(result) = result else {
        return Err(cx.error(
            v.span(),
            Mistake::MissingKey,
            "missing key `result` in [expect]",
            "add `result = \"pass\"` or `result = \"fail\"`",
        ));
    };
    match string(cx, "result", result)? {
        "pass" => match oracle {
            None => Ok(Expect::Pass),
            Some((k, _)) => Err(cx.error(
                k.span(),
                Mistake::Impossible,
                "`oracle` given with `result = \"pass\"`",
                "name an oracle only when the run must fail: `result = \"fail\"`",
            )),
        },
        "fail" => {
            let Some((_, o)) = oracle else {
                return Err(cx.error(
                    result.span(),
                    Mistake::MissingKey,
                    "`result = \"fail\"` needs `oracle`: which oracle must catch it",
                    format!(
                        "add `oracle = \"wire.grammar\"`; {}",
                        expected_one_of(&ORACLES)
                    ),
                ));
            };
            let ids: Vec<&Spanned<DeValue<'_>>> = match o.get_ref() {
                DeValue::Array(a) => a.iter().collect(),
                _ => vec![o],
            };
            if ids.is_empty() {
                return Err(cx.error(
                    o.span(),
                    Mistake::Impossible,
                    "`oracle` is an empty list",
                    expected_one_of(&ORACLES),
                ));
            }
            let mut oracles = Vec::new();
            for id in ids {
                let name = string(cx, "oracle", id)?;
                if !ORACLES.contains(&name) {
                    return Err(cx.error(
                        id.span(),
                        Mistake::UnknownName,
                        format!("unknown oracle `{name}`"),
                        suggest(name, &ORACLES),
                    ));
                }
                oracles.push(name.to_owned());
            }
            Ok(Expect::Fail { oracles })
        }
        other => Err(cx.error(
            result.span(),
            Mistake::UnknownName,
            format!("unknown result `{other}`"),
            suggest(other, &["pass", "fail"]),
        )),
    }
}

/// An unknown key in the table at `path` (`""` for the top level, `agents[0]`, ...):
/// the nearest known key, or where the key belongs if it is misplaced.
pub(crate) fn unknown_key(
    cx: &Cx<'_>,
    span: Range<usize>,
    key: &str,
    path: &str,
    known: &[&str],
) -> ScenarioError {
    let layout = Layout::new();
    let message = if path.is_empty() {
        format!("unknown key `{key}` at the top level")
    } else {
        format!("unknown key `{key}` in `{path}`")
    };
    let header = path.split(['.', '[']).next().unwrap_or("");
    let header = if path.contains('[') {
        format!("[[{header}]]")
    } else {
        format!("[{header}]")
    };
    let help = if closest(key, known.iter().copied()).is_some() {
        suggest(key, known)
    } else if !path.is_empty() && layout.top.iter().any(|k| k == key) {
        format!(
            "`{key}` is a top-level key, but every key after a `{header}` header belongs to that \
             table: move it above the first `[...]` header"
        )
    } else if let Some((table, _)) = layout
        .nested
        .iter()
        .find(|(_, k)| k == key)
        .filter(|_| path.is_empty())
    {
        format!("`{key}` belongs in the `[{table}]` table")
    } else {
        suggest(key, known)
    };
    cx.error(span, Mistake::UnknownKey, message, help)
}

/// Where keys live: the top-level keys ([`KEYS`] and the [`Scenario`] fields) and
/// `(table, key)` for the keys of its sub-tables, read from a serialized default
/// scenario so fields added to [`Scenario`] are known without an edit here.
struct Layout {
    top: Vec<String>,
    nested: Vec<(String, String)>,
}

impl Layout {
    fn new() -> Self {
        let mut top: Vec<String> = KEYS.iter().map(|k| (*k).to_owned()).collect();
        let mut nested = Vec::new();
        if let Ok(t) = toml::Table::try_from(Scenario::default()) {
            for (k, v) in t {
                if let toml::Value::Table(sub) = &v {
                    nested.extend(sub.keys().map(|s| (k.clone(), s.clone())));
                }
                if !top.contains(&k) {
                    top.push(k);
                }
            }
        }
        Layout { top, nested }
    }
}

/// Seeds from `WSRACE_SEED=N` (that one seed) or `WSRACE_SEEDS=N` (seeds
/// `0..N`) / `WSRACE_SEEDS=a..b` (seeds `a..b`); `None` when neither is set.
/// The caller applies them in place of the file's seeds.
pub fn seeds_from_env() -> Result<Option<Vec<u64>>, String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    match (var("WSRACE_SEED"), var("WSRACE_SEEDS")) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => {
            Err("both WSRACE_SEED and WSRACE_SEEDS are set; unset one".to_owned())
        }
        (Some(one), None) => one
            .trim()
            .parse::<u64>()
            .map(|s| Some(vec![s]))
            .map_err(|_| format!("WSRACE_SEED={one:?}: expected one seed, a whole number like 42")),
        (None, Some(many)) => {
            let many = many.trim();
            let seeds = match many.parse::<u64>() {
                Ok(n) if n <= MAX_SEEDS => Ok((0..n).collect()),
                Ok(n) => Err(format!("{n} seeds is more than {MAX_SEEDS}")),
                Err(_) => parse_range(many),
            };
            match seeds {
                Ok(s) if !s.is_empty() => Ok(Some(s)),
                Ok(_) => Err(format!("WSRACE_SEEDS={many:?} selects no seeds")),
                Err(e) => Err(format!("WSRACE_SEEDS={many:?}: {e}")),
            }
        }
    }
}

/// `a..b`: seeds `a` up to but not including `b`.
fn parse_range(s: &str) -> Result<Vec<u64>, String> {
    let bad = || format!("expected a range like `1000..1050` (end excluded), found `{s}`");
    let (a, b) = s.trim().split_once("..").ok_or_else(bad)?;
    let a: u64 = a.trim().parse().map_err(|_| bad())?;
    let b: u64 = b.trim().parse().map_err(|_| bad())?;
    if b <= a {
        return Err(format!(
            "`{s}` is empty: the end must be greater than the start"
        ));
    }
    if b - a > MAX_SEEDS {
        return Err(format!("`{s}` is {} seeds, more than {MAX_SEEDS}", b - a));
    }
    Ok((a..b).collect())
}
