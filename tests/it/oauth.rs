//! Sign-in with providers, end to end against a provider served by the test: authorize →
//! callback → account linked or created → session.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{
        ADMIN_EMAIL, Engine, PASSWORD, TestApp,
        browser::Browser,
        fake_provider::{CLIENT_ID, CLIENT_SECRET, FakeProvider, FakeUser},
    },
};

fn person(email: &str, verified: bool) -> FakeUser {
    FakeUser {
        id: "4242".into(),
        login: "octo".into(),
        name: "Octo Cat".into(),
        email: email.into(),
        email_verified: verified,
    }
}

async fn enable(app: &TestApp, admin: &Browser, provider: &str, base: &str) {
    let upper = provider.to_uppercase();
    let host_key = if provider == "oidc" {
        "OIDC_ISSUER_URL".to_string()
    } else {
        format!("{upper}_HOST")
    };
    app.configure(
        admin,
        json!({
            format!("IS_{upper}_ENABLED"): "1", format!("{upper}_CLIENT_ID"): CLIENT_ID,
            format!("{upper}_CLIENT_SECRET"): CLIENT_SECRET, host_key: base, "ENABLE_SIGNUP": "1",
        }),
    )
    .await;
}

/// The sign-in page's query after a refused sign-in: Plane's `error_code` and `error_message`,
/// and the sentence shown (`error`).
fn refusal(landing: &str) -> (String, String, String) {
    let query = landing
        .strip_prefix("/sign-in?")
        .unwrap_or_else(|| panic!("sent back to sign-in: {landing}"));
    let pairs: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
    let get = |k: &str| pairs.get(k).cloned().unwrap_or_default();
    (get("error_code"), get("error_message"), get("error"))
}

