//! Everything that goes through email, against an SMTP sink on 127.0.0.1: magic codes, sign-up,
//! password resets, SMTP with and without login and TLS, retries, and `doctor smtp`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{
        ADMIN_EMAIL, Engine, PASSWORD, TestApp, pki, process,
        smtp::{Security, SinkOptions, SmtpSink},
    },
};

pub fn code_in(mail: &str) -> String {
    let bytes = mail.as_bytes();
    (0..bytes.len().saturating_sub(14))
        .map(|i| &mail[i..i + 14])
        .find(|w| {
            w.split('-').count() == 3
                && w.split('-')
                    .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_lowercase()))
        })
        .expect("a code in the mail")
        .to_string()
}

pub fn reset_token_in(mail: &str) -> String {
    let start = mail.find("token=").expect("a reset link") + 6;
    mail[start..start + 64].to_string()
}

on_both_engines!(
    a_magic_code_signs_up_and_then_signs_in,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let sink = app.with_mail(&admin).await;
        let visitor = app.browser();
        let resp = visitor
            .post("/auth/magic-generate/", json!({"email": "New@Example.com"}))
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        let mail = sink.wait_for(1).await;
        assert_eq!(mail.to, ["new@example.com"]);
        assert_eq!(mail.from, "plane@example.com");
        let code = code_in(&mail.decoded());
        assert!(
            mail.data.contains("multipart/alternative"),
            "text and HTML parts"
        );
        // The queue keeps the delivered mail's job for a week; it shows no code.
        let jobs = crate::support::eventually(
            Duration::from_secs(30),
            "the mail job to be done",
            || async {
                let done = app
                    .state
                    .queue()
                    .list(plane_aio::jobs::StatusFilter::Done, 10)
                    .await
                    .unwrap();
                done.into_iter()
                    .find(|j| j.job["kind"] == "send_mail")
                    .map(|j| j.job.to_string())
            },
        )
        .await;
        assert!(!jobs.contains(&code), "{jobs}");
        assert!(
            !jobs.contains("new@example.com"),
            "the rendered mail is sealed: {jobs}"
        );

        let wrong = visitor
            .post(
                "/auth/magic-sign-in/",
                json!({"email": "new@example.com", "code": "aaaa-bbbb-cccc"}),
            )
            .await;
        assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            wrong.json::<Value>().await.unwrap()["error_message"],
            "INVALID_MAGIC_CODE_SIGN_IN"
        );
        let ok = visitor
            .post(
                "/auth/magic-sign-in/",
                json!({"email": "new@example.com", "code": code, "first_name": "Nia"}),
            )
            .await;
        assert_eq!(ok.status(), StatusCode::OK);
        let body: Value = ok.json().await.unwrap();
        assert_eq!(body["is_new"], true);
        assert_eq!(body["user"]["first_name"], "Nia");
        assert_eq!(body["user"]["is_password_autoset"], true);
        assert_eq!(visitor.get("/api/users/me/").await.status(), StatusCode::OK);
        // Used once.
        let again = app
            .browser()
            .post(
                "/auth/magic-sign-in/",
                json!({"email": "new@example.com", "code": code}),
            )
            .await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST);

        // The same address later signs in with a new code.
        let returning = app.browser();
        returning
            .post("/auth/magic-generate/", json!({"email": "new@example.com"}))
            .await;
        let code = code_in(&sink.wait_for(2).await.decoded());
        let ok: Value = returning
            .post(
                "/auth/magic-sign-in/",
                json!({"email": "new@example.com", "code": code}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(ok["is_new"], false);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_die_after_five_wrong_guesses_and_reveal_nothing() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let admin = app.admin().await;
    let sink = app.with_mail(&admin).await;
    app.configure(&admin, json!({"ENABLE_SIGNUP": "0"})).await;
    let visitor = app.browser();

    // Sign-up is off: an unknown address gets the same answer and no mail.
    let unknown = visitor
        .post(
            "/auth/magic-generate/",
            json!({"email": "stranger@example.com"}),
        )
        .await;
    let known = visitor
        .post("/auth/magic-generate/", json!({"email": ADMIN_EMAIL}))
        .await;
    assert_eq!(
        (unknown.status(), known.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(
        unknown.json::<Value>().await.unwrap(),
        known.json::<Value>().await.unwrap()
    );
    let mail = sink.wait_for(1).await;
    assert_eq!(mail.to, [ADMIN_EMAIL]);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        sink.messages().len(),
        1,
        "nothing was sent to the unknown address"
    );

    let code = code_in(&mail.decoded());
    for _ in 0..5 {
        let r = visitor
            .post(
                "/auth/magic-sign-in/",
                json!({"email": ADMIN_EMAIL, "code": "zzzz-zzzz-zzzz"}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
    let late = visitor
        .post(
            "/auth/magic-sign-in/",
            json!({"email": ADMIN_EMAIL, "code": code}),
        )
        .await;
    assert_eq!(
        late.status(),
        StatusCode::BAD_REQUEST,
        "the code is void after five wrong guesses"
    );
}

on_both_engines!(
    password_sign_up_needs_a_code_for_the_address,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let sink = app.with_mail(&admin).await;
        let visitor = app.browser();
        let no_code = visitor
            .post(
                "/auth/sign-up/",
                json!({"email": "pat@example.com", "password": PASSWORD, "code": "abcd-efgh-ijkl"}),
            )
            .await;
        assert_eq!(no_code.status(), StatusCode::BAD_REQUEST);
        assert!(
            plane_aio::db::users::by_email(app.state.db(), "pat@example.com")
                .await
                .unwrap()
                .is_none()
        );

        visitor
            .post("/auth/magic-generate/", json!({"email": "pat@example.com"}))
            .await;
        let code = code_in(&sink.wait_for(1).await.decoded());
        let weak = visitor
            .post(
                "/auth/sign-up/",
                json!({"email": "pat@example.com", "password": "12345678", "code": code}),
            )
            .await;
        assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            weak.json::<Value>().await.unwrap()["error_message"],
            "PASSWORD_TOO_WEAK"
        );
        let ok = visitor
        .post("/auth/sign-up/", json!({"email": "pat@example.com", "password": PASSWORD, "code": code, "first_name": "Pat"}))
        .await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.json::<Value>().await.unwrap()["is_new"], true);
        assert_eq!(
            app.browser()
                .sign_in("pat@example.com", PASSWORD)
                .await
                .status(),
            StatusCode::OK
        );
        // Signing up again with a new code signs the account in; nothing new was made.
        visitor
            .post("/auth/magic-generate/", json!({"email": "pat@example.com"}))
            .await;
        let code = code_in(&sink.wait_for(2).await.decoded());
        let again = visitor
            .post(
                "/auth/sign-up/",
                json!({"email": "pat@example.com", "password": PASSWORD, "code": code}),
            )
            .await;
        assert_eq!(again.status(), StatusCode::OK);
        assert_eq!(again.json::<Value>().await.unwrap()["is_new"], false);

        // With code sign-in off, a code still proves a new address for a password sign-up,
        // but an existing account gets none (it could not sign in with it).
        app.configure(&admin, json!({"ENABLE_MAGIC_LINK_LOGIN": "0"}))
            .await;
        for email in ["pat@example.com", "sam@example.com"] {
            let asked = visitor
                .post("/auth/magic-generate/", json!({"email": email}))
                .await;
            assert_eq!(asked.status(), StatusCode::OK, "{email}");
        }
        let mail = sink.wait_for(3).await;
        assert_eq!(mail.to, ["sam@example.com"]);
        let code = code_in(&mail.decoded());
        let ok = visitor
            .post(
                "/auth/sign-up/",
                json!({"email": "sam@example.com", "password": PASSWORD, "code": code}),
            )
            .await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.json::<Value>().await.unwrap()["is_new"], true);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(sink.messages().len(), 3, "no code for pat's account");

        // With passwords off, there is no password sign-up.
        app.configure(
            &admin,
            json!({"ENABLE_MAGIC_LINK_LOGIN": "1", "ENABLE_EMAIL_PASSWORD": "0"}),
        )
        .await;
        visitor
            .post("/auth/magic-generate/", json!({"email": "kim@example.com"}))
            .await;
        let code = code_in(&sink.wait_for(4).await.decoded());
        let refused = visitor
            .post(
                "/auth/sign-up/",
                json!({"email": "kim@example.com", "password": PASSWORD, "code": code}),
            )
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            refused.json::<Value>().await.unwrap()["error_message"],
            "PASSWORD_LOGIN_DISABLED"
        );
        assert!(
            plane_aio::db::users::by_email(app.state.db(), "kim@example.com")
                .await
                .unwrap()
                .is_none()
        );
        app.configure(&admin, json!({"ENABLE_EMAIL_PASSWORD": "1"}))
            .await;

        // Sign-up limited to a domain.
        app.configure(&admin, json!({"ALLOWED_EMAIL_DOMAINS": "corp.example"}))
            .await;
        let outside = visitor
            .post(
                "/auth/magic-generate/",
                json!({"email": "x@elsewhere.example"}),
            )
            .await;
        assert_eq!(outside.status(), StatusCode::OK);
        // No code went out, so no sign-up can be proven.
        let refused = visitor
        .post("/auth/sign-up/", json!({"email": "x@elsewhere.example", "password": PASSWORD, "code": "abcd-efgh-ijkl"}))
        .await;
        assert_eq!(
            refused.json::<Value>().await.unwrap()["error_message"],
            "INVALID_MAGIC_CODE_SIGN_UP"
        );
    }
);

