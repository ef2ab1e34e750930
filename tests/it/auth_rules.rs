//! Account rules at their edges: the answers of the sign-in limits.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Engine, PASSWORD, TestApp};

fn retry_after(resp: &reqwest::Response) -> u64 {
    resp.headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

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
