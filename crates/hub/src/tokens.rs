//! Who may connect: a token decides the agent id.
//!
//! File format, one entry per line:
//!
//! ```text
//! # comments start with '#' and run to the end of the line
//! agent-1  s3cr3t-token-one
//! agent-2  another-token      # trailing comments are fine
//! ```
//!
//! A line is `AGENT_ID TOKEN`, separated by spaces or tabs. Blank lines are
//! ignored. Tokens are visible ASCII without `#`; each token may appear once (it
//! names exactly one agent); an agent may have several tokens (rotation).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::AgentId;

/// The set of accepted tokens, each bound to one agent.
#[derive(Clone)]
pub struct Tokens {
    /// In file order. Looked up by a full scan so the time taken does not depend on
    /// where (or whether) a token matches.
    entries: Vec<(Vec<u8>, AgentId)>,
}

impl fmt::Debug for Tokens {
    // Never print the secrets themselves.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field(
                "agents",
                &self
                    .entries
                    .iter()
                    .map(|(_, a)| a.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Why a tokens file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokensError {
    /// The file could not be read: check the path and its permissions.
    #[error("cannot read tokens file {}: {source}", path.display())]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a valid `AGENT_ID TOKEN` entry: fix that line.
    #[error("{}:{line}: {problem}", path.display())]
    Malformed {
        /// The file (or `<inline>` for [`Tokens::parse`]).
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        problem: LineProblem,
    },
    /// The file has no entries, so no agent could ever connect: add at least one.
    #[error("{}: no `AGENT_ID TOKEN` entries", path.display())]
    Empty {
        /// The file (or `<inline>`).
        path: PathBuf,
    },
}

/// What is wrong with one line of a tokens file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LineProblem {
    /// Only an agent id, no token.
    MissingToken,
    /// More than two fields; the first extra one is shown.
    ExtraField(String),
    /// The token has a byte outside visible ASCII (`!`..=`~`), or a `#`.
    BadToken,
    /// The agent id is empty or has whitespace, a control character or `#`.
    BadAgentId,
    /// This token already appeared on an earlier line; one token names one agent.
    DuplicateToken {
        /// The earlier line.
        first_line: usize,
    },
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineProblem::MissingToken => f.write_str("expected `AGENT_ID TOKEN`, found no token"),
            LineProblem::ExtraField(x) => {
                write!(f, "expected `AGENT_ID TOKEN`, found an extra field `{x}`")
            }
            LineProblem::BadToken => f.write_str(
                "the token must be visible ASCII without `#` (no spaces, controls or non-ASCII)",
            ),
            LineProblem::BadAgentId => f.write_str(
                "the agent id must be non-empty, without whitespace, control characters or `#`",
            ),
            LineProblem::DuplicateToken { first_line } => {
                write!(f, "this token is already used on line {first_line}")
            }
        }
    }
}

impl Tokens {
    /// Reads and parses a tokens file.
    pub fn load(path: impl AsRef<Path>) -> Result<Tokens, TokensError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| TokensError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse_named(path, &text)
    }

    /// Parses tokens-file text; errors name the file `<inline>`.
    pub fn parse(text: &str) -> Result<Tokens, TokensError> {
        Self::parse_named(Path::new("<inline>"), text)
    }

    /// Builds the set from `(agent, token)` pairs with the file's rules; pair `n`
    /// (1-based) is reported as line `n` of `<pairs>`.
    pub fn from_pairs<A: AsRef<str>, T: AsRef<str>>(
        pairs: impl IntoIterator<Item = (A, T)>,
    ) -> Result<Tokens, TokensError> {
        let mut builder = Builder::new(Path::new("<pairs>"));
        for (i, (agent, token)) in pairs.into_iter().enumerate() {
            builder.add(i + 1, agent.as_ref(), token.as_ref())?;
        }
        builder.finish()
    }

    fn parse_named(path: &Path, text: &str) -> Result<Tokens, TokensError> {
        let mut builder = Builder::new(path);
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split('#').next().unwrap_or("");
            let mut fields = content.split([' ', '\t']).filter(|f| !f.is_empty());
            let Some(agent) = fields.next() else { continue };
            let token = fields.next().unwrap_or("");
            if let Some(extra) = fields.next() {
                return Err(builder.malformed(line, LineProblem::ExtraField(extra.to_owned())));
            }
            builder.add(line, agent, token)?;
        }
        builder.finish()
    }

    /// The agent a presented token belongs to, if any.
    ///
    /// Every stored token is compared, each without stopping at the first differing
    /// byte, so timing reveals neither which byte differed nor which entry matched.
    /// (Token lengths are not hidden.)
    pub fn agent_for(&self, presented: &[u8]) -> Option<&AgentId> {
        let mut found: Option<&AgentId> = None;
        for (token, agent) in &self.entries {
            if constant_time_eq(token, presented) {
                found = Some(agent);
            }
        }
        found
    }

    /// How many tokens there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Never true for a parsed set (an empty file is refused); here for completeness.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Collects entries, checking each the same way whatever its source.