on_both_engines!(
    a_reset_link_works_once_and_ends_every_session,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let sink = app.with_mail(&admin).await;
        let visitor = app.browser();
        let unknown = visitor
            .post(
                "/auth/forgot-password/",
                json!({"email": "nobody@example.com"}),
            )
            .await;
        let known = visitor
            .post("/auth/forgot-password/", json!({"email": ADMIN_EMAIL}))
            .await;
        assert_eq!(
            unknown.json::<Value>().await.unwrap(),
            known.json::<Value>().await.unwrap()
        );
        let mail = sink.wait_for(1).await;
        assert_eq!(mail.to, [ADMIN_EMAIL]);
        let decoded = mail.decoded();
        assert!(
            decoded.contains(&format!("{}/accounts/reset-password?token=", app.url(""))),
            "{decoded}"
        );
        let token = reset_token_in(&decoded);

        let weak = visitor
            .post(
                "/auth/reset-password/",
                json!({"token": token, "password": "abc"}),
            )
            .await;
        assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
        let ok = visitor
            .post(
                "/auth/reset-password/",
                json!({"token": token, "password": "harbor-lantern-quiet-47"}),
            )
            .await;
        assert_eq!(
            ok.status(),
            StatusCode::OK,
            "a weak attempt does not use up the link"
        );
        assert_eq!(
            admin.get("/api/users/me/").await.status(),
            StatusCode::UNAUTHORIZED,
            "old sessions end"
        );
        let reused = visitor
            .post(
                "/auth/reset-password/",
                json!({"token": token, "password": "another-quiet-harbor-88"}),
            )
            .await;
        assert_eq!(reused.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            reused.json::<Value>().await.unwrap()["error_message"],
            "INVALID_PASSWORD_TOKEN"
        );
        assert_eq!(
            app.browser()
                .sign_in(ADMIN_EMAIL, "harbor-lantern-quiet-47")
                .await
                .status(),
            StatusCode::OK
        );
        let forged = visitor
            .post(
                "/auth/reset-password/",
                json!({"token": "f".repeat(64), "password": "another-quiet-harbor-88"}),
            )
            .await;
        assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_mail_flows_say_so() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.admin().await;
    let resp = app
        .browser()
        .post("/auth/magic-generate/", json!({"email": ADMIN_EMAIL}))
        .await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error_message"],
        "SMTP_NOT_CONFIGURED"
    );
    let info: Value = app.get("/api/instances/").await.json().await.unwrap();
    assert_eq!(info["config"]["is_smtp_configured"], false);
}

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
