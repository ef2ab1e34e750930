//! `plane-aio admin …` against a running server, on SQLite and on Postgres.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{
        ADMIN_EMAIL, Engine, PASSWORD, TestApp,
        process::{self, run, run_with_stdin},
    },
};

fn data_args(app: &TestApp) -> Vec<String> {
    let mut args = vec![
        "--data-dir".to_string(),
        app.data_dir.path().display().to_string(),
    ];
    if let Some(pg) = &app.pg {
        args.extend(["--database-url".to_string(), pg.url.clone()]);
    }
    args
}

pub async fn admin_cli(
    app: &TestApp,
    command: &[&str],
    stdin: Option<&str>,
) -> std::process::Output {
    let mut args: Vec<String> = std::iter::once("admin".to_string())
        .chain(command.iter().map(|s| s.to_string()))
        .collect();
    args.extend(data_args(app));
    let dir = app.data_dir.path().to_path_buf();
    let stdin = stdin.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        match stdin {
            Some(input) => run_with_stdin(&args, &[], &dir, &input),
            None => run(&args, &[], &dir),
        }
    })
    .await
    .unwrap()
}

/// `admin reset-password` for `email`, the new password on stdin.
async fn reset_password(app: &TestApp, email: &str, password: &str) -> std::process::Output {
    let stdin = format!("{password}\n");
    admin_cli(
        app,
        &["reset-password", "--email", email, "--password-stdin"],
        Some(&stdin),
    )
    .await
}

pub fn failure(out: &std::process::Output) -> String {
    assert!(
        !out.status.success(),
        "expected a failure: {}",
        process::stdout(out)
    );
    process::stderr(out)
}

/// A failure's one `error: …` line (exit code 1).
fn one_error(out: &std::process::Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{}", process::stderr(out));
    let stderr = process::stderr(out);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one error line: {stderr}");
    errors[0].to_string()
}

