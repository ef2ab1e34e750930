//! Account rules at their edges: a reset link survives a refused password, a disabled account
//! gets nothing from a sign-up, every sign-in limit answers alike, a wrong current password
//! counts as a failed sign-in, the first-run sign-up needs the CSRF token, and the instance
//! reports its workspace-creation switch.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    auth_hardening::retry_after,
    email::{code_in, reset_token_in},
    on_both_engines,
    support::{Engine, PASSWORD, TestApp},
};

on_both_engines!(
    a_password_made_of_the_accounts_own_details_does_not_use_up_the_reset_link,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let sink = app.with_mail(&admin).await;
        let email = "quentin.zephyrine@example.com";
        plane_aio::domain::accounts::create_user(
            app.state.db(),
            email,
            PASSWORD,
            &plane_aio::domain::accounts::Names::new("Quentin", "Zephyrine"),
            false,
        )
        .await
        .unwrap();
        let visitor = app.browser();
        let asked = visitor
            .post("/auth/forgot-password/", json!({ "email": email }))
            .await;
        assert_eq!(asked.status(), StatusCode::OK);
        let token = reset_token_in(&sink.wait_for(1).await.decoded());

        // Strong for a stranger, guessable for anyone who knows the account.
        let own_details = "Quentin.Zephyrine@example.com";
        assert!(
            plane_aio::domain::password::check_strength(own_details, &[]).is_ok(),
            "the test needs a password only the account's details make weak"
        );
        let refused = visitor
            .post(
                "/auth/reset-password/",
                json!({"token": token, "password": own_details}),
            )
            .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error_code"], 5021, "{body}");
        assert_eq!(body["error_message"], "PASSWORD_TOO_WEAK", "{body}");
        assert_eq!(
            app.browser().sign_in(email, PASSWORD).await.status(),
            StatusCode::OK,
            "the password is unchanged"
        );

        let ok = visitor
            .post(
                "/auth/reset-password/",
                json!({"token": token, "password": "harbor-lantern-quiet-47"}),
            )
            .await;
        assert_eq!(
            ok.status(),
            StatusCode::OK,
            "the same link still works: {}",
            ok.text().await.unwrap()
        );
        assert_eq!(
            app.browser()
                .sign_in(email, "harbor-lantern-quiet-47")
                .await
                .status(),
            StatusCode::OK
        );
        let again = visitor
            .post(
                "/auth/reset-password/",
                json!({"token": token, "password": "another-quiet-harbor-88"}),
            )
            .await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST, "and only once");
    }
);

on_both_engines!(
    a_disabled_account_without_a_password_gets_none_from_a_sign_up,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let sink = app.with_mail(&admin).await;
        let email = "codes.only@example.com";
        let visitor = app.browser();
        // An account made by an emailed code: it has no password.
        visitor
            .post("/auth/magic-generate/", json!({ "email": email }))
            .await;
        let code = code_in(&sink.wait_for(1).await.decoded());
        let made = visitor
            .post(
                "/auth/magic-sign-in/",
                json!({"email": email, "code": code}),
            )
            .await;
        assert_eq!(made.status(), StatusCode::OK);
        // A code issued while the account was active, used once it is disabled.
        visitor
            .post("/auth/magic-generate/", json!({ "email": email }))
            .await;
        let code = code_in(&sink.wait_for(2).await.decoded());
        let user = plane_aio::db::users::by_email(app.state.db(), email)
            .await
            .unwrap()
            .unwrap();
        assert!(user.password.is_none());
        let disabled = admin
            .patch(
                &format!("/api/instances/users/{}/", user.id),
                json!({"is_active": false}),
            )
            .await;
        assert_eq!(disabled.status(), StatusCode::OK);

        let attacker = app.browser();
        let refused = attacker
            .post(
                "/auth/sign-up/",
                json!({"email": email, "password": PASSWORD, "code": code}),
            )
            .await;
        let wrong_code = app
            .browser()
            .post(
                "/auth/sign-up/",
                json!({"email": "someone.else@example.com", "password": PASSWORD, "code": "abcd-efgh-ijkl"}),
            )
            .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        assert_eq!(refused.status(), wrong_code.status());
        assert_eq!(
            refused.json::<Value>().await.unwrap(),
            wrong_code.json::<Value>().await.unwrap(),
            "the same answer as a wrong code"
        );
        assert!(attacker.cookie("session-id").is_none(), "no session");
        let user = plane_aio::db::users::by_email(app.state.db(), email)
            .await
            .unwrap()
            .unwrap();
        assert!(user.password.is_none(), "no password was set");
        assert!(!user.is_active);
    }
);

