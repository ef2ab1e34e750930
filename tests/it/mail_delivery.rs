//! SMTP delivery, against a sink on 127.0.0.1: with and without login and TLS, retries of
//! queued mail, `doctor smtp`, and the stored SMTP secret.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{
        ADMIN_EMAIL, Engine, TestApp, pki, process,
        smtp::{Security, SinkOptions, SmtpSink},
    },
};

async fn tls_sink(security: Security) -> (SmtpSink, pki::Pki) {
    let pki = pki::pki(&["localhost", "127.0.0.1"]);
    let sink = SmtpSink::start(SinkOptions {
        security,
        credentials: Some(("mailer".into(), "s3cret-pass".into())),
        tls: Some(pki.server_config()),
    })
    .await;
    (sink, pki)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_with_login_over_starttls_and_implicit_tls() {
    for (security, setting) in [
        (Security::Starttls, "starttls"),
        (Security::ImplicitTls, "tls"),
    ] {
        let (sink, pki) = tls_sink(security).await;
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, &pki.ca_pem).unwrap();
        let app =
            TestApp::spawn_with(Engine::Sqlite, &[("smtp_ca_root", ca.to_str().unwrap())]).await;
        let admin = app.admin().await;
        app.configure(
            &admin,
            json!({"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": sink.addr.port().to_string(), "EMAIL_SECURITY": setting,
                   "EMAIL_HOST_USER": "mailer", "EMAIL_HOST_PASSWORD": "s3cret-pass", "EMAIL_FROM": "Plane <plane@example.com>"}),
        )
        .await;
        let listing: Vec<Value> = admin
            .get("/api/instances/configurations/")
            .await
            .json()
            .await
            .unwrap();
        let password = listing
            .iter()
            .find(|r| r["key"] == "EMAIL_HOST_PASSWORD")
            .unwrap();
        assert_eq!(
            (password["value"].clone(), password["is_set"].clone()),
            (Value::Null, Value::Bool(true))
        );
        let stored = plane_aio::db::instance_config::all(app.state.db())
            .await
            .unwrap();
        let raw = stored
            .iter()
            .find(|r| r.key == "EMAIL_HOST_PASSWORD")
            .unwrap()
            .value
            .clone()
            .unwrap();
        assert!(
            !raw.contains("s3cret-pass") && raw.starts_with("enc:v1:"),
            "stored encrypted"
        );

        let resp = admin
            .post(
                "/api/instances/email-credentials-check/",
                json!({"receiver_email": "ops@example.com"}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "{setting}");
        let result: Value = resp.json().await.unwrap();
        assert!(
            result["smtp_response"].as_str().unwrap().starts_with("250"),
            "{result}"
        );
        let mail = sink.wait_for(1).await;
        assert!(mail.tls, "{setting}: encrypted");
        assert_eq!(mail.auth_user.as_deref(), Some("mailer"));
        assert_eq!(mail.to, ["ops@example.com"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_smtp_credentials_are_reported_and_queued_mail_is_retried_then_dead() {
    let (sink, pki) = tls_sink(Security::Starttls).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let app = TestApp::spawn_with(
        Engine::Sqlite,
        &[
            ("smtp_ca_root", ca.to_str().unwrap()),
            ("job_max_attempts", "3"),
        ],
    )
    .await;
    let admin = app.admin().await;
    app.configure(
        &admin,
        json!({"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": sink.addr.port().to_string(), "EMAIL_SECURITY": "starttls",
               "EMAIL_HOST_USER": "mailer", "EMAIL_HOST_PASSWORD": "wrong", "ENABLE_SIGNUP": "1"}),
    )
    .await;
    let resp = admin
        .post(
            "/api/instances/email-credentials-check/",
            json!({"receiver_email": "ops@example.com"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("could not be sent"),
        "{body}"
    );

    app.browser()
        .post("/auth/magic-generate/", json!({"email": ADMIN_EMAIL}))
        .await;
    let dead = crate::support::eventually(
        Duration::from_secs(60),
        "the mail job to be dead",
        || async {
            let dead = app
                .state
                .queue()
                .list(plane_aio::jobs::StatusFilter::Dead, 10)
                .await
                .unwrap();
            dead.into_iter().find(|j| j.job["kind"] == "send_mail")
        },
    )
    .await;
    assert_eq!(dead.attempts, 3);
    assert!(sink.messages().is_empty());

    // Fixed settings: the next mail goes through.
    app.configure(&admin, json!({"EMAIL_HOST_PASSWORD": "s3cret-pass"}))
        .await;
    app.browser()
        .post("/auth/magic-generate/", json!({"email": ADMIN_EMAIL}))
        .await;
    assert_eq!(sink.wait_for(1).await.to, [ADMIN_EMAIL]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_smtp_sends_a_test_mail_and_prints_the_answer() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let admin = app.admin().await;
    let sink = app.with_mail(&admin).await;
    let data = app.data_dir.path().display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        process::run(
            &[
                "doctor",
                "smtp",
                "--to",
                "ops@example.com",
                "--data-dir",
                &data,
            ],
            &[],
            dir.path(),
        )
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", process::stderr(&out));
    let text = process::stdout(&out);
    assert!(text.contains("server answered: 250"), "{text}");
    assert_eq!(sink.wait_for(1).await.to, ["ops@example.com"]);
}

on_both_engines!(
    secrets_saved_under_another_instance_secret_count_as_unset_rather_than_failing,
    |engine: Engine| async move {
        use plane_aio::domain::{crypto::SecretBox, instance};
        let app = TestApp::spawn(engine).await;
        let db = app.state.db();
        // Saved while another instance secret was in force (secret_key set or changed since).
        let before = SecretBox::new("an instance secret of some other day, 32+ chars");
        let saved = std::collections::BTreeMap::from([
            ("EMAIL_HOST".to_string(), "smtp.example.com".to_string()),
            ("EMAIL_HOST_PASSWORD".to_string(), "hunter2".to_string()),
        ]);
        instance::update(db, &before, &saved, None).await.unwrap();

        let now = app.state.instance_settings().await.unwrap();
        assert_eq!(now.unreadable_secrets(), ["EMAIL_HOST_PASSWORD"]);
        let listed = now.listing();
        let password = listed
            .iter()
            .find(|s| s["key"] == "EMAIL_HOST_PASSWORD")
            .unwrap();
        assert_eq!(password["is_set"], false, "{password}");
        let host = listed.iter().find(|s| s["key"] == "EMAIL_HOST").unwrap();
        assert_eq!(host["value"], "smtp.example.com");
        // Sign-in still answers (it reads these settings), as a refusal rather than a 500.
        let visitor = app.browser();
        let refused = visitor
            .sign_in("nobody@example.com", "wrong password")
            .await;
        assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
    }
);
