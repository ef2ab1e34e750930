//! First run, password sign-in and sign-out, lock-out, CSRF, password changes and sessions.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use plane_aio::domain::accounts;

use crate::{
    on_both_engines,
    support::{ADMIN_EMAIL, Engine, PASSWORD, TestApp, postgres},
};

on_both_engines!(
    the_first_account_becomes_the_admin_and_closes_set_up,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let info: Value = app.get("/api/instances/").await.json().await.unwrap();
        assert_eq!(info["instance"]["is_setup_done"], false);
        assert_eq!(
            info["instance"]["current_version"],
            env!("CARGO_PKG_VERSION")
        );

        // Two set-ups at once: exactly one wins.
        let (a, b) = (app.browser(), app.browser());
        let (ra, rb) = tokio::join!(
            a.post(
                "/api/instances/admins/sign-up/",
                json!({"email": "a@example.com", "password": PASSWORD})
            ),
            b.post(
                "/api/instances/admins/sign-up/",
                json!({"email": "b@example.com", "password": PASSWORD})
            ),
        );
        let mut statuses = vec![ra.status(), rb.status()];
        statuses.sort();
        assert_eq!(statuses, vec![StatusCode::OK, StatusCode::FORBIDDEN]);
        let winner = if ra.status() == StatusCode::OK {
            &a
        } else {
            &b
        };
        let me: Value = winner.get("/api/users/me/").await.json().await.unwrap();
        assert_eq!(me["is_instance_admin"], true);

        let info: Value = app.get("/api/instances/").await.json().await.unwrap();
        assert_eq!(info["instance"]["is_setup_done"], true);
        let late = app
            .browser()
            .post(
                "/api/instances/admins/sign-up/",
                json!({"email": "c@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(late.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            late.json::<Value>().await.unwrap()["error_message"],
            "ADMIN_ALREADY_EXIST"
        );
        // Closed before any password work: a weak password is not even looked at.
        let late_weak = app
            .browser()
            .post(
                "/api/instances/admins/sign-up/",
                json!({"email": "d@example.com", "password": "password1"}),
            )
            .await;
        assert_eq!(
            late_weak.json::<Value>().await.unwrap()["error_message"],
            "ADMIN_ALREADY_EXIST"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_refuses_weak_passwords_and_bad_emails() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let browser = app.browser();
    let weak = browser
        .post(
            "/api/instances/admins/sign-up/",
            json!({"email": "a@example.com", "password": "password1"}),
        )
        .await;
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        weak.json::<Value>().await.unwrap()["error_message"],
        "PASSWORD_TOO_WEAK"
    );
    let bad = browser
        .post(
            "/api/instances/admins/sign-up/",
            json!({"email": "not-an-email", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        bad.json::<Value>().await.unwrap()["error_message"],
        "INVALID_EMAIL"
    );
    let info: Value = app.get("/api/instances/").await.json().await.unwrap();
    assert_eq!(
        info["instance"]["is_setup_done"], false,
        "nothing was created"
    );
}

on_both_engines!(
    sign_in_answers_alike_for_wrong_passwords_and_unknown_emails,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        app.admin().await;
        let browser = app.browser();
        let wrong = browser
            .sign_in(ADMIN_EMAIL, "not-the-password-at-all")
            .await;
        let unknown = browser
            .sign_in("nobody@example.com", "not-the-password-at-all")
            .await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(wrong.status(), unknown.status());
        let (wrong, unknown): (Value, Value) =
            (wrong.json().await.unwrap(), unknown.json().await.unwrap());
        assert_eq!(wrong, unknown);
        assert_eq!(wrong["error_code"], 5065);
        assert_eq!(wrong["error_message"], "AUTHENTICATION_FAILED_SIGN_IN");
        assert!(browser.cookie("session-id").is_none());

        // Email case does not matter; a session cookie comes back, HttpOnly and SameSite=Lax.
        let ok = browser.sign_in("ADMIN@Example.com", PASSWORD).await;
        assert_eq!(ok.status(), StatusCode::OK);
        let set_cookie: Vec<String> = ok
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        let session = set_cookie
            .iter()
            .find(|c| c.starts_with("session-id="))
            .expect("session cookie");
        assert!(
            session.contains("HttpOnly") && session.contains("SameSite=Lax"),
            "{session}"
        );
        assert!(
            !session.contains("Secure"),
            "not over plain HTTP: {session}"
        );
        let me: Value = browser.get("/api/users/me/").await.json().await.unwrap();
        assert_eq!(me["email"], ADMIN_EMAIL);
        assert_eq!(
            ok.json::<Value>().await.unwrap()["user"],
            me,
            "the sign-in answer is the user as users/me shows them, admin flag included"
        );
        assert_eq!(me["last_login_medium"], "email");

        // Signing in again on this browser ends the session it held before.
        let first_cookie = browser.cookie("session-id").unwrap();
        assert_eq!(app.me_with_session(&first_cookie).await, StatusCode::OK);
        let again = browser.sign_in(ADMIN_EMAIL, PASSWORD).await;
        assert_eq!(again.status(), StatusCode::OK);
        assert_ne!(browser.cookie("session-id").unwrap(), first_cookie);
        assert_eq!(
            app.me_with_session(&first_cookie).await,
            StatusCode::UNAUTHORIZED
        );

        // Sign-out ends the session on the server: the old cookie no longer works.
        let old_cookie = browser.cookie("session-id").unwrap();
        assert_eq!(app.me_with_session(&old_cookie).await, StatusCode::OK);
        assert_eq!(
            browser.post("/auth/sign-out/", json!({})).await.status(),
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            app.me_with_session(&old_cookie).await,
            StatusCode::UNAUTHORIZED
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_takes_as_long_for_unknown_emails() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.admin().await;
    let browser = app.browser();
    // Alternate the two kinds of attempt, so a busy machine slows both alike, and compare
    // medians.
    let time = async |email: &str| {
        let started = Instant::now();
        browser.sign_in(email, "wrong-password-here").await;
        started.elapsed()
    };
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for _ in 0..9 {
        known.push(time(ADMIN_EMAIL).await);
        unknown.push(time("nobody@example.com").await);
    }
    known.sort();
    unknown.sort();
    let (known, unknown) = (known[4], unknown[4]);
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    assert!(
        (0.5..2.0).contains(&ratio),
        "known {known:?} vs unknown {unknown:?}: both hash a password"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_lock_the_address_whether_or_not_it_has_an_account() {
    // One server per address: the per-client limit on sign-in attempts (20/minute) is its own rule.
    for email in [ADMIN_EMAIL, "nobody@example.com"] {
        let app = TestApp::spawn(Engine::Sqlite).await;
        app.admin().await;
        let browser = app.browser();
        for _ in 0..10 {
            assert_eq!(
                browser.sign_in(email, "wrong-password-here").await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
        let locked = browser
            .sign_in(email, if email == ADMIN_EMAIL { PASSWORD } else { "x" })
            .await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert_eq!(
            locked.json::<Value>().await.unwrap(),
            json!({"error_code": 5900, "error_message": "RATE_LIMIT_EXCEEDED"}),
            "the lock-out answers like every other limit"
        );
        // Other addresses are not affected.
        let other = if email == ADMIN_EMAIL {
            "nobody@example.com"
        } else {
            ADMIN_EMAIL
        };
        let other_status = browser
            .sign_in(other, if other == ADMIN_EMAIL { PASSWORD } else { "x" })
            .await
            .status();
        assert_ne!(other_status, StatusCode::TOO_MANY_REQUESTS);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsafe_requests_need_the_csrf_token_from_this_site() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let admin = app.admin().await;
    let session = admin.cookie("session-id").unwrap();
    let token = admin.csrf().await;
    let cases: [(&str, Option<&str>, Option<&str>, &str); 3] = [
        ("missing", None, None, "CSRF Failed: CSRF token missing."),
        (
            "wrong",
            Some("0000"),
            None,
            "CSRF Failed: CSRF token incorrect.",
        ),
        (
            "cross-site",
            Some(token.as_str()),
            Some("https://evil.example"),
            "Origin checking failed",
        ),
    ];
    for (case, header, origin, expected) in cases {
        let mut request = app
            .client
            .patch(app.url("/api/users/me/"))
            .header("cookie", format!("session-id={session}; csrftoken={token}"))
            .json(&json!({"first_name": "Mallory"}));
        if let Some(h) = header {
            request = request.header("x-csrftoken", h);
        }
        if let Some(o) = origin {
            request = request.header("origin", o);
        }
        let resp = request.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{case}");
        let body: Value = resp.json().await.unwrap();
        assert!(
            body["detail"].as_str().unwrap().contains(expected),
            "{case}: {body}"
        );
    }
    let me: Value = admin.get("/api/users/me/").await.json().await.unwrap();
    assert_eq!(me["first_name"], "Ada", "nothing changed");
    // Sign-in itself needs the token too (no login CSRF).
    let no_token = app
        .client
        .post(app.url("/auth/sign-in/"))
        .json(&json!({"email": ADMIN_EMAIL, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    // A forged session cookie is no session.
    let forged = app
        .client
        .get(app.url("/api/users/me/"))
        .header(
            "cookie",
            format!(
                "session-id={}.{}",
                uuid::Uuid::nil().simple(),
                "f".repeat(64)
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

on_both_engines!(
    changing_the_password_signs_out_other_sessions_only,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let laptop = app.admin().await;
        let phone = app.browser();
        assert_eq!(
            phone.sign_in(ADMIN_EMAIL, PASSWORD).await.status(),
            StatusCode::OK
        );

        let sessions: Vec<Value> = laptop
            .get("/api/users/me/sessions/")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(sessions.len(), 2);
        assert_eq!(
            sessions.iter().filter(|s| s["is_current"] == true).count(),
            1
        );

        let wrong = laptop
            .post(
                "/auth/change-password/",
                json!({"old_password": "nope", "new_password": "harbor-lantern-quiet-47"}),
            )
            .await;
        assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            wrong.json::<Value>().await.unwrap()["error_message"],
            "INCORRECT_OLD_PASSWORD"
        );
        let weak = laptop
            .post(
                "/auth/change-password/",
                json!({"old_password": PASSWORD, "new_password": "abc12345"}),
            )
            .await;
        assert_eq!(weak.status(), StatusCode::BAD_REQUEST);

        let ok = laptop
            .post(
                "/auth/change-password/",
                json!({"old_password": PASSWORD, "new_password": "harbor-lantern-quiet-47"}),
            )
            .await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(
            laptop.get("/api/users/me/").await.status(),
            StatusCode::OK,
            "this session continues"
        );
        assert_eq!(
            phone.get("/api/users/me/").await.status(),
            StatusCode::UNAUTHORIZED,
            "the other one ended"
        );
        assert_eq!(
            app.browser().sign_in(ADMIN_EMAIL, PASSWORD).await.status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.browser()
                .sign_in(ADMIN_EMAIL, "harbor-lantern-quiet-47")
                .await
                .status(),
            StatusCode::OK
        );
    }
);

on_both_engines!(
    a_user_can_list_and_revoke_their_sessions,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let laptop = app.admin().await;
        let phone = app.browser();
        phone.sign_in(ADMIN_EMAIL, PASSWORD).await;
        let sessions: Vec<Value> = laptop
            .get("/api/users/me/sessions/")
            .await
            .json()
            .await
            .unwrap();
        let other = sessions.iter().find(|s| s["is_current"] == false).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            laptop
                .delete(&format!("/api/users/me/sessions/{other}/"))
                .await
                .status(),
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            phone.get("/api/users/me/").await.status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(laptop.get("/api/users/me/").await.status(), StatusCode::OK);
        assert_eq!(
            laptop
                .delete(&format!("/api/users/me/sessions/{other}/"))
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            laptop
                .delete("/api/users/me/sessions/not-an-id/")
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_on_one_node_is_seen_by_the_other() {
    if !postgres::available().await {
        return;
    }
    let a = TestApp::spawn(Engine::Postgres).await;
    let url = a.pg.as_ref().unwrap().url.clone();
    let b = TestApp::spawn_with(Engine::Sqlite, &[("database_url", &url)]).await;
    let on_a = a.admin().await;
    let cookie = on_a.cookie("session-id").unwrap();
    let on_b = |path: &'static str| {
        let (client, url, cookie) = (b.client.clone(), b.url(path), cookie.clone());
        async move {
            client
                .get(url)
                .header("cookie", format!("session-id={cookie}"))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        on_b("/api/users/me/").await,
        StatusCode::OK,
        "the session works on both nodes"
    );
    assert_eq!(
        on_a.post("/auth/sign-out/", json!({})).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        on_b("/api/users/me/").await,
        StatusCode::UNAUTHORIZED,
        "sign-out on A is seen by B"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_requests_are_rate_limited_per_address() {
    let app = TestApp::spawn_with(Engine::Sqlite, &[("anonymous_rate_limit", "5/minute")]).await;
    for _ in 0..5 {
        assert_eq!(app.get("/api/instances/").await.status(), StatusCode::OK);
    }
    let limited = app.get("/api/instances/").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().get("retry-after").is_some());
    assert_eq!(
        limited.json::<Value>().await.unwrap(),
        json!({"error_code": 5900, "error_message": "RATE_LIMIT_EXCEEDED"})
    );
    assert_eq!(
        app.get("/readyz").await.status(),
        StatusCode::OK,
        "probes are not limited"
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
}

on_both_engines!(
    a_password_write_checked_against_a_password_changed_since_writes_nothing,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        app.admin().await;
        let db = app.state.db();
        let read = plane_aio::db::users::by_email(db, ADMIN_EMAIL)
            .await
            .unwrap()
            .unwrap();
        let first = "a first new passphrase, long";
        let stored = accounts::store_password(db, read.clone(), first)
            .await
            .unwrap();
        assert!(stored.is_some());
        // Another write made from the same read (a reset link checked against it, say): the
        // password it was checked against is gone, so it changes nothing.
        let late = accounts::store_password(db, read, "a second new passphrase, long")
            .await
            .unwrap();
        assert!(late.is_none());
        let browser = app.browser();
        assert_eq!(
            browser.sign_in(ADMIN_EMAIL, first).await.status(),
            StatusCode::OK
        );
    }
);
