//! Scenario files: one TOML file, one test. The file's leading comment says what
//! it reproduces and where it came from; top-level keys say which server runs,
//! on which seeds, and what is expected; the rest is a [`Scenario`] through serde.
//! The format is documented in `scenarios/README.md`.
//!
//! A malformed file gets a [`ScenarioError`] whose [`Diagnostic`] points at the
//! offending key or value (`path:line:col`) and says what was expected; loading
//! never panics.

mod check;
mod error;
mod head;
mod serde_error;
mod span;
mod steps;

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::DeTable;

use crate::scenario::Scenario;

pub use error::{Diagnostic, Mistake, ScenarioError};
pub use head::seeds_from_env;

/// Oracle ids a file may name in `expect.oracle` (see [`crate::oracle::id`]).
pub const ORACLES: [&str; 7] = {
    use crate::oracle::id::*;
    [
        WIRE_GRAMMAR,
        WIRE_CLOSE,
        HUB_REGISTRY,
        HUB_LIVENESS,
        HUB_TASKS,
        HUB_DELIVERY,
        SIM_DETERMINISM,
    ]
};

/// Seeds a file runs when it says nothing: `0..DEFAULT_SEEDS`.
pub const DEFAULT_SEEDS: u64 = 10;

/// A loaded scenario file.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ScenarioFile {
    pub path: PathBuf,
    /// `name`, or the file stem; also `scenario.name`.
    pub name: String,
    /// The leading comment lines without their `#`: what the file reproduces
    /// (the first line, `Reproduces: ...`) and where it came from.
    pub header: String,
    /// `hub` or `zoo:<design>` (one of [`server_names`](crate::server::server_names)).
    pub server: String,
    /// The seeds to run, in file order. Apply [`seeds_from_env`] on top.
    pub seeds: Vec<u64>,
    pub expect: Expect,
    pub scenario: Scenario,
}

/// What a run of the scenario must show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Every seed passes every oracle.
    Pass,
    /// Every seed fails, and each failure includes at least one of `oracles`.
    Fail { oracles: Vec<String> },
}

/// Reads and parses one scenario file.
pub fn load(path: impl AsRef<Path>) -> Result<ScenarioFile, ScenarioError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, path)
}

/// Every `*.toml` file directly in `dir`, loaded, sorted by file name. Stops at
/// the first file that does not load.
pub fn load_dir(dir: impl AsRef<Path>) -> Result<Vec<ScenarioFile>, ScenarioError> {
    list_dir(dir)?.iter().map(load).collect()
}

/// The paths of the `*.toml` files directly in `dir`, sorted by file name (so a
/// corpus runs in the same order everywhere).
pub fn list_dir(dir: impl AsRef<Path>) -> Result<Vec<PathBuf>, ScenarioError> {
    let dir = dir.as_ref();
    let io = |source| ScenarioError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(paths)
}

/// Parses `text` as the scenario file at `path` (used for messages and the default name).
pub fn parse(text: &str, path: impl AsRef<Path>) -> Result<ScenarioFile, ScenarioError> {
    let cx = Cx {
        text,
        path: path.as_ref(),
    };
    let header = head::header_comment(&cx)?;
    let root = DeTable::parse(text).map_err(|e| serde_error::syntax(&cx, &e))?;
    let head = head::take(&cx, &root)?;
    let mut body = root.clone();
    for key in head::KEYS {
        body.get_mut().remove(key);
    }
    steps::shape(&cx, &root)?;
    let translate = |e: toml::de::Error| serde_error::translate(&cx, &root, &e);
    let mut scenario =
        Scenario::deserialize(toml::de::Deserializer::from(body)).map_err(translate)?;
    check::scenario(&cx, &root, &scenario)?;
    scenario.name = head.name.clone();
    Ok(ScenarioFile {
        path: cx.path.to_owned(),
        name: head.name,
        header,
        server: head.server,
        seeds: head.seeds,
        expect: head.expect,
        scenario,
    })
}

/// The file being parsed, for turning spans into diagnostics.
pub(crate) struct Cx<'t> {
    pub text: &'t str,
    pub path: &'t Path,
}

impl Cx<'_> {
    pub(crate) fn error(
        &self,
        span: Range<usize>,
        mistake: Mistake,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> ScenarioError {
        let (line, col) = span::line_col(self.text, span.start);
        ScenarioError::Invalid(Box::new(Diagnostic {
            path: self.path.to_owned(),
            line,
            col,
            mistake,
            message: message.into(),
            help: help.into(),
        }))
    }
}