on_both_engines!(
    accounts_are_managed_from_the_shell_while_the_server_runs,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let info: Value = app.get("/api/instances/").await.json().await.unwrap();
        assert_eq!(info["instance"]["is_setup_done"], false);

        let out = admin_cli(
            &app,
            &[
                "create-user",
                "--email",
                "Ops@Example.com",
                "--password-stdin",
                "--instance-admin",
            ],
            Some(&format!("{PASSWORD}\n")),
        )
        .await;
        assert!(out.status.success(), "{}", process::stderr(&out));
        assert!(
            process::stdout(&out).contains("created ops@example.com"),
            "{}",
            process::stdout(&out)
        );
        let info: Value = app.get("/api/instances/").await.json().await.unwrap();
        assert_eq!(
            info["instance"]["is_setup_done"], true,
            "the first-run path closes"
        );

        let err = failure(
            &admin_cli(
                &app,
                &[
                    "create-user",
                    "--email",
                    "ops@example.com",
                    "--password",
                    PASSWORD,
                ],
                None,
            )
            .await,
        );
        assert!(err.contains("already exists"), "{err}");
        let err = failure(
            &admin_cli(
                &app,
                &[
                    "create-user",
                    "--email",
                    "weak@example.com",
                    "--password",
                    "password",
                ],
                None,
            )
            .await,
        );
        assert!(err.contains("too weak"), "{err}");
        let err = failure(
            &admin_cli(
                &app,
                &[
                    "create-user",
                    "--email",
                    "not-an-email",
                    "--password",
                    PASSWORD,
                ],
                None,
            )
            .await,
        );
        assert!(err.contains("not a valid email"), "{err}");
        let err = failure(
            &admin_cli(
                &app,
                &[
                    "reset-password",
                    "--email",
                    "ghost@example.com",
                    "--password-stdin",
                ],
                Some("x\n"),
            )
            .await,
        );
        assert!(
            err.contains("no user with email ghost@example.com"),
            "{err}"
        );
        let err = one_error(
            &admin_cli(
                &app,
                &[
                    "reset-password",
                    "--email",
                    "ops@example.com",
                    "--password-stdin",
                ],
                Some("password123\n"),
            )
            .await,
        );
        assert!(err.starts_with("error: the password is too weak"), "{err}");
        let err = one_error(
            &admin_cli(
                &app,
                &["disable-user", "--email", "ghost@example.com"],
                None,
            )
            .await,
        );
        assert_eq!(err, "error: no user with email ghost@example.com");

        // A token made by the CLI works against the running server.
        let out = admin_cli(
            &app,
            &[
                "create-token",
                "--email",
                "ops@example.com",
                "--label",
                "deploy",
                "--expires-in",
                "30d",
            ],
            None,
        )
        .await;
        assert!(out.status.success(), "{}", process::stderr(&out));
        let token = process::stdout(&out).trim().to_string();
        assert!(token.starts_with("plane_api_"), "{token}");
        let me = app
            .client
            .get(app.url("/api/v1/users/me/"))
            .header("x-api-key", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::OK);

        // Reset: the user's existing session stops working at once.
        let browser = app.browser();
        assert_eq!(
            browser.sign_in("ops@example.com", PASSWORD).await.status(),
            StatusCode::OK
        );
        let out = reset_password(&app, "ops@example.com", "harbor-lantern-quiet-47").await;
        assert!(out.status.success(), "{}", process::stderr(&out));
        assert_eq!(
            browser.get("/api/users/me/").await.status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.browser()
                .sign_in("ops@example.com", "harbor-lantern-quiet-47")
                .await
                .status(),
            StatusCode::OK
        );

        let out = admin_cli(&app, &["list-users", "--json"], None).await;
        let users: Vec<Value> = process::stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0]["is_instance_admin"], true);

        // Disabled: sessions and tokens stop.
        let out = admin_cli(&app, &["disable-user", "--email", "ops@example.com"], None).await;
        assert!(out.status.success(), "{}", process::stderr(&out));
        let me = app
            .client
            .get(app.url("/api/v1/users/me/"))
            .header("x-api-key", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            app.browser()
                .sign_in("ops@example.com", "harbor-lantern-quiet-47")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
        let err =
            failure(&admin_cli(&app, &["create-token", "--email", "ops@example.com"], None).await);
        assert!(err.contains("disabled"), "{err}");
    }
);

fn json_lines(out: &std::process::Output) -> Vec<Value> {
    assert!(out.status.success(), "{}", process::stderr(out));
    process::stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

on_both_engines!(
    the_first_account_made_from_the_shell_is_the_instance_admin,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let create = |email: &'static str| {
            let app = &app;
            async move {
                admin_cli(
                    app,
                    &["create-user", "--email", email, "--password", PASSWORD],
                    None,
                )
                .await
            }
        };
        let first = create("first@example.com").await;
        assert!(first.status.success(), "{}", process::stderr(&first));
        let said = process::stdout(&first);
        assert!(
            said.contains("first@example.com is the instance admin"),
            "{said}"
        );
        let second = create("second@example.com").await;
        assert!(second.status.success(), "{}", process::stderr(&second));
        assert!(!process::stdout(&second).contains("admin"));

        let users = json_lines(&admin_cli(&app, &["list-users", "--json"], None).await);
        let admin_of = |email: &str| {
            users.iter().find(|u| u["email"] == email).unwrap()["is_instance_admin"].clone()
        };
        assert_eq!(admin_of("first@example.com"), true);
        assert_eq!(admin_of("second@example.com"), false);
        let first = app.browser();
        first.sign_in("first@example.com", PASSWORD).await;
        let me: Value = first.get("/api/users/me/").await.json().await.unwrap();
        assert_eq!(me["is_instance_admin"], true);
    }
);

