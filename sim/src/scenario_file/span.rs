//! Finding things in the parsed document: a value by its path, the innermost
//! table around an error's span, and line:col.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One step of a path into the document: a key of a table or an index of an array.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Seg<'p> {
    Key(&'p str),
    Index(usize),
}

/// The value at `path`.
fn find<'d, 'i>(
    root: &'d Spanned<DeTable<'i>>,
    path: &[Seg<'_>],
) -> Option<&'d Spanned<DeValue<'i>>> {
    let (first, rest) = path.split_first()?;
    let Seg::Key(k) = first else { return None };
    let mut value = root.get_ref().get(*k)?;
    for seg in rest {
        value = match (seg, value.get_ref()) {
            (Seg::Key(k), DeValue::Table(t)) => t.get(*k)?,
            (Seg::Index(i), DeValue::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

/// The span of the value at `path`, falling back to its parent's, then the root's
/// (a default that is not in the file is reported where it would go).
pub(crate) fn value_span(root: &Spanned<DeTable<'_>>, path: &[Seg<'_>]) -> Range<usize> {
    (0..=path.len())
        .rev()
        .find_map(|n| find(root, &path[..n]).map(|v| v.span()))
        .unwrap_or(0..0)
}

/// The innermost table an error span belongs to, with its path as text
/// (`agents[0].script[2]`): the table whose own span, a key's span or a plain
/// value's span is (or contains) `span`. Falls back to the root.
pub(crate) fn table_around<'d, 'i>(
    root: &'d Spanned<DeTable<'i>>,
    span: &Range<usize>,
) -> (String, &'d DeTable<'i>) {
    let mut best = (0, String::new(), root.get_ref());
    walk(root.get_ref(), String::new(), 0, span, &mut best);
    (best.1, best.2)
}

fn walk<'d, 'i>(
    table: &'d DeTable<'i>,
    path: String,
    depth: usize,
    span: &Range<usize>,
    best: &mut (usize, String, &'d DeTable<'i>),
) {
    let here = table
        .iter()
        .any(|(k, v)| k.span() == *span || !holds_tables(v.get_ref()) && contains(&v.span(), span));
    if here && depth >= best.0 {
        *best = (depth, path.clone(), table);
    }
    for (k, v) in table.iter() {
        let sub = if path.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{path}.{}", k.get_ref())
        };
        visit(v, sub, depth + 1, span, best);
    }
}

fn visit<'d, 'i>(
    v: &'d Spanned<DeValue<'i>>,
    path: String,
    depth: usize,
    span: &Range<usize>,
    best: &mut (usize, String, &'d DeTable<'i>),
) {
    match v.get_ref() {
        DeValue::Table(t) => {
            if v.span() == *span && depth >= best.0 {
                *best = (depth, path.clone(), t);
            }
            walk(t, path, depth, span, best);
        }
        DeValue::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                visit(e, format!("{path}[{i}]"), depth + 1, span, best);
            }
        }
        _ => {}
    }
}

/// Tables and arrays holding tables are searched element by element instead.
fn holds_tables(v: &DeValue<'_>) -> bool {
    match v {
        DeValue::Table(_) => true,
        DeValue::Array(a) => a.iter().any(|e| holds_tables(e.get_ref())),
        _ => false,
    }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let offset = (0..=offset)
        .rev()
        .find(|&o| text.is_char_boundary(o))
        .unwrap_or(0);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}
