//! What can be wrong with a scenario file: `path:line:col: what was wrong`, then a
//! line saying what was expected or what to write instead.

use std::fmt;
use std::path::PathBuf;

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file or directory could not be read: check the path and its permissions.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid scenario: fix it where the
    /// diagnostic points; its second line says what was expected.
    #[error("{0}")]
    Invalid(Box<Diagnostic>),
}

impl ScenarioError {
    /// The diagnostic, unless the file could not be read at all.
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            ScenarioError::Invalid(d) => Some(d),
            ScenarioError::Io { .. } => None,
        }
    }
}

/// One mistake in a scenario file, with where it is and what would fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    pub path: PathBuf,
    /// 1-based line of the offending key or value.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
    pub mistake: Mistake,
    /// What was wrong, in one line.
    pub message: String,
    /// What was expected, or a suggestion (`did you mean ...?`).
    pub help: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.col,
            self.message
        )?;
        if !self.help.is_empty() {
            write!(f, "\n  {}", self.help)?;
        }
        Ok(())
    }
}

/// The class of a mistake (what the tests and tools match on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mistake {
    /// Not valid TOML.
    Syntax,
    /// The file does not start with a `# Reproduces: ...` comment.
    MissingHeader,
    /// A key no table of that kind has.
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A value of the wrong type or out of the type's range.
    WrongType,
    /// A name that is not one of a fixed set: a step's `do`, a server, an oracle.
    UnknownName,
    /// A step or fault names an agent or host the scenario does not have.
    UnknownAgent,
    /// Two agents with one name.
    Duplicate,
    /// Well-typed but impossible: a step after the time limit, a zero period,
    /// a range whose minimum exceeds its maximum, a Close code the wire forbids.
    Impossible,
}

/// The closest of `known` to `word`, if it is close enough to be a likely typo.
pub(crate) fn closest<'k>(word: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    known
        .into_iter()
        .map(|k| (distance(word, k), k))
        .filter(|&(d, k)| d <= (k.chars().count() / 3).max(2))
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

/// `did you mean `x`?` or `expected one of: a, b, c`.
pub(crate) fn suggest(word: &str, known: &[&str]) -> String {
    match closest(word, known.iter().copied()) {
        Some(k) => format!("did you mean `{k}`?"),
        None => expected_one_of(known),
    }
}

pub(crate) fn expected_one_of(known: &[&str]) -> String {
    match known {
        [] => "this table takes no keys".to_owned(),
        [one] => format!("expected `{one}`"),
        _ => {
            let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
            format!("expected one of {}", list.join(", "))
        }
    }
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diag + usize::from(ca != cb));
            diag = above;
        }
    }
    row[b.len()]
}
