//! Generates one `#[test]` per `scenarios/*.toml` file for `tests/scenarios.rs`,
//! so adding a file adds a test (filterable by name: `cargo test heartbeat`)
//! without touching Rust.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&root).join("scenarios");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::new();
    for path in &files {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let name: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let name = if name.starts_with(|c: char| c.is_ascii_digit()) {
            format!("s_{name}")
        } else {
            name
        };
        let _ = writeln!(
            out,
            "#[test]\nfn {name}() {{\n    run_scenario_file({:?});\n}}\n",
            path.display().to_string()
        );
    }
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("scenario_tests.rs");
    std::fs::write(&target, out).expect("OUT_DIR is writable");
}
