//! A `wsrace serve` child process on 127.0.0.1 at a port the OS picks: started with
//! a temporary tokens file, its address read from the `listening on` line, its
//! stderr kept for failure messages, killed when dropped.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long the server may take to print its address.
const START_DEADLINE: Duration = Duration::from_secs(10);

pub struct Server {
    child: Child,
    addr: SocketAddr,
    tokens: PathBuf,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `wsrace serve --listen 127.0.0.1:0` with `tokens` (agent id, token)
    /// and the extra flags `args`.
    pub fn start(tokens: &[(&str, &str)], args: &[&str]) -> Server {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "serve_tcp-tokens-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let text: String = tokens.iter().map(|(a, t)| format!("{a} {t}\n")).collect();
        std::fs::write(&path, text).expect("write the tokens file");

        let mut child = Command::new(env!("CARGO_BIN_EXE_wsrace"))
            .args(["serve", "--listen", "127.0.0.1:0", "--tokens"])
            .arg(&path)
            .args(args)
            .env("RUST_LOG", "wsrace_hub=debug,wsrace=info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn wsrace serve");

        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = err.read(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });

        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().expect("piped stdout");
        thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tokens: path,
            stderr,
        };
        let line = match rx.recv_timeout(START_DEADLINE) {
            Ok(line) => line,
            Err(e) => panic!(
                "wsrace serve printed no `listening on` line within {START_DEADLINE:?} ({e})\n{}",
                server.log()
            ),
        };
        server.addr = line
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "expected `listening on ADDR`, got {line:?}\n{}",
                    server.log()
                )
            });
        assert!(
            server.addr.ip().is_loopback(),
            "listening on {}",
            server.addr
        );
        server
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("ws://{}/agent", self.addr)
    }

    /// Everything the server logged so far, framed for a failure message.
    pub fn log(&self) -> String {
        format!(
            "--- wsrace serve stderr\n{}--- end",
            self.stderr.lock().unwrap()
        )
    }

    /// Sends SIGTERM (through kill(1): the tests do not link libc).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill -TERM");
        assert!(status.success(), "kill -TERM {} failed", self.child.id());
    }

    /// Waits for the process to exit; panics after `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if start.elapsed() > limit {
                panic!("wsrace serve did not exit within {limit:?}\n{}", self.log());
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.tokens);
    }
}
