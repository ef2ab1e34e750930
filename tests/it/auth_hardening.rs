//! Sign-in hardening: magic codes under parallel guesses, sliding sessions and their cookie,
//! `Retry-After` on the auth limits and the lock-out, and answers that take as long whether or
//! not an address has an account.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    email::code_in,
    on_both_engines,
    support::{Engine, PASSWORD, TestApp, browser::Browser},
};

/// Sends the bodies to `path` all at once, each from its own client address (through the
/// trusted proxy, so the per-address limit stays out of the way); returns the statuses.
async fn parallel_posts(browser: &Browser, path: &str, bodies: Vec<Value>) -> Vec<StatusCode> {
    let token = browser.csrf().await;
    let mut set = tokio::task::JoinSet::new();
    for (i, body) in bodies.into_iter().enumerate() {
        let request = browser
            .client
            .post(browser.url(path))
            .header("x-csrftoken", &token)
            .header(
                "x-forwarded-for",
                format!("10.9.{}.{}", i / 200, i % 200 + 1),
            )
            .json(&body);
        set.spawn(async move { request.send().await.unwrap().status() });
    }
    set.join_all().await
}

on_both_engines!(
    parallel_guesses_cannot_beat_the_attempt_limit_or_use_a_code_twice,
    |engine: Engine| async move {
        let app = TestApp::spawn_with(engine, &[("trusted_proxies", "127.0.0.1/32")]).await;
        let admin = app.admin().await;
        let sink = app.with_mail(&admin).await;
        let visitor = app.browser();
        let mut mails = 0;
        // Each round with its own account: five mails per address is its own rule.
        for round in 0..6 {
            let email = format!("racer{round}@example.com");
            plane_aio::domain::accounts::create_user(
                app.state.db(),
                &email,
                PASSWORD,
                &Default::default(),
                false,
            )
            .await
            .unwrap();
            let resp = visitor
                .post("/auth/magic-generate/", json!({ "email": email }))
                .await;
            assert_eq!(resp.status(), StatusCode::OK);
            mails += 1;
            let code = code_in(&sink.wait_for(mails).await.decoded());
            if round < 3 {
                // Six wrong guesses at once: the fifth voids the code, however they interleave.
                let guesses = (b'a'..b'g')
                    .map(|c| json!({"email": email, "code": format!("zzzz-zzzz-zzz{}", c as char)}))
                    .collect();
                let statuses = parallel_posts(&visitor, "/auth/magic-sign-in/", guesses).await;
                assert!(
                    statuses.iter().all(|s| *s == StatusCode::BAD_REQUEST),
                    "{statuses:?}"
                );
                let late = visitor
                    .post(
                        "/auth/magic-sign-in/",
                        json!({"email": email, "code": code}),
                    )
                    .await;
                assert_eq!(
                    late.status(),
                    StatusCode::BAD_REQUEST,
                    "round {round}: six parallel wrong guesses used up the code's five attempts"
                );
            } else {
                let uses = vec![json!({"email": email, "code": code}); 6];
                let statuses = parallel_posts(&visitor, "/auth/magic-sign-in/", uses).await;
                assert_eq!(
                    statuses.iter().filter(|s| **s == StatusCode::OK).count(),
                    1,
                    "round {round}: a right code signs in once: {statuses:?}"
                );
                assert!(
                    statuses
                        .iter()
                        .all(|s| [StatusCode::OK, StatusCode::BAD_REQUEST].contains(s)),
                    "{statuses:?}"
                );
            }
        }
    }
);