struct Builder<'a> {
    path: &'a Path,
    entries: Vec<(Vec<u8>, AgentId)>,
    /// The line of each entry, for duplicate reports.
    lines: Vec<usize>,
}

impl<'a> Builder<'a> {
    fn new(path: &'a Path) -> Self {
        Builder {
            path,
            entries: Vec::new(),
            lines: Vec::new(),
        }
    }

    fn malformed(&self, line: usize, problem: LineProblem) -> TokensError {
        TokensError::Malformed {
            path: self.path.to_owned(),
            line,
            problem,
        }
    }

    fn add(&mut self, line: usize, agent: &str, token: &str) -> Result<(), TokensError> {
        let agent_ok = !agent.is_empty()
            && !agent
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '#');
        if !agent_ok {
            return Err(self.malformed(line, LineProblem::BadAgentId));
        }
        if token.is_empty() {
            return Err(self.malformed(line, LineProblem::MissingToken));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic() && b != b'#') {
            return Err(self.malformed(line, LineProblem::BadToken));
        }
        if let Some(j) = self.entries.iter().position(|(t, _)| t == token.as_bytes()) {
            let first_line = self.lines[j];
            return Err(self.malformed(line, LineProblem::DuplicateToken { first_line }));
        }
        self.entries
            .push((token.as_bytes().to_vec(), AgentId::new(agent)));
        self.lines.push(line);
        Ok(())
    }

    fn finish(self) -> Result<Tokens, TokensError> {
        if self.entries.is_empty() {
            return Err(TokensError::Empty {
                path: self.path.to_owned(),
            });
        }
        Ok(Tokens {
            entries: self.entries,
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box keeps the optimiser from turning the fold back into an early exit.
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> (usize, LineProblem) {
        match Tokens::parse(text) {
            Err(TokensError::Malformed { line, problem, .. }) => (line, problem),
            other => panic!("expected a malformed-line error, got {other:?}"),
        }
    }

    #[test]
    fn entries_comments_and_blank_lines_parse() {
        let t = Tokens::parse("# hub tokens\n\na1 tok1\n  a2\ttok2   # trailing\n").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.agent_for(b"tok1").map(AgentId::as_str), Some("a1"));
        assert_eq!(t.agent_for(b"tok2").map(AgentId::as_str), Some("a2"));
        assert_eq!(t.agent_for(b"tok3"), None);
        assert_eq!(t.agent_for(b"tok"), None);
        assert_eq!(t.agent_for(b""), None);
    }

    #[test]
    fn a_line_without_a_token_is_refused_with_its_line_number() {
        assert_eq!(problem("a1 t1\n# c\na2\n"), (3, LineProblem::MissingToken));
    }

    #[test]
    fn a_line_with_three_fields_is_refused() {
        assert_eq!(
            problem("a1 t1 t2\n"),
            (1, LineProblem::ExtraField("t2".into()))
        );
    }

    #[test]
    fn a_reused_token_is_refused_naming_both_lines() {
        let err = Tokens::parse("a1 same\n\na2 same\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "<inline>:3: this token is already used on line 1"
        );
    }

    #[test]
    fn a_non_ascii_token_is_refused() {
        assert_eq!(problem("a1 tök\n"), (1, LineProblem::BadToken));
    }

    #[test]
    fn pairs_follow_the_file_rules() {
        let t = Tokens::from_pairs([("a1", "t1"), ("a2", "t2")]).unwrap();
        assert_eq!(t.agent_for(b"t2").map(AgentId::as_str), Some("a2"));
        let bad = Tokens::from_pairs([("a1", "t1"), ("a 2", "t2")]).unwrap_err();
        assert_eq!(bad.to_string(), "<pairs>:2: the agent id must be non-empty, without whitespace, control characters or `#`");
        assert!(matches!(
            Tokens::from_pairs([("a1", "t#1")]),
            Err(TokensError::Malformed {
                problem: LineProblem::BadToken,
                ..
            })
        ));
    }

    #[test]
    fn a_file_with_only_comments_is_refused() {
        assert!(matches!(
            Tokens::parse("# nothing\n\n"),
            Err(TokensError::Empty { .. })
        ));
    }

    #[test]
    fn one_agent_may_hold_two_tokens() {
        let t = Tokens::parse("a1 old\na1 new\n").unwrap();
        assert_eq!(t.agent_for(b"old"), t.agent_for(b"new"));
    }

    #[test]
    fn debug_output_hides_the_tokens() {
        let t = Tokens::parse("a1 secret\n").unwrap();
        assert!(!format!("{t:?}").contains("secret"));
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let err = Tokens::load("/nonexistent/wsrace/tokens").unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/wsrace/tokens"),
            "{err}"
        );
    }
}
