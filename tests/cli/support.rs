//! Running the `wsrace` binary and reading what it printed.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The binary under test, built by cargo for this test target.
pub const BIN: &str = env!("CARGO_BIN_EXE_wsrace");

/// The repository root: commands run there, so `scenarios/...` resolves and
/// the replay commands they print name the files the way a user would.
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// No invocation here should take anywhere near this; a hung one is killed so
/// the test fails instead of hanging CI.
const TIMEOUT: Duration = Duration::from_secs(120);

/// What one invocation of `wsrace` did.
pub struct Run {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`wsrace {}` exited {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }
}

impl Run {
    /// Asserts the exit code, showing everything the command printed if not.
    #[track_caller]
    pub fn exits(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "wrong exit code:\n{self}");
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{self}"
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{self}"
        );
        self
    }

    /// A line of stdout equal to `line` (without its newline).
    #[track_caller]
    pub fn stdout_has_line(&self, line: &str) -> &Self {
        assert!(
            self.stdout.lines().any(|l| l == line),
            "stdout has no line {line:?}:\n{self}"
        );
        self
    }

    /// Stdout parsed as one JSON document.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not valid JSON ({e}):\n{self}"))
    }
}

/// Runs `wsrace ARGS` from the repository root with nothing on stdin.
pub fn wsrace<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    exec(args, None)
}

/// Runs `wsrace ARGS` with `input` on stdin.
pub fn wsrace_stdin<I, S>(args: I, input: &[u8]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    exec(args, Some(input))
}

fn exec<I, S>(args: I, input: Option<&[u8]>) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let args: Vec<String> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut child = Command::new(BIN)
        .args(&args)
        .current_dir(ROOT)
        // The seed overrides would silently change what every scenario runs.
        .env_remove("WSRACE_SEED")
        .env_remove("WSRACE_SEEDS")
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"));
    let stdin = child.stdin.take();
    let input = input.map(<[u8]>::to_vec);
    let feeder = thread::spawn(move || {
        if let (Some(mut stdin), Some(input)) = (stdin, input) {
            // The binary may stop reading early; that is its verdict to make.
            let _ = stdin.write_all(&input);
        }
    });
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let code = wait_bounded(&mut child, &args);
    feeder.join().expect("stdin feeder");
    Run {
        args,
        code,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8(bytes).expect("wsrace printed UTF-8")
    })
}

fn wait_bounded(child: &mut Child, args: &[String]) -> i32 {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for wsrace") {
            return status
                .code()
                .unwrap_or_else(|| panic!("`wsrace {}` died: {status}", args.join(" ")));
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`wsrace {}` ran over {TIMEOUT:?}; killed", args.join(" "));
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// A fresh directory under cargo's test tmpdir, removed again when the test
/// passes (kept for a look when it fails).
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("cli")
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn arg(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Copies a corpus file to `dst` with its top-level `key = ...` line (which
/// must exist exactly once, so a reshaped corpus file fails here rather than
/// silently running something else) set to `key = value`. Line numbers stay
/// as they were.
pub fn copy_scenario(src: &str, dst: &Path, key: &str, value: &str) {
    let text = std::fs::read_to_string(Path::new(ROOT).join(src))
        .unwrap_or_else(|e| panic!("read {src}: {e}"));
    let prefix = format!("{key} = ");
    let mut hits = 0;
    let copy: String = text
        .split_inclusive('\n')
        .map(|line| {
            if line.starts_with(&prefix) {
                hits += 1;
                format!("{prefix}{value}\n")
            } else {
                line.to_owned()
            }
        })
        .collect();
    assert_eq!(hits, 1, "{src} should have one `{key} = ...` line");
    std::fs::write(dst, copy).expect("write scenario copy");
}

/// Every report in `text`: from a line starting `FAIL ` through the
/// `wsrace replay ...` line that ends it, byte for byte.
pub fn fail_reports(text: &str) -> Vec<String> {
    let mut reports = Vec::new();
    let mut current: Option<String> = None;
    for line in text.split_inclusive('\n') {
        if current.is_none() && line.starts_with("FAIL ") {
            current = Some(String::new());
        }
        if let Some(report) = current.as_mut() {
            report.push_str(line);
            if line.trim_start().starts_with("wsrace replay ") {
                reports.extend(current.take());
            }
        }
    }
    reports
}

/// The first report in `text`, or a panic that shows the text.
#[track_caller]
pub fn first_fail_report(text: &str) -> String {
    fail_reports(text)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no `FAIL ...` report ending in a replay command in:\n{text}"))
}

/// The report's replay command as argv, without the leading `wsrace`.
#[track_caller]
pub fn replay_argv(report: &str) -> Vec<String> {
    let line = report
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("wsrace replay "))
        .unwrap_or_else(|| panic!("no replay command in:\n{report}"));
    let mut words = shell_words(line.trim());
    assert_eq!(words.remove(0), "wsrace");
    words
}

/// Splits a command line the way a POSIX shell would for the quoting
/// `wsrace_sim::report::shell_quote` produces: whitespace separates words,
/// `'...'` quotes literally, `\` escapes one character outside quotes.
pub fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    w.push(q);
                }
            }
            '\\' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.next());
            }
            c if c.is_whitespace() => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

#[test]
fn shell_words_undoes_the_quoting_of_replay_commands() {
    assert_eq!(
        shell_words(r"wsrace replay --scenario 'a b/it'\''s.toml' --seed 0"),
        [
            "wsrace",
            "replay",
            "--scenario",
            "a b/it's.toml",
            "--seed",
            "0"
        ]
    );
}