/// Runs the browser side of the flow; returns where the server finally sends the browser.
async fn sign_in_with(browser: &Browser, provider: &str, next: &str) -> String {
    let start = browser
        .get(&format!("/auth/{provider}/?next_path={next}"))
        .await;
    assert_eq!(
        start.status(),
        StatusCode::FOUND,
        "{}",
        start.text().await.unwrap()
    );
    let to_provider = start.headers()["location"].to_str().unwrap().to_string();
    let back = browser.client.get(&to_provider).send().await.unwrap();
    assert_eq!(
        back.status(),
        StatusCode::FOUND,
        "provider: {}",
        back.text().await.unwrap()
    );
    let callback = back.headers()["location"].to_str().unwrap().to_string();
    let done = browser.client.get(&callback).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::FOUND);
    done.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_creates_then_signs_in_the_same_account() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let admin = app.admin().await;
    let provider = FakeProvider::start(person("octo@example.com", true)).await;
    enable(&app, &admin, "github", &provider.base).await;

    let info: Value = app.get("/api/instances/").await.json().await.unwrap();
    assert_eq!(info["config"]["is_github_enabled"], true);
    let redirect = info["config"]["oauth_redirect_uris"]["github"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(redirect, format!("{}/auth/github/callback/", app.url("")));

    let browser = app.browser();
    let start = browser.get("/auth/github/").await;
    let authorize = url::Url::parse(start.headers()["location"].to_str().unwrap()).unwrap();
    let params: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(
        params["redirect_uri"], redirect,
        "the redirect URI the settings page shows"
    );
    assert_eq!(params["code_challenge_method"], "S256");
    assert!(params["scope"].contains("user:email"));

    assert_eq!(
        sign_in_with(&browser, "github", "/acme/projects").await,
        "/acme/projects"
    );
    let me: Value = browser.get("/api/users/me/").await.json().await.unwrap();
    assert_eq!(me["email"], "octo@example.com");
    assert_eq!(me["first_name"], "Octo");
    assert_eq!(me["last_login_medium"], "github");
    assert_eq!(me["is_email_verified"], true);

    // The provider now reports another email: the link by provider id still finds the account.
    provider.set_user(person("renamed@example.com", true));
    let again = app.browser();
    assert_eq!(
        sign_in_with(&again, "github", "//evil.example").await,
        "/",
        "no open redirect"
    );
    let me2: Value = again.get("/api/users/me/").await.json().await.unwrap();
    assert_eq!(me2["id"], me["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_email_links_the_existing_account_and_an_unverified_one_does_not() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let admin = app.admin().await;
    let provider = FakeProvider::start(person(ADMIN_EMAIL, false)).await;
    enable(&app, &admin, "gitlab", &provider.base).await;
    let browser = app.browser();
    let landing = sign_in_with(&browser, "gitlab", "/").await;
    let (code, name, message) = refusal(&landing);
    assert_eq!(
        (code.as_str(), name.as_str()),
        ("5121", "GITLAB_OAUTH_PROVIDER_ERROR")
    );
    assert_eq!(
        message,
        "GitLab has not verified your email address. Verify it there, or sign in another way."
    );
    assert_eq!(
        browser.get("/api/users/me/").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // An unverified address without an account: the same answer, which tells nothing of
    // accounts, and no account made.
    provider.set_user(person("stranger@example.com", false));
    let unknown = sign_in_with(&app.browser(), "gitlab", "/").await;
    assert_eq!(refusal(&unknown), (code, name, message));
    assert!(
        plane_aio::db::users::by_email(app.state.db(), "stranger@example.com")
            .await
            .unwrap()
            .is_none()
    );

    provider.set_user(person(ADMIN_EMAIL, true));
    assert_eq!(sign_in_with(&browser, "gitlab", "/").await, "/");
    let me: Value = browser.get("/api/users/me/").await.json().await.unwrap();
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(
        me["is_instance_admin"], true,
        "the same account, not a new one"
    );
    // The password still works too.
    assert_eq!(
        app.browser().sign_in(ADMIN_EMAIL, PASSWORD).await.status(),
        StatusCode::OK
    );
}

on_both_engines!(
    an_address_gitea_has_not_confirmed_links_to_no_account,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        // Someone registered the admin's address on a Gitea that does not confirm addresses.
        let provider = FakeProvider::start(person(ADMIN_EMAIL, false)).await;
        enable(&app, &admin, "gitea", &provider.base).await;
        let attacker = app.browser();
        let landing = sign_in_with(&attacker, "gitea", "/").await;
        let (code, name, message) = refusal(&landing);
        assert_eq!(
            (code.as_str(), name.as_str()),
            ("5123", "GITEA_OAUTH_PROVIDER_ERROR")
        );
        assert!(message.starts_with("Gitea has not verified"), "{message}");
        assert_eq!(
            attacker.get("/api/users/me/").await.status(),
            StatusCode::UNAUTHORIZED
        );
        let admin_user = plane_aio::db::users::by_email(app.state.db(), ADMIN_EMAIL)
            .await
            .unwrap()
            .unwrap();
        assert!(
            plane_aio::db::social_accounts::for_user(app.state.db(), admin_user.id)
                .await
                .unwrap()
                .is_empty(),
            "nothing linked to the account"
        );

        // Once Gitea lists the address as confirmed, it links to the same account.
        provider.set_user(person(ADMIN_EMAIL, true));
        let owner = app.browser();
        assert_eq!(sign_in_with(&owner, "gitea", "/").await, "/");
        let me: Value = owner.get("/api/users/me/").await.json().await.unwrap();
        assert_eq!(me["id"], admin_user.id.to_string());
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitea_respects_the_sign_up_switch_and_the_state_is_single_use() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let admin = app.admin().await;
    let provider = FakeProvider::start(person("newcomer@example.com", true)).await;
    enable(&app, &admin, "gitea", &provider.base).await;
    app.configure(&admin, json!({"ENABLE_SIGNUP": "0"})).await;
    let browser = app.browser();
    let landing = sign_in_with(&browser, "gitea", "/").await;
    let (code, name, _) = refusal(&landing);
    assert_eq!((code.as_str(), name.as_str()), ("5015", "SIGNUP_DISABLED"));

    // A callback with a made-up or replayed state is refused.
    app.configure(&admin, json!({"ENABLE_SIGNUP": "1"})).await;
    let start = browser.get("/auth/gitea/").await;
    let to_provider = start.headers()["location"].to_str().unwrap().to_string();
    let back = browser.client.get(&to_provider).send().await.unwrap();
    let callback = back.headers()["location"].to_str().unwrap().to_string();
    let forged = callback.replace("state=", "state=x");
    let refused = browser.client.get(&forged).send().await.unwrap();
    let (code, name, _) = refusal(refused.headers()["location"].to_str().unwrap());
    assert_eq!(
        (code.as_str(), name.as_str()),
        ("5123", "GITEA_OAUTH_PROVIDER_ERROR")
    );
    let ok = browser.client.get(&callback).send().await.unwrap();
    assert_eq!(ok.headers()["location"], "/");
    let replay = app.browser().client.get(&callback).send().await.unwrap();
    assert!(
        replay.headers()["location"]
            .to_str()
            .unwrap()
            .contains("error_code"),
        "single use"
    );
}

/// An issuer whose URL ends in `/` (Auth0's, Authentik's) is the issuer as written: discovery
/// names it so, and a slash trimmed off would never match it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_openid_issuer_ending_in_a_slash_signs_in() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let admin = app.admin().await;
    let provider = FakeProvider::start(person("sso@example.com", true)).await;
    let issuer = provider.issue_with_trailing_slash();
    enable(&app, &admin, "oidc", &issuer).await;
    let browser = app.browser();
    assert_eq!(sign_in_with(&browser, "oidc", "/").await, "/");
    let me: Value = browser.get("/api/users/me/").await.json().await.unwrap();
    assert_eq!(me["email"], "sso@example.com");
}

/// A provider that gives the address only at its userinfo endpoint (Authelia since 4.39): it is
/// asked there, and what it says of the address decides as the ID token's claims would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_given_only_at_userinfo_signs_in() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let admin = app.admin().await;
    let provider = FakeProvider::start(person("authelia@example.com", true)).await;
    provider.keep_email_out_of_id_tokens();
    enable(&app, &admin, "oidc", &provider.base).await;
    let browser = app.browser();
    assert_eq!(sign_in_with(&browser, "oidc", "/").await, "/");
    let me: Value = browser.get("/api/users/me/").await.json().await.unwrap();
    assert_eq!(me["email"], "authelia@example.com");

    // Unverified there: refused, no account made.
    let mut stranger = person("unverified@example.com", false);
    stranger.id = "4343".into();
    provider.set_user(stranger);
    let other = app.browser();
    let landing = sign_in_with(&other, "oidc", "/").await;
    let (_, _, message) = refusal(&landing);
    assert!(
        message.contains("has not verified your email address"),
        "refused for the unverified address the userinfo gave, not a missing one: {landing}"
    );
    assert_eq!(
        other.get("/api/users/me/").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(
        plane_aio::db::users::by_email(app.state.db(), "unverified@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

/// Google and generic OpenID Connect: discovery, a signed ID token, and a forged one refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_connect_providers_verify_the_id_token() {
    for (name, email, refused) in [
        ("oidc", "sso@example.com", ("5999", "AUTHENTICATION_FAILED")),
        (
            "google",
            "g.user@example.com",
            ("5115", "GOOGLE_OAUTH_PROVIDER_ERROR"),
        ),
    ] {
        let app = TestApp::spawn(Engine::Sqlite).await;
        let admin = app.admin().await;
        let enabled = format!("is_{name}_enabled");
        let info: Value = app.get("/api/instances/").await.json().await.unwrap();
        assert_eq!(info["config"][&enabled], false, "{name}");
        let provider = FakeProvider::start(person(email, true)).await;
        enable(&app, &admin, name, &provider.base).await;
        let info: Value = app.get("/api/instances/").await.json().await.unwrap();
        assert_eq!(info["config"][&enabled], true, "{name}");

        let browser = app.browser();
        assert_eq!(sign_in_with(&browser, name, "/").await, "/", "{name}");
        let me: Value = browser.get("/api/users/me/").await.json().await.unwrap();
        assert_eq!(me["email"], email);
        assert_eq!(me["last_name"], "Cat");
        assert_eq!(me["last_login_medium"], name);

        provider.forge_signatures();
        let other = app.browser();
        let landing = sign_in_with(&other, name, "/").await;
        let (code, error_name, message) = refusal(&landing);
        assert_eq!(
            (code.as_str(), error_name.as_str()),
            refused,
            "{name}: a forged ID token is refused: {landing}"
        );
        // The details stay in the log.
        assert_eq!(
            message,
            "The provider's answer could not be used. Try again, or sign in another way."
        );
        assert_eq!(
            other.get("/api/users/me/").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openid_connect_button_shows_its_configured_name() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let admin = app.admin().await;
    let provider = FakeProvider::start(person("sso@example.com", true)).await;
    enable(&app, &admin, "oidc", &provider.base).await;
    app.configure(&admin, json!({"OIDC_DISPLAY_NAME": "Company SSO"}))
        .await;
    let info: Value = app.get("/api/instances/").await.json().await.unwrap();
    assert_eq!(info["config"]["oidc_display_name"], "Company SSO");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_is_not_set_up_sends_back_to_sign_in() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.admin().await;
    let resp = app.browser().get("/auth/google/").await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    let refused = refusal(resp.headers()["location"].to_str().unwrap());
    assert_eq!(
        refused,
        (
            "5105".to_string(),
            "GOOGLE_NOT_CONFIGURED".to_string(),
            "Sign-in with Google is not set up on this instance.".to_string()
        )
    );
    assert_eq!(
        app.browser().get("/auth/myspace/").await.status(),
        StatusCode::NOT_FOUND
    );
}

/// The browser part up to the provider's answer: the callback URL the provider sends back to.
async fn callback_url(browser: &Browser, provider: &str) -> String {
    let start = browser.get(&format!("/auth/{provider}/")).await;
    assert_eq!(start.status(), StatusCode::FOUND);
    let to_provider = start.headers()["location"].to_str().unwrap().to_string();
    let back = browser.client.get(&to_provider).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::FOUND);
    back.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_signs_in_only_the_browser_that_started_the_sign_in() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let admin = app.admin().await;
    let provider = FakeProvider::start(person("octo@example.com", true)).await;
    enable(&app, &admin, "github", &provider.base).await;

    // The start binds the flow to the browser with a short-lived HttpOnly cookie.
    let start = app
        .client
        .get(app.url("/auth/github/"))
        .send()
        .await
        .unwrap();
    let set_cookie = start.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set_cookie.starts_with("oauth-state="), "{set_cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Max-Age=600"] {
        assert!(set_cookie.contains(attribute), "{attribute}: {set_cookie}");
    }

    // An attacker's callback URL (started in browser A) opened in the victim's browser B:
    // with no cookie, or with the cookie of B's own sign-in, B is signed in to nothing.
    let a = app.browser();
    let callback = callback_url(&a, "github").await;
    let b = app.browser();
    callback_url(&b, "github").await;
    for client in [&app.client, &b.client] {
        let refused = client.get(&callback).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FOUND);
        let location = refused.headers()["location"].to_str().unwrap().to_string();
        assert!(
            location
                .starts_with("/sign-in?error_code=5120&error_message=GITHUB_OAUTH_PROVIDER_ERROR&"),
            "{location}"
        );
        assert!(
            refused
                .headers()
                .get_all("set-cookie")
                .iter()
                .all(|c| !c.to_str().unwrap().starts_with("session-id=")),
            "no session for the other browser"
        );
    }
    assert_eq!(
        b.get("/api/users/me/").await.status(),
        StatusCode::UNAUTHORIZED
    );

    // The browser that started it still finishes it, and its cookie is cleared.
    let done = a.client.get(&callback).send().await.unwrap();
    assert_eq!(done.headers()["location"], "/");
    assert!(
        done.headers().get_all("set-cookie").iter().any(|c| {
            let c = c.to_str().unwrap();
            c.starts_with("oauth-state=") && c.contains("Max-Age=0")
        }),
        "the state cookie is cleared"
    );
    let me: Value = a.get("/api/users/me/").await.json().await.unwrap();
    assert_eq!(me["email"], "octo@example.com");
}

on_both_engines!(
    pointing_a_provider_at_another_server_drops_the_links_made_on_the_old_one,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let old_server = FakeProvider::start(person("ada@example.com", true)).await;
        enable(&app, &admin, "gitea", &old_server.base).await;
        let ada = app.browser();
        assert_eq!(sign_in_with(&ada, "gitea", "/").await, "/");
        let db = app.state.db();
        let ada_id = plane_aio::db::users::by_email(db, "ada@example.com")
            .await
            .unwrap()
            .unwrap()
            .id;
        assert!(
            plane_aio::db::social_accounts::find(db, "gitea", "4242")
                .await
                .unwrap()
                .is_some()
        );

        // Another Gitea, whose user 4242 is someone else: not Ada's account.
        let new_server = FakeProvider::start(person("mallory@example.com", true)).await;
        app.configure(&admin, json!({"GITEA_HOST": new_server.base}))
            .await;
        assert!(
            plane_aio::db::social_accounts::for_user(db, ada_id)
                .await
                .unwrap()
                .is_empty(),
            "the old server's links are gone"
        );
        let mallory = app.browser();
        assert_eq!(sign_in_with(&mallory, "gitea", "/").await, "/");
        let me: Value = mallory.get("/api/users/me/").await.json().await.unwrap();
        assert_eq!(me["email"], "mallory@example.com");
        assert_ne!(me["id"], ada_id.to_string());

        // Saving the same host again keeps the links.
        app.configure(&admin, json!({"GITEA_HOST": new_server.base}))
            .await;
        assert!(
            plane_aio::db::social_accounts::find(db, "gitea", "4242")
                .await
                .unwrap()
                .is_some()
        );
    }
);

on_both_engines!(
    two_first_sign_ins_of_one_identity_at_once_make_one_account_and_one_link,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let provider = FakeProvider::start(person("twice@example.com", true)).await;
        enable(&app, &admin, "gitea", &provider.base).await;
        // Two browsers (or tabs) of one person, each with its own flow, come back at once.
        let mut callbacks = Vec::new();
        for _ in 0..2 {
            let browser = app.browser();
            let start = browser.get("/auth/gitea/").await;
            let to_provider = start.headers()["location"].to_str().unwrap().to_string();
            let back = browser.client.get(&to_provider).send().await.unwrap();
            let callback = back.headers()["location"].to_str().unwrap().to_string();
            callbacks.push((browser, callback));
        }
        let landings = futures_util::future::join_all(callbacks.iter().map(
            |(browser, callback)| async move {
                let resp = browser.client.get(callback).send().await.unwrap();
                (resp.status(), resp.headers().get("location").cloned())
            },
        ))
        .await;
        for (status, location) in landings {
            assert_eq!(status, StatusCode::FOUND);
            assert_eq!(location.unwrap(), "/", "both signed in");
        }
        let db = app.state.db();
        let user = plane_aio::db::users::by_email(db, "twice@example.com")
            .await
            .unwrap()
            .unwrap();
        let links = plane_aio::db::social_accounts::for_user(db, user.id)
            .await
            .unwrap();
        assert_eq!(links.len(), 1);
    }
);
