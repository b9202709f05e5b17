//! The check shared by the loader's error tests: a table of broken scenario
//! files, each with where its error must point and what it must say.

use std::path::{Path, PathBuf};

use wsrace_sim::scenario_file::{self, Mistake};

/// One broken file: where the error must point and what it must say.
pub struct Bad {
    pub file: &'static str,
    pub at: (usize, usize),
    pub mistake: Mistake,
    pub message: &'static str,
    pub help: &'static str,
}

/// A fixture under `sim/tests/sim/<dir>/`.
pub fn fixture(dir: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sim")
        .join(dir)
        .join(name)
}

/// Every file in `table` fails to load with exactly its expected error, and
/// every file in `dir` is in the table (a new fixture must say what it tests).
pub fn check_table(dir: &str, table: &[Bad]) {
    let mut wrong = Vec::new();
    for bad in table {
        let path = fixture(dir, bad.file);
        let err = match scenario_file::load(&path) {
            Ok(_) => {
                wrong.push(format!("{}: loaded, expected an error", bad.file));
                continue;
            }
            Err(e) => e,
        };
        let d = err.diagnostic().expect("a diagnostic, not an I/O error");
        let ok = (d.line, d.col) == bad.at
            && d.mistake == bad.mistake
            && d.message.contains(bad.message)
            && d.help.contains(bad.help)
            && err.to_string().starts_with(&format!(
                "{}:{}:{}: ",
                path.display(),
                bad.at.0,
                bad.at.1
            ));
        if !ok {
            wrong.push(format!(
                "{}:\n  expected {}:{} {:?}: {} / {}\n  got      {err}  ({:?})",
                bad.file, bad.at.0, bad.at.1, bad.mistake, bad.message, bad.help, d.mistake
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    let listed: Vec<PathBuf> = table.iter().map(|b| fixture(dir, b.file)).collect();
    let on_disk = scenario_file::list_dir(fixture(dir, "")).expect("the fixture directory lists");
    for path in &on_disk {
        assert!(
            listed.contains(path),
            "{} is not in the table",
            path.display()
        );
    }
    assert_eq!(
        on_disk.len(),
        listed.len(),
        "a table entry without its file"
    );
}
