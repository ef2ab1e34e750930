//! The real binary as a child process, for what only a process can show: SIGKILL, SIGTERM,
//! exit codes, the data-folder lock, two nodes on one database.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::Path,
    process::{Child, Command, ExitStatus, Output, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

pub const BIN: &str = env!("CARGO_BIN_EXE_plane-aio");

/// Runs the binary to completion (for commands other than `serve`).
pub fn run(args: &[&str], envs: &[(&str, &str)], cwd: &Path) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(cwd);
    clear_plane_env(&mut cmd);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run plane-aio")
}

/// Runs the binary with `input` on standard input.
pub fn run_with_stdin(args: &[&str], envs: &[(&str, &str)], cwd: &Path, input: &str) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    clear_plane_env(&mut cmd);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run plane-aio");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    child.wait_with_output().expect("wait for plane-aio")
}

fn clear_plane_env(cmd: &mut Command) {
    for (key, _) in std::env::vars() {
        if key.starts_with("PLANE_AIO_") {
            cmd.env_remove(key);
        }
    }
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A `plane-aio serve` child with its log captured.
pub struct Server {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    pub addr: Option<SocketAddr>,
}

impl Server {
    /// Starts `serve` with JSON logs and the given extra arguments; does not wait.
    pub fn spawn(args: &[&str], envs: &[(&str, &str)], cwd: &Path) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .args(["--log-format", "json", "--job-retry-backoff", "100ms"])
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        clear_plane_env(&mut cmd);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn plane-aio serve");
        let log = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if std::env::var_os("PLANE_TEST_LOG").is_some() {
                        eprintln!("[server] {line}");
                    }
                    log.lock().expect("log lock").push(line);
                }
            });
        }
        Server {
            child,
            log,
            addr: None,
        }
    }

    /// Starts `serve` and waits until it listens; panics with its log if it does not.
    pub fn start(args: &[&str], envs: &[(&str, &str)], cwd: &Path) -> Server {
        let mut server = Server::spawn(args, envs, cwd);
        server.addr = Some(server.wait_listening(Duration::from_secs(60)));
        server
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("log lock").clone()
    }

    pub fn log_text(&self) -> String {
        self.log().join("\n")
    }

    /// Log lines (JSON) whose message is `message`.
    pub fn events(&self, message: &str) -> Vec<serde_json::Value> {
        self.log()
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["message"] == message)
            .collect()
    }

    pub fn wait_listening(&mut self, timeout: Duration) -> SocketAddr {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(event) = self.events("plane-aio is serving").first()
                && let Some(addr) = event["listen"].as_str().and_then(|a| a.parse().ok())
            {
                return addr;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "server exited with {status} before listening:\n{}",
                    self.log_text()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "server did not start within {timeout:?}:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr.expect("server address"), path)
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(mut self) -> ExitStatus {
        let _ = self.child.kill();
        self.child.wait().expect("wait after kill")
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: sending a signal to our own child process by pid.
        unsafe {
            libc::kill(self.pid(), signal);
        }
    }

    /// Waits for the process to exit on its own.
    pub fn wait(mut self, timeout: Duration) -> (ExitStatus, String) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                return (status, self.log_text());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "server did not exit within {timeout:?}:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