on_both_engines!(
    a_disabled_users_sessions_stay_ended_when_it_is_enabled_again,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let bob = app.user("bob@example.com").await;
        let me = bob.get("/api/users/me/").await;
        assert_eq!(me.status(), StatusCode::OK);
        let bob_id = me.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let set_active = |active: bool| {
            let (admin, path) = (&admin, format!("/api/instances/users/{bob_id}/"));
            async move {
                let resp = admin.patch(&path, json!({ "is_active": active })).await;
                assert_eq!(resp.status(), StatusCode::OK);
            }
        };

        // Disabled from the shell, then enabled again in the admin UI.
        let out = admin_cli(&app, &["disable-user", "--email", "bob@example.com"], None).await;
        assert!(out.status.success(), "{}", process::stderr(&out));
        set_active(true).await;
        assert_eq!(
            bob.get("/api/users/me/").await.status(),
            StatusCode::UNAUTHORIZED,
            "the session from before the disabling stays ended"
        );

        // A new sign-in works; disabled and enabled in the admin UI, it ends for good too.
        let again = app.browser();
        assert_eq!(
            again.sign_in("bob@example.com", PASSWORD).await.status(),
            StatusCode::OK
        );
        assert_eq!(again.get("/api/users/me/").await.status(), StatusCode::OK);
        set_active(false).await;
        set_active(true).await;
        assert_eq!(
            again.get("/api/users/me/").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
);

on_both_engines!(
    tokens_are_listed_revoked_and_made_for_services_from_the_shell,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        app.admin().await;
        let make = |args: &'static [&'static str]| {
            let app = &app;
            async move {
                let mut command = vec!["create-token", "--email", ADMIN_EMAIL];
                command.extend_from_slice(args);
                let out = admin_cli(app, &command, None).await;
                assert!(out.status.success(), "{}", process::stderr(&out));
                process::stdout(&out).trim().to_string()
            }
        };
        let personal = make(&["--label", "deploy", "--expires-in", "30d"]).await;
        let service = make(&["--label", "robot", "--service"]).await;
        let call = |token: String| {
            let app = &app;
            async move {
                app.client
                    .get(app.url("/api/v1/users/me/"))
                    .header("x-api-key", token)
                    .send()
                    .await
                    .unwrap()
            }
        };

        // A service token is limited at 300 a minute (the configured limit is far higher).
        let resp = call(service.clone()).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["x-ratelimit-remaining"], "299");
        assert_eq!(call(personal.clone()).await.status(), StatusCode::OK);

        let out = admin_cli(&app, &["list-tokens", "--email", ADMIN_EMAIL], None).await;
        assert!(out.status.success(), "{}", process::stderr(&out));
        let table = process::stdout(&out);
        for expected in [
            "LABEL",
            "CREATED",
            "LAST USED",
            "EXPIRES",
            "deploy",
            "robot",
            "service",
        ] {
            assert!(table.contains(expected), "{expected}: {table}");
        }
        let list_tokens = || async {
            json_lines(
                &admin_cli(
                    &app,
                    &["list-tokens", "--email", ADMIN_EMAIL, "--json"],
                    None,
                )
                .await,
            )
        };
        // Each token was used once above; the server writes uses every 30 s, now here.
        app.state.token_usage().flush(app.state.db()).await;
        let listed = list_tokens().await;
        assert_eq!(listed.len(), 2);
        let text = format!("{table}{listed:?}");
        assert!(
            !text.contains(&personal[10..]) && !text.contains(&service[10..]),
            "never the secret"
        );
        let deploy = listed.iter().find(|t| t["label"] == "deploy").unwrap();
        assert_eq!(deploy["is_service"], false);
        let expires_in =
            chrono::DateTime::parse_from_rfc3339(deploy["expired_at"].as_str().unwrap())
                .expect("an RFC 3339 time")
                .with_timezone(&chrono::Utc)
                - chrono::Utc::now();
        assert!(
            (chrono::TimeDelta::days(30) - chrono::TimeDelta::minutes(5)
                ..=chrono::TimeDelta::days(30))
                .contains(&expires_in),
            "--expires-in 30d: {expires_in}"
        );
        assert!(deploy["created_at"].is_string());
        let last_used = deploy["last_used"]
            .as_str()
            .unwrap_or_else(|| panic!("a use was recorded: {deploy}"));
        let age = chrono::Utc::now()
            - chrono::DateTime::parse_from_rfc3339(last_used)
                .expect("an RFC 3339 time")
                .with_timezone(&chrono::Utc);
        assert!(
            (chrono::TimeDelta::zero()..chrono::TimeDelta::minutes(1)).contains(&age),
            "used just now: {last_used}"
        );
        let id = deploy["id"].as_str().unwrap().to_string();

        let out = admin_cli(&app, &["revoke-token", "--id", &id], None).await;
        assert!(out.status.success(), "{}", process::stderr(&out));
        let refused = call(personal).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            refused.json::<Value>().await.unwrap(),
            json!({"detail": "Given API token is not valid"})
        );
        assert_eq!(
            call(service).await.status(),
            StatusCode::OK,
            "only that one"
        );
        let err = failure(&admin_cli(&app, &["revoke-token", "--id", &id], None).await);
        assert!(err.contains("no API token with id"), "{err}");
        let listed = list_tokens().await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["label"], "robot");
    }
);

