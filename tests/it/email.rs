//! The flows that go through email, against an SMTP sink on 127.0.0.1: magic codes, sign-up,
//! password resets (SMTP itself: `mail_delivery.rs`).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{ADMIN_EMAIL, Engine, PASSWORD, TestApp},
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
    // Plane's status for it: 400, for every mail flow.
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error_message"],
        "SMTP_NOT_CONFIGURED"
    );
    let resp = app
        .browser()
        .post("/auth/forgot-password/", json!({"email": ADMIN_EMAIL}))
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error_message"],
        "SMTP_NOT_CONFIGURED"
    );
    // A malformed address is named as such first, whatever the instance lacks.
    for path in ["/auth/magic-generate/", "/auth/forgot-password/"] {
        let resp = app
            .browser()
            .post(path, json!({"email": "not-an-email"}))
            .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(
            resp.json::<Value>().await.unwrap()["error_message"],
            "INVALID_EMAIL",
            "{path}"
        );
    }
    let info: Value = app.get("/api/instances/").await.json().await.unwrap();
    assert_eq!(info["config"]["is_smtp_configured"], false);
}

on_both_engines!(
    asking_again_resends_the_live_code_instead_of_voiding_it,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let sink = app.with_mail(&admin).await;
        let generate = async |browser: &crate::support::browser::Browser| {
            let resp = browser
                .post("/auth/magic-generate/", json!({"email": ADMIN_EMAIL}))
                .await;
            assert_eq!(resp.status(), StatusCode::OK);
        };
        let owner = app.browser();
        generate(&owner).await;
        let code = code_in(&sink.wait_for(1).await.decoded());

        // Someone else asks for a code for the same address: the same code goes out again,
        // and the owner's still works.
        let other = app.browser();
        generate(&other).await;
        assert_eq!(code_in(&sink.wait_for(2).await.decoded()), code);
        let signed_in = owner
            .post(
                "/auth/magic-sign-in/",
                json!({"email": ADMIN_EMAIL, "code": code}),
            )
            .await;
        assert_eq!(signed_in.status(), StatusCode::OK);

        // Used up, it is not sent again: the next request makes a new one.
        generate(&other).await;
        assert_ne!(code_in(&sink.wait_for(3).await.decoded()), code);
    }
);
