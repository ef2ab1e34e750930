//! Nodes, and the admin CLI, whose clocks disagree still agree on which sessions a password
//! reset ended: the moment sessions were voided and each session's start are both read off the
//! database's clock (Postgres; SQLite has one machine's clock).

use reqwest::StatusCode;

use crate::support::{ADMIN_EMAIL, Engine, PASSWORD, TestApp, postgres, process};

const NEW_PASSWORD: &str = "copper-kettle-orchard-93";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_from_a_shell_whose_clock_runs_an_hour_ahead_ends_only_older_sessions() {
    if !postgres::available().await {
        return;
    }
    if std::process::Command::new("faketime")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: faketime is not installed; the clock-skew test did not run");
        return;
    }
    let app = TestApp::spawn(Engine::Postgres).await;
    let before = app.admin().await;
    let pg_url = app.pg.as_ref().unwrap().url.clone();
    let data = app.data_dir.path().display().to_string();
    let reset = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new("faketime")
            .args(["-f", "+1h", process::BIN, "admin", "reset-password"])
            .args(["--email", ADMIN_EMAIL, "--password-stdin"])
            .args(["--data-dir", &data, "--database-url", &pg_url])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{NEW_PASSWORD}").unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(reset.status.success(), "{}", process::stderr(&reset));

    // The session from before the reset is over.
    assert_eq!(
        before.get("/api/users/me/").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // One begun after it holds, although the shell's clock put the reset an hour later.
    let after = app.browser();
    assert_eq!(
        after.sign_in(ADMIN_EMAIL, NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(after.get("/api/users/me/").await.status(), StatusCode::OK);
    assert_eq!(
        app.browser().sign_in(ADMIN_EMAIL, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "the old password is gone"
    );
}