on_both_engines!(
    a_password_reset_from_the_shell_lifts_a_sign_in_lock_out,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let out = admin_cli(
            &app,
            &[
                "create-user",
                "--email",
                "ops@example.com",
                "--password-stdin",
            ],
            Some(&format!("{PASSWORD}\n")),
        )
        .await;
        assert!(out.status.success(), "{}", process::stderr(&out));
        let browser = app.browser();
        for _ in 0..10 {
            assert_eq!(
                browser
                    .sign_in("ops@example.com", "not-the-password")
                    .await
                    .status(),
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(
            browser.sign_in("ops@example.com", PASSWORD).await.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "locked out, the right password too"
        );

        // The shell cannot reach the server's key-value store (SQLite mode), yet the new
        // password works at once: the guesses were at the old one.
        let out = reset_password(&app, "ops@example.com", "harbor-lantern-quiet-47").await;
        assert!(out.status.success(), "{}", process::stderr(&out));
        assert_eq!(
            browser
                .sign_in("ops@example.com", "harbor-lantern-quiet-47")
                .await
                .status(),
            StatusCode::OK
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_binary_does_not_migrate_a_database_its_server_is_using() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn(Engine::Sqlite).await;
    // As if this binary had a migration the running server lacks.
    app.state
        .db()
        .conn
        .execute_unprepared(
            "DELETE FROM seaql_migrations WHERE version = \
             (SELECT MAX(version) FROM seaql_migrations)",
        )
        .await
        .unwrap();
    let refused = admin_cli(&app, &["list-users"], None).await;
    let error = one_error(&refused);
    assert!(
        error.contains("is in use by pid") && error.contains("restart that server"),
        "{error}"
    );
}

#[test]
fn only_create_user_starts_a_new_database_and_its_folder_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mistyped");
    let data_arg = data.display().to_string();
    // `admin <command>` for the admin account, on that folder.
    let admin = |command: &str| {
        run_with_stdin(
            &[
                "admin",
                command,
                "--email",
                ADMIN_EMAIL,
                "--password-stdin",
                "--data-dir",
                &data_arg,
            ],
            &[],
            dir.path(),
            &format!("{PASSWORD}\n"),
        )
    };
    let error = one_error(&admin("reset-password"));
    assert!(error.contains("no database at"), "{error}");
    assert!(!data.exists(), "a mistyped folder is not made");
    // A first account that is refused (a weak password, a bad address) makes nothing either.
    for (email, password) in [(ADMIN_EMAIL, "weak"), ("not-an-address", PASSWORD)] {
        let refused = run_with_stdin(
            &["admin", "create-user", "--email", email, "--password-stdin"],
            &[("PLANE_AIO_DATA_DIR", data_arg.as_str())],
            dir.path(),
            &format!("{password}\n"),
        );
        let error = one_error(&refused);
        assert!(
            error.contains("too weak") || error.contains("not a valid email"),
            "{error}"
        );
        assert!(
            !data.exists(),
            "{email}: nothing is left of a refused account"
        );
    }

    let created = admin("create-user");
    assert!(created.status.success(), "{}", process::stderr(&created));
    let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the folder holds password hashes: {mode:o}");
}
