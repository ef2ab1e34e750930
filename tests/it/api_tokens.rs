//! API tokens: Plane's format, stored hashed, expiry, revocation, `X-Api-Key` on `/api/v1/`,
//! last use recorded, and Plane's rate limits and headers.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{ADMIN_EMAIL, Engine, TestApp, api::raw_get, postgres},
};

async fn new_token(browser: &crate::support::browser::Browser, body: Value) -> Value {
    let resp = browser.post("/api/users/api-tokens/", body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

on_both_engines!(
    tokens_are_shown_once_stored_hashed_and_authenticate_v1,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let created = new_token(
            &admin,
            json!({"label": "ci", "description": "for the pipeline"}),
        )
        .await;
        let token = created["token"].as_str().unwrap().to_string();
        assert!(
            token.starts_with("plane_api_") && token.len() == 42,
            "{token}"
        );
        assert!(
            token[10..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(created["label"], "ci");
        assert!(
            created["token_hint"]
                .as_str()
                .unwrap()
                .ends_with(&token[38..])
        );

        // The database holds a hash, never the token.
        let owner = plane_aio::db::users::by_email(app.state.db(), ADMIN_EMAIL)
            .await
            .unwrap()
            .unwrap();
        let stored = plane_aio::db::api_tokens::for_user(app.state.db(), owner.id)
            .await
            .unwrap();
        assert_eq!(stored.len(), 1);
        assert_ne!(stored[0].token_hash, token);
        assert_eq!(
            stored[0].token_hash,
            plane_aio::domain::tokens::hash(&token)
        );

        let listed: Vec<Value> = admin
            .get("/api/users/api-tokens/")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert!(
            listed[0].get("token").is_none(),
            "lists never show the token"
        );

        // The header's name in any case, as sent on the wire.
        for header in ["X-API-KEY", "x-api-key", "X-Api-Key"] {
            let raw = raw_get(app.addr, "/api/v1/users/me/", &[(header, &token)]).await;
            assert_eq!(raw.status, 200, "{header}: {}", raw.text);
            assert!(raw.text.contains(ADMIN_EMAIL), "{header}: {}", raw.text);
        }
        let me = app
            .client
            .get(app.url("/api/v1/users/me/"))
            .header("X-Api-Key", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::OK);
        assert_eq!(
            me.headers()["content-type"]
                .to_str()
                .unwrap()
                .split(';')
                .next(),
            Some("application/json")
        );
        let me: Value = me.json().await.unwrap();
        assert_eq!(
            me.as_object().unwrap().keys().collect::<Vec<_>>(),
            crate::support::USER_LITE_KEYS
        );
        assert_eq!(me["email"], ADMIN_EMAIL);
        // The session cookie authenticates the API too (the UI uses it).
        assert_eq!(
            admin.get("/api/v1/users/me/").await.status(),
            StatusCode::OK
        );

        // last_used is recorded without a write per request: it appears once flushed.
        app.state.token_usage().flush(app.state.db()).await;
        let listed: Vec<Value> = admin
            .get("/api/users/api-tokens/")
            .await
            .json()
            .await
            .unwrap();
        assert!(listed[0]["last_used"].is_string(), "{listed:?}");

        // Revoked: Plane's 403, at once.
        let id = created["id"].as_str().unwrap();
        assert_eq!(
            admin
                .delete(&format!("/api/users/api-tokens/{id}/"))
                .await
                .status(),
            StatusCode::NO_CONTENT
        );
        let revoked = app
            .client
            .get(app.url("/api/v1/users/me/"))
            .header("x-api-key", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(revoked.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            revoked.json::<Value>().await.unwrap(),
            json!({"detail": "Given API token is not valid"})
        );
        assert_eq!(
            admin
                .delete(&format!("/api/users/api-tokens/{id}/"))
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_and_disabled_users_are_refused() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let admin = app.admin().await;
    let past = admin
        .post(
            "/api/users/api-tokens/",
            json!({"expired_at": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(past.status(), StatusCode::BAD_REQUEST);
    let bad = admin
        .post("/api/users/api-tokens/", json!({"expires_in": "soon"}))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let short = new_token(&admin, json!({"expires_in": "1s"})).await;
    let token = short["token"].as_str().unwrap().to_string();
    let ok = app
        .client
        .get(app.url("/api/v1/users/me/"))
        .header("x-api-key", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let expired = app
        .client
        .get(app.url("/api/v1/users/me/"))
        .header("x-api-key", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), StatusCode::FORBIDDEN);

    let user = app.user("bob@example.com").await;
    let bobs = new_token(&user, json!({})).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let bob = plane_aio::db::users::by_email(app.state.db(), "bob@example.com")
        .await
        .unwrap()
        .unwrap();
    let resp = admin
        .patch(
            &format!("/api/instances/users/{}/", bob.id),
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let refused = app
        .client
        .get(app.url("/api/v1/users/me/"))
        .header("x-api-key", &bobs)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        user.get("/api/users/me/").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // An empty key provides no credentials: Plane's 401. Garbage keys of every shape get the
    // same answer: the token is not valid.
    let missing = (
        StatusCode::UNAUTHORIZED,
        json!({"detail": "Authentication credentials were not provided."}),
    );
    let invalid = (
        StatusCode::FORBIDDEN,
        json!({"detail": "Given API token is not valid"}),
    );
    let long = "a".repeat(5000);
    for (key, expected) in [
        ("", &missing),
        ("   ", &missing),
        ("x", &invalid),
        ("plane_api_ZZZ", &invalid),
        (long.as_str(), &invalid),
    ] {
        let resp = app
            .client
            .get(app.url("/api/v1/users/me/"))
            .header("x-api-key", key)
            .send()
            .await
            .unwrap();
        let answer = (resp.status(), resp.json::<Value>().await.unwrap());
        assert_eq!(&answer, expected, "{key:.20}");
    }
}

on_both_engines!(
    tokens_are_rate_limited_with_planes_headers_and_body,
    |engine: Engine| async move {
        let app = TestApp::spawn_with(engine, &[("api_key_rate_limit", "3/minute")]).await;
        let admin = app.admin().await;
        let token = new_token(&admin, json!({})).await["token"]
            .as_str()
            .unwrap()
            .to_string();
        let mut remaining = Vec::new();
        for _ in 0..3 {
            let resp = app
                .client
                .get(app.url("/api/v1/users/me/"))
                .header("x-api-key", &token)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            remaining.push(
                resp.headers()["x-ratelimit-remaining"]
                    .to_str()
                    .unwrap()
                    .to_string(),
            );
            let reset: i64 = resp.headers()["x-ratelimit-reset"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(reset > chrono::Utc::now().timestamp());
        }
        assert_eq!(remaining, ["2", "1", "0"]);
        let limited = app
            .client
            .get(app.url("/api/v1/users/me/"))
            .header("x-api-key", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry));
        assert!(limited.headers().get("x-ratelimit-remaining").is_none());
        assert_eq!(
            limited.json::<Value>().await.unwrap(),
            json!({"error_code": 5900, "error_message": "RATE_LIMIT_EXCEEDED"})
        );
        // Another token has its own budget.
        let other = new_token(&admin, json!({})).await["token"]
            .as_str()
            .unwrap()
            .to_string();
        let resp = app
            .client
            .get(app.url("/api/v1/users/me/"))
            .header("x-api-key", &other)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_is_shared_by_nodes_on_one_postgres() {
    if !postgres::available().await {
        return;
    }
    let a = TestApp::spawn_with(Engine::Postgres, &[("api_key_rate_limit", "3/minute")]).await;
    let url = a.pg.as_ref().unwrap().url.clone();
    let b = TestApp::spawn_with(
        Engine::Sqlite,
        &[("database_url", &url), ("api_key_rate_limit", "3/minute")],
    )
    .await;
    let admin = a.admin().await;
    let token = new_token(&admin, json!({})).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let call = |app: &TestApp| {
        app.client
            .get(app.url("/api/v1/users/me/"))
            .header("x-api-key", token.clone())
            .send()
    };
    assert_eq!(call(&a).await.unwrap().status(), StatusCode::OK);
    assert_eq!(call(&b).await.unwrap().status(), StatusCode::OK);
    assert_eq!(call(&a).await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        call(&b).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_api_keys_is_rate_limited_per_address() {
    let app = TestApp::spawn_with(Engine::Sqlite, &[("anonymous_rate_limit", "5/minute")]).await;
    let admin = app.admin().await;
    let token = new_token(&admin, json!({"label": "ci"})).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let with_key = |key: String| {
        let request = app.client.get(app.url("/api/v1/users/me/"));
        async move { request.header("x-api-key", key).send().await.unwrap() }
    };
    // Signing the admin in took some of the address's 5 too; the guesses get the rest.
    let mut refused = 0;
    let limited = loop {
        let answer = with_key(format!("plane_api_{refused:032x}")).await;
        if answer.status() == StatusCode::TOO_MANY_REQUESTS {
            break answer;
        }
        assert_eq!(answer.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            answer.json::<Value>().await.unwrap(),
            json!({"detail": "Given API token is not valid"})
        );
        refused += 1;
        assert!(refused <= 5, "guesses go on without limit");
    };
    assert!(refused >= 1, "the first guess is refused, not limited");
    assert!(limited.headers().get("retry-after").is_some());
    assert_eq!(
        with_key(token).await.status(),
        StatusCode::OK,
        "a valid token has its own limit"
    );
}
