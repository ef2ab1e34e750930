//! The access log: one line per request with method, path, status, duration and the user when
//! known, as JSON (`--log-format json`) or as text (`--log-format pretty`).

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::support::{
    self,
    api::ApiClient,
    process::{self, Server},
};

/// The access-log events for `path`, waiting briefly for the line to be written.
fn request_events(server: &Server, path: &str) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let found: Vec<_> = server
            .events("request")
            .into_iter()
            .filter(|e| e["path"] == path)
            .collect();
        if !found.is_empty() || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn each_request_is_logged_once_with_its_user_when_known() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let server = Server::start(
        &["--data-dir", &data, "--listen", "127.0.0.1:0"],
        &[],
        dir.path(),
    );
    let created = process::run_with_stdin(
        &[
            "admin",
            "create-user",
            "--email",
            "log@example.com",
            "--password-stdin",
            "--data-dir",
            &data,
        ],
        &[],
        dir.path(),
        "orbit-velvet-lantern-91\n",
    );
    assert!(created.status.success(), "{}", process::stderr(&created));
    let token = process::run(
        &[
            "admin",
            "create-token",
            "--email",
            "log@example.com",
            "--data-dir",
            &data,
        ],
        &[],
        dir.path(),
    );
    assert!(token.status.success(), "{}", process::stderr(&token));
    let token = process::stdout(&token).trim().to_string();

    let api = ApiClient::new(&server.url(""), &token);
    let me = api.get("/api/v1/users/me/").await.expect(200);
    api.with_token("")
        .get("/api/v1/workspaces/")
        .await
        .expect(401);

    let seen = request_events(&server, "/api/v1/users/me/");
    assert_eq!(seen.len(), 1, "one line per request: {seen:?}");
    let line = &seen[0];
    assert_eq!(line["method"], "GET");
    assert_eq!(line["status"], 200);
    assert!(
        line["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{line}"
    );
    assert_eq!(line["user"], me["id"], "the authenticated user is named");
    assert!(
        line["request_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{line}"
    );
    assert!(
        !line.to_string().contains(&token),
        "the token never reaches the log"
    );

    let seen = request_events(&server, "/api/v1/workspaces/");
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["status"], 401);
    assert!(
        seen[0]["user"].is_null(),
        "no user when none is known: {}",
        seen[0]
    );
}

#[tokio::test]
async fn the_pretty_format_writes_readable_lines() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let mut child = Command::new(process::BIN)
        .args([
            "serve",
            "--log-format",
            "pretty",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            &data,
        ])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped()) // `serve` logs to stdout (the journal, `docker logs`)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Read on a thread, so a server that never logs fails the test instead of hanging it.
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = || {
        lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|e| {
                unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
                panic!("no log line within 30 s: {e}")
            })
    };
    // "… plane-aio is serving … listen=127.0.0.1:PORT …"
    let addr = loop {
        let line = next();
        assert!(!line.starts_with('{'), "not JSON: {line}");
        if let Some(rest) = line.split("listen=").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .unwrap()
                .trim_matches('"')
                .to_string();
        }
    };
    let resp = support::client()
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let mut rest = Vec::new();
    // Until the server exits and its stdout closes.
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(30)) {
        rest.push(line);
    }
    assert!(child.wait().unwrap().success());
    let request = rest
        .iter()
        .find(|l| l.contains("path=\"/healthz\""))
        .unwrap_or_else(|| panic!("no access line for /healthz:\n{}", rest.join("\n")));
    assert!(
        request.contains("method=\"GET\"")
            && request.contains("status=200")
            && request.contains("duration_ms="),
        "{request}"
    );
}
