//! The web UI end to end in headless Chromium, against the real server: web/e2e/run.mjs
//! (first-run set-up, the shell, profile, sessions, API tokens, instance settings, sign-in),
//! then web/e2e/workspaces.mjs (workspaces, projects and their settings, invitations with and
//! without email, the invitation landing page). Screenshots land in the target folder's tmp dir
//! (`web-ui-screenshots/`).

use std::path::PathBuf;

use crate::support::{Engine, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_account_screens_workspaces_and_projects_work_in_a_browser() {
    let web = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !PathBuf::from(&chromium).exists() {
        if std::env::var("PLANE_TEST_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("PLANE_TEST_REQUIRE_TOOLS=1 but Chromium is not installed at {chromium}");
        }
        eprintln!("skipped: Chromium is not installed at {chromium} (apt-get install chromium)");
        return;
    }
    assert!(
        web.join("node_modules/playwright-core").exists(),
        "web/node_modules is installed by the build"
    );
    let app = TestApp::spawn(Engine::Sqlite).await;
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-ui-screenshots");
    let base = format!("http://{}", app.addr);
    let run = |script: &'static str, extra: &[&str]| {
        let mut command = tokio::process::Command::new("node");
        command
            .arg(script)
            .arg(&base)
            .arg(&shots)
            .args(extra)
            .env("CHROMIUM", &chromium)
            .current_dir(&web);
        command
    };
    let out = run("e2e/run.mjs", &[env!("CARGO_PKG_VERSION")])
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("web UI e2e: ok"), "{stdout}");
    assert!(shots.join("home.png").is_file());

    // Workspaces, projects and invitations, as the admin run.mjs created.
    let out = run("e2e/workspaces.mjs", &[])
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("workspaces e2e: ok"), "{stdout}");
    for screen in [
        "project-states",
        "workspace-invitations",
        "invitation-landing",
    ] {
        assert!(shots.join(format!("{screen}.png")).is_file(), "{screen}");
    }
}
