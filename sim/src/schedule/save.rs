//! A failing schedule kept as a scenario file: proptest only remembers an opaque
//! seed, this file stays readable and keeps its meaning when code changes.
//!
//! ```toml
//! # Reproduces: wire.close conn #1 at 0.061000s: ..., found by proptest (zoo:go-original, seed 7)
//! # 2 steps; replay: wsrace run target/wsrace/found/zoo-go-original-5f3a....toml
//! name = "zoo-go-original-5f3a..."
//! server = "zoo:go-original"
//! seeds = [7]
//! tick_ms = 10
//! ...
//! [expect]
//! result = "fail"
//! oracle = "wire.close"
//! ...the rest of the scenario
//! ```

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Schedule;
use crate::oracle::Finding;
use crate::report::shell_quote;
use crate::rng::fnv1a64;
use crate::scenario_file;

/// Where a failing schedule was written and how to run it again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Saved {
    pub path: PathBuf,
    /// `wsrace run <file>`.
    pub run_command: String,
    /// `wsrace replay --scenario <file> --server <server> --seed <seed>`.
    pub replay_command: String,
    /// The file's text.
    pub text: String,
}

#[derive(Serialize)]
struct FileOut<'a> {
    name: &'a str,
    server: &'a str,
    seeds: [u64; 1],
    expect: ExpectOut<'a>,
    #[serde(flatten)]
    body: toml::Table,
}

#[derive(Serialize)]
struct ExpectOut<'a> {
    result: &'a str,
    oracle: &'a str,
}

/// The file's text and its name (`<server>-<hash of the schedule>`, `:` as `-`).
pub fn render(schedule: &Schedule, server: &str, finding: &Finding) -> (String, String) {
    let scenario = schedule.to_scenario("found");
    let mut body = toml::Table::try_from(&scenario).expect("a scenario serializes to TOML");
    body.remove("name");
    let body_text = toml::to_string(&body).expect("a TOML table serializes");
    let hash = fnv1a64(format!("{server}\n{}\n{body_text}", schedule.seed).as_bytes());
    let name = format!("{}-{hash:016x}", server.replace(':', "-"));
    let out = FileOut {
        name: &name,
        server,
        seeds: [schedule.seed],
        expect: ExpectOut {
            result: "fail",
            oracle: finding.oracle,
        },
        body,
    };
    let toml = toml::to_string(&out).expect("a scenario file serializes");
    let header = format!(
        "# Reproduces: {}, found by proptest ({server}, seed {})\n\
         # A schedule of {} steps (agent steps + world steps), shrunk by wsrace's proptest search.\n",
        one_line(&finding.to_string()),
        schedule.seed,
        schedule.steps(),
    );
    (name, format!("{header}{toml}"))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Writes the failing `schedule` under `dir` and checks that the file loads
/// back as the same scenario, server, seed and expected oracle.
pub fn save(dir: &Path, schedule: &Schedule, server: &str, finding: &Finding) -> io::Result<Saved> {
    let (name, text) = render(schedule, server, finding);
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, &text)?;
    check_loads(&path, schedule, server, finding)?;
    let p = shell_quote(&path.display().to_string());
    Ok(Saved {
        run_command: format!("wsrace run {p}"),
        replay_command: format!(
            "wsrace replay --scenario {p} --server {} --seed {}",
            shell_quote(server),
            schedule.seed
        ),
        path,
        text,
    })
}

fn check_loads(
    path: &Path,
    schedule: &Schedule,
    server: &str,
    finding: &Finding,
) -> io::Result<()> {
    let bad = |what: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}: the saved scenario does not load back: {what}",
                path.display()
            ),
        )
    };
    let file = scenario_file::load(path).map_err(|e| bad(e.to_string()))?;
    let mut want = schedule.to_scenario(&file.name);
    want.name = file.scenario.name.clone();
    if file.scenario != want {
        return Err(bad(format!(
            "scenario differs:\nwrote  {want:?}\nloaded {:?}",
            file.scenario
        )));
    }
    let expect = scenario_file::Expect::Fail {
        oracles: vec![finding.oracle.to_owned()],
    };
    if file.server != server || file.seeds != [schedule.seed] || file.expect != expect {
        return Err(bad(format!(
            "head differs: server {:?}, seeds {:?}, expect {:?}",
            file.server, file.seeds, file.expect
        )));
    }
    Ok(())
}
