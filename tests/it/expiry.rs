//! What expires: a magic code, a reset link and a session, each aged past its time in the
//! key-value store (where their lifetimes are kept), is then refused exactly like a wrong one,
//! and changes nothing.

use std::time::Duration;

use plane_aio::kv::{Kv, Namespace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    email::code_in,
    on_both_engines,
    support::{ADMIN_EMAIL, Engine, PASSWORD, TestApp},
};

/// Rewrites the entry under `key` to expire a millisecond from now, then lets that pass: as if
/// its lifetime had run out.
async fn age_out(kv: &Kv, ns: Namespace, key: &str) {
    let value: Value = kv
        .get(ns, key)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{key} is stored"));
    kv.set(ns, key, &value, Some(Duration::from_millis(1)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
}

on_both_engines!(
    an_expired_magic_code_is_refused_like_a_wrong_one,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let sink = app.with_mail(&admin).await;
        let visitor = app.browser();
        let sent = visitor
            .post(
                "/auth/magic-generate/",
                json!({"email": "late@example.com"}),
            )
            .await;
        assert_eq!(sent.status(), StatusCode::OK);
        let code = code_in(&sink.wait_for(1).await.decoded());
        age_out(
            app.state.kv(),
            Namespace::AuthCodes,
            "magic:late@example.com",
        )
        .await;

        let late = visitor
            .post(
                "/auth/magic-sign-in/",
                json!({"email": "late@example.com", "code": code}),
            )
            .await;
        assert_eq!(late.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            late.json::<Value>().await.unwrap()["error_message"],
            "INVALID_MAGIC_CODE_SIGN_IN"
        );
        assert_eq!(
            visitor.get("/api/users/me/").await.status(),
            StatusCode::UNAUTHORIZED
        );
        let users = plane_aio::db::users::by_email(app.state.db(), "late@example.com")
            .await
            .unwrap();
        assert!(users.is_none(), "no account was made");
    }
);

on_both_engines!(
    an_expired_reset_link_is_refused_and_the_password_stays,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let sink = app.with_mail(&admin).await;
        let visitor = app.browser();
        visitor
            .post("/auth/forgot-password/", json!({"email": ADMIN_EMAIL}))
            .await;
        let mail = sink.wait_for(1).await.decoded();
        let start = mail.find("token=").expect("a reset link") + 6;
        let token = &mail[start..start + 64];
        let kv = app.state.kv();
        let pending: Vec<(String, Value)> = kv
            .scan_prefix(Namespace::AuthCodes, "reset:")
            .await
            .unwrap();
        assert_eq!(pending.len(), 1, "one link issued");
        age_out(kv, Namespace::AuthCodes, &pending[0].0).await;

        let late = visitor
            .post(
                "/auth/reset-password/",
                json!({"token": token, "password": "harbor-lantern-quiet-47"}),
            )
            .await;
        assert_eq!(late.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            late.json::<Value>().await.unwrap()["error_message"],
            "INVALID_PASSWORD_TOKEN"
        );
        assert_eq!(
            app.browser().sign_in(ADMIN_EMAIL, PASSWORD).await.status(),
            StatusCode::OK,
            "the old password still works"
        );
        assert_eq!(
            admin.get("/api/users/me/").await.status(),
            StatusCode::OK,
            "sessions are untouched"
        );
    }
);

on_both_engines!(
    an_expired_session_cookie_signs_nobody_in,
    |engine: Engine| async move {
        use plane_aio::domain::sessions;
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let user_id = admin.user_id();
        let kv = app.state.kv();
        let found = sessions::list(kv, user_id).await.unwrap();
        assert_eq!(found.len(), 1);
        age_out(kv, Namespace::Sessions, &found[0].key).await;

        let ui = admin.get("/api/users/me/").await;
        assert_eq!(ui.status(), StatusCode::UNAUTHORIZED);
        let api = admin.get("/api/v1/users/me/").await;
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            api.json::<Value>().await.unwrap(),
            json!({"detail": "Authentication credentials were not provided."})
        );
        let write = admin
            .post(
                "/api/v1/workspaces/",
                json!({"name": "Late", "slug": "late"}),
            )
            .await;
        assert_eq!(write.status(), StatusCode::UNAUTHORIZED);
        assert!(
            plane_aio::db::workspaces::by_slug(app.state.db(), "late")
                .await
                .unwrap()
                .is_none()
        );
    }
);
