//! A Python virtualenv at `<target>/wsrace-venv` with pinned PyPI packages, for tests that
//! run Python helpers. Shared by several test binaries, possibly in other crates of the
//! workspace; include it with
//! `#[path = "<relative path to crates/frame>/tests/support/venv.rs"] mod venv;`
//! and call [`python`] with the packages that test needs.
//!
//! Several test processes may call [`python`] at once (`cargo test` runs test binaries
//! one after another, but two `cargo test` runs, or a test binary run by hand, share the
//! target directory). Creating the virtualenv and installing into it happen under an
//! exclusive OS file lock on `<target>/wsrace-venv.lock` (`File::lock`): waiters block
//! until it is free, and the OS releases it when its owner exits, however it exits. A
//! virtualenv is marked ready (`.wsrace-ready`) only once `python3 -m venv` succeeded;
//! one without the mark is a half-made one and is made again.
//!
//! Packages accumulate: each caller installs what it lacks, at the pinned version, and
//! leaves the others in place.

#![allow(dead_code)]

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What the failure messages end with.
pub const SETUP_HINT: &str = "Tests that use the shared virtualenv need python3 with the venv \
     module, and pip access to PyPI (or the wheels in pip's find-links) the first time; they \
     do not skip. Delete target/wsrace-venv to start over.";

/// The Cargo target directory this test binary was built in.
pub fn target_dir() -> PathBuf {
    // <target>/<profile>/deps/<test>-<hash>
    let exe = std::env::current_exe().expect("current_exe");
    exe.ancestors()
        .nth(3)
        .expect("test binary lives under <target>/<profile>/deps")
        .to_path_buf()
}

/// The virtualenv's interpreter, with every `(name, version)` in `packages` installed at
/// exactly that version. Makes the virtualenv and installs what is missing, under the
/// lock; the error says what failed and ends with [`SETUP_HINT`].
pub fn python(packages: &[(&str, &str)]) -> Result<PathBuf, String> {
    let target = target_dir();
    let venv = target.join("wsrace-venv");
    let py = venv.join("bin").join("python");
    let ready = venv.join(".wsrace-ready");
    if ready.exists() && has_packages(&py, packages) {
        return Ok(py);
    }
    let _lock = Lock::acquire(&target.join("wsrace-venv.lock"))?;
    if !ready.exists() {
        if venv.exists() {
            fs::remove_dir_all(&venv)
                .map_err(|e| format!("cannot remove the half-made {}: {e}", venv.display()))?;
        }
        run(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "create the virtualenv",
        )?;
        fs::write(&ready, b"")
            .map_err(|e| format!("cannot write {}: {e}. {SETUP_HINT}", ready.display()))?;
    }
    if !has_packages(&py, packages) {
        let pins: Vec<String> = packages.iter().map(|(n, v)| format!("{n}=={v}")).collect();
        run(
            Command::new(&py)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(&pins),
            &format!("install {} into target/wsrace-venv", pins.join(" ")),
        )?;
    }
    Ok(py)
}

/// Whether every package is installed at its pinned version.
fn has_packages(py: &Path, packages: &[(&str, &str)]) -> bool {
    let pins: Vec<String> = packages
        .iter()
        .map(|(n, v)| format!("({n:?}, {v:?})"))
        .collect();
    let check = format!(
        "import importlib.metadata as m, sys\n\
         def ok(n, v):\n    try: return m.version(n) == v\n    except m.PackageNotFoundError: return False\n\
         sys.exit(not all(ok(n, v) for n, v in [{}]))",
        pins.join(", ")
    );
    Command::new(py)
        .args(["-c", &check])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs a set-up command; the error carries its output and [`SETUP_HINT`].
pub fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot {what}: {cmd:?} did not start: {e}. {SETUP_HINT}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "cannot {what}: {cmd:?} exited with {}\n--- stdout\n{}\n--- stderr\n{}\n{SETUP_HINT}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    ))
}

/// Held while the virtualenv is made or changed; the OS lock goes with the file.
struct Lock(File);

impl Lock {
    fn acquire(path: &Path) -> Result<Lock, String> {
        let file =
            File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        file.lock()
            .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
        Ok(Lock(file))
    }
}
