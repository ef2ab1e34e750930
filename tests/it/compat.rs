//! Plane's official Python SDK against the server: `tests/compat/sdk_suite.py` drives users,
//! workspace members, invitations, projects, project members, states, labels and estimates
//! through `plane-sdk` (pinned in `tests/compat/requirements.txt`, used unchanged), so every
//! response passes the SDK's own pydantic models. The virtualenv comes from `tests/run.sh`.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use crate::{
    on_both_engines,
    support::{Engine, TestApp, tools},
};

/// The whole suite takes seconds; this only stops a hung run.
const SUITE_TIMEOUT: Duration = Duration::from_secs(300);

fn compat_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat")
}

/// The virtualenv's interpreter `tests/run.sh` prepares: `PLANE_TEST_COMPAT_PYTHON`, else
/// `compat-venv` in the tools folder. None after saying why the test is skipped.
fn python() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("PLANE_TEST_COMPAT_PYTHON") {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Some(path);
        }
        tools::missing(&format!(
            "PLANE_TEST_COMPAT_PYTHON={} does not exist (run tests/run.sh)",
            path.display()
        ));
        return None;
    }
    let mut candidates = Vec::new();
    if let Ok(dir) = std::env::var("PLANE_TEST_TOOLS") {
        candidates.push(PathBuf::from(dir).join("compat-venv/bin/python"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join(".cache/plane-aio/tools/compat-venv/bin/python"));
    }
    let found = candidates.into_iter().find(|p| p.is_file());
    if found.is_none() {
        tools::missing(
            "the plane-sdk virtualenv is not installed (tests/run.sh creates it from tests/compat/requirements.txt)",
        );
    }
    found
}

on_both_engines!(
    the_python_sdk_accepts_every_answer,
    |engine: Engine| async move {
        let Some(python) = python() else { return };
        let app = TestApp::spawn(engine).await;
        let owner = app.api_user("owner@example.com").await;
        let member = app.api_user("member@example.com").await;
        let slug = "sdk-compat";
        app.workspace(&owner, slug).await;
        app.add_member(slug, &member, 15).await;

        let base_url = app.url("");
        let mut command = tokio::process::Command::new(&python);
        command
            .arg(compat_dir().join("sdk_suite.py"))
            .current_dir(compat_dir())
            .env("PLANE_BASE_URL", &base_url)
            .env("PLANE_API_KEY", &owner.token)
            .env("PLANE_EMAIL", &owner.email)
            .env("WORKSPACE_SLUG", slug)
            .env("PLANE_MEMBER_API_KEY", &member.token)
            .env("PLANE_MEMBER_EMAIL", &member.email)
            // The server is on loopback: no proxy, no bytecode files in the source tree.
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = command.spawn().expect("start the SDK suite");
        let output = tokio::time::timeout(SUITE_TIMEOUT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("the SDK suite ran longer than {SUITE_TIMEOUT:?}"))
            .expect("wait for the SDK suite");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "the SDK suite failed ({engine:?}, {}):\n{stdout}\n{stderr}",
            output.status
        );
        // The suite ends with a count line; a run that checked nothing is a failure too.
        let summary = stdout
            .lines()
            .rev()
            .find(|l| l.starts_with("passed: "))
            .unwrap_or_else(|| panic!("no summary line:\n{stdout}\n{stderr}"));
        let checks: usize = summary["passed: ".len()..]
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(checks >= 50, "too few checks ran: {summary}\n{stdout}");
        eprintln!("{engine:?}: {summary}");
    }
);

// The SDK suite found `GET …/projects/` answering 500 whenever it listed anything (the member
// count joined users without naming the table of `id`); this keeps it checked without Python.
on_both_engines!(
    the_project_list_counts_members,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let owner = app.api_user("owner@example.com").await;
        let member = app.api_user("member@example.com").await;
        app.workspace(&owner, "acme").await;
        app.add_member("acme", &member, 15).await;
        let alpha = app.project(&owner, "acme", "ALP").await;
        app.project(&owner, "acme", "BET").await;
        owner
            .post(
                &format!(
                    "/workspaces/acme/projects/{}/members/",
                    alpha["id"].as_str().unwrap()
                ),
                serde_json::json!({"member": member.user_id, "role": 15}),
            )
            .await
            .expect(201);

        let page = owner
            .get("/workspaces/acme/projects/?per_page=1&order_by=identifier")
            .await
            .expect(200);
        assert_eq!(page["total_count"], 2, "{page}");
        assert_eq!(page["results"][0]["identifier"], "ALP", "{page}");
        assert_eq!(page["results"][0]["total_members"], 2, "{page}");
        let page = owner
            .get(&format!(
                "/workspaces/acme/projects/?per_page=1&order_by=identifier&cursor={}",
                page["next_cursor"].as_str().unwrap()
            ))
            .await
            .expect(200);
        assert_eq!(page["results"][0]["identifier"], "BET", "{page}");
        assert_eq!(page["results"][0]["total_members"], 1, "{page}");
    }
);