on_both_engines!(
    the_instance_reports_whether_workspace_creation_is_disabled,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let flag = async || {
            let info: Value = app.get("/api/instances/").await.json().await.unwrap();
            info["config"]["is_workspace_creation_disabled"].clone()
        };
        assert_eq!(flag().await, false);
        app.configure(&admin, json!({"DISABLE_WORKSPACE_CREATION": "1"}))
            .await;
        assert_eq!(flag().await, true);
        app.configure(&admin, json!({"DISABLE_WORKSPACE_CREATION": "0"}))
            .await;
        assert_eq!(flag().await, false);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_answers_every_limit_with_planes_one_body() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.admin().await;
    let browser = app.browser();
    let planes = json!({"error_code": 5900, "error_message": "RATE_LIMIT_EXCEEDED"});
    // Ten failures lock the address (attempts 1–11 of the client's twenty a minute).
    for _ in 0..10 {
        let wrong = browser
            .sign_in(crate::support::ADMIN_EMAIL, "wrong-password-here")
            .await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            wrong.json::<Value>().await.unwrap(),
            json!({
                "error_code": 5065, "error_message": "AUTHENTICATION_FAILED_SIGN_IN",
                "error": "The email or password is not correct.",
            })
        );
    }
    let locked = browser.sign_in(crate::support::ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&locked) > 60, "the lock lasts minutes");
    assert_eq!(locked.json::<Value>().await.unwrap(), planes);
    // Attempts 12–20 on other addresses pass the client's limit; the 21st does not.
    for i in 0..9 {
        let other = browser
            .sign_in(&format!("other{i}@example.com"), "wrong-password-here")
            .await;
        assert_eq!(
            other.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {}",
            12 + i
        );
    }
    let limited = browser
        .sign_in("someone@example.com", "wrong-password-here")
        .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=60).contains(&retry_after(&limited)));
    assert_eq!(limited.json::<Value>().await.unwrap(), planes);
}

on_both_engines!(
    wrong_current_passwords_lock_the_account_like_failed_sign_ins,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let change = |old: &'static str| {
            admin.post(
                "/auth/change-password/",
                json!({"old_password": old, "new_password": "harbor-lantern-quiet-47"}),
            )
        };
        for _ in 0..10 {
            let wrong = change("not-my-password").await;
            assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
            let body: Value = wrong.json().await.unwrap();
            assert_eq!(body["error_code"], 5135, "{body}");
            assert_eq!(body["error_message"], "INCORRECT_OLD_PASSWORD");
        }
        // Locked: even the right password is not tried, and nothing changes.
        let locked = change(PASSWORD).await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(retry_after(&locked) > 60, "the lock lasts minutes");
        assert_eq!(
            locked.json::<Value>().await.unwrap(),
            json!({"error_code": 5900, "error_message": "RATE_LIMIT_EXCEEDED"})
        );
        assert_eq!(
            admin.get("/api/users/me/").await.status(),
            StatusCode::OK,
            "the session goes on"
        );
        // The same lock as sign-in's: guessing through either counts for both.
        let sign_in = app
            .browser()
            .sign_in(crate::support::ADMIN_EMAIL, PASSWORD)
            .await;
        assert_eq!(sign_in.status(), StatusCode::TOO_MANY_REQUESTS);
        let user = plane_aio::db::users::by_email(app.state.db(), crate::support::ADMIN_EMAIL)
            .await
            .unwrap()
            .unwrap();
        let phc = user.password.unwrap();
        assert!(
            plane_aio::domain::password::verify(PASSWORD, &phc).await,
            "the password is unchanged"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_run_sign_up_needs_the_csrf_token() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let body = json!({"email": "first@example.com", "password": PASSWORD});
    let token = app.browser().csrf().await;
    let cases = [
        ("no token", None, None, "CSRF Failed: CSRF cookie not set."),
        (
            "cookie only",
            Some(token.as_str()),
            None,
            "CSRF Failed: CSRF token missing.",
        ),
        (
            "wrong token",
            Some(token.as_str()),
            Some("0000"),
            "CSRF Failed: CSRF token incorrect.",
        ),
    ];
    // Repeated slashes reach the same handler (the router merges them): checked alike.
    let paths = [
        "/api/instances/admins/sign-up/",
        "/api/instances/admins/sign-up",
        "/api//instances/admins//sign-up/",
    ];
    for ((case, cookie, header, expected), path) in cases
        .into_iter()
        .flat_map(|case| paths.map(|path| (case, path)))
    {
        let mut request = app.client.post(app.url(path)).json(&body);
        if let Some(cookie) = cookie {
            request = request.header("cookie", format!("csrftoken={cookie}"));
        }
        if let Some(header) = header {
            request = request.header("x-csrftoken", header);
        }
        let refused = request.send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{case} {path}");
        assert_eq!(
            refused.json::<Value>().await.unwrap(),
            json!({ "detail": expected }),
            "{case} {path}"
        );
    }
    let info: Value = app.get("/api/instances/").await.json().await.unwrap();
    assert_eq!(
        info["instance"]["is_setup_done"], false,
        "nothing was created"
    );
    // With the token, as the web UI sends it, the set-up goes through.
    let browser = app.browser();
    let ok = browser.post("/api/instances/admins/sign-up/", body).await;
    assert_eq!(ok.status(), StatusCode::OK, "{}", ok.text().await.unwrap());
}
