//! The web UI end to end in headless Chromium (web/e2e/run.mjs), against the real server:
//! first-run set-up, the shell, profile, sessions, API tokens, instance settings, sign-in.
//! Screenshots land in the target folder's tmp dir (`web-ui-screenshots/`).

use std::path::PathBuf;

use crate::support::{Engine, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_sign_in_profile_tokens_and_settings_work_in_a_browser() {
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
    let out = tokio::process::Command::new("node")
        .arg("e2e/run.mjs")
        .arg(&base)
        .arg(&shots)
        .arg(env!("CARGO_PKG_VERSION"))
        .env("CHROMIUM", &chromium)
        .current_dir(&web)
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("web UI e2e: ok"), "{stdout}");
    assert!(shots.join("home.png").is_file());
}
