//! Sign-in hardening: magic codes under parallel guesses, sliding sessions and their cookie,
//! `Retry-After` on the auth limits and the lock-out, and answers that take as long whether or
//! not an address has an account.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    email::code_in,
    on_both_engines,
    support::{ADMIN_EMAIL, Engine, PASSWORD, TestApp, browser::Browser},
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
    a_burst_of_parallel_password_guesses_gets_ten_tries,
    |engine: Engine| async move {
        // From thirty client addresses at once, so only the per-account lock-out can stop them.
        let app = TestApp::spawn_with(engine, &[("trusted_proxies", "127.0.0.1/32")]).await;
        app.admin().await;
        let visitor = app.browser();
        let guesses = (0..30)
            .map(|i| json!({"email": ADMIN_EMAIL, "password": format!("wrong guess {i}")}))
            .collect();
        let statuses = parallel_posts(&visitor, "/auth/sign-in/", guesses).await;
        let tried = statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count();
        let refused = statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert_eq!((tried, refused), (10, 20), "{statuses:?}");
        let right = parallel_posts(
            &visitor,
            "/auth/sign-in/",
            vec![json!({"email": ADMIN_EMAIL, "password": PASSWORD})],
        )
        .await;
        assert_eq!(
            right,
            [StatusCode::TOO_MANY_REQUESTS],
            "locked, the right password too"
        );
    }
);

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

fn session_cookies(resp: &reqwest::Response) -> Vec<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .filter(|v| v.starts_with("session-id="))
        .collect()
}

on_both_engines!(
    a_session_extended_by_its_use_sends_its_cookie_again,
    |engine: Engine| async move {
        use plane_aio::{domain::sessions, kv::Namespace};
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let cookie = admin.cookie("session-id").unwrap();
        let fresh = admin.get("/api/users/me/").await;
        assert_eq!(fresh.status(), StatusCode::OK);
        assert_eq!(
            session_cookies(&fresh),
            Vec::<String>::new(),
            "not on every request"
        );

        // As if last used ten minutes ago: this use pushes the expiry out.
        let user_id = admin.user_id();
        let kv = app.state.kv();
        let mut found = sessions::list(kv, user_id).await.unwrap();
        assert_eq!(found.len(), 1);
        let mut session = found.remove(0);
        session.record.last_seen_at -= chrono::TimeDelta::minutes(10);
        kv.set(
            Namespace::Sessions,
            &session.key,
            &session.record,
            Some(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
        let extended = admin.get("/api/users/me/").await;
        assert_eq!(extended.status(), StatusCode::OK);
        let renewed = session_cookies(&extended);
        assert_eq!(renewed.len(), 1, "{renewed:?}");
        assert!(
            renewed[0].starts_with(&format!("session-id={cookie};")),
            "{renewed:?}"
        );
        for attribute in ["Max-Age=604800", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(renewed[0].contains(attribute), "{attribute}: {renewed:?}");
        }
        let next = admin.get("/api/users/me/").await;
        assert_eq!(
            session_cookies(&next),
            Vec::<String>::new(),
            "extended once"
        );
    }
);

pub fn retry_after(resp: &reqwest::Response) -> u64 {
    resp.headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auth_limits_say_when_to_retry() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let visitor = app.browser();
    let forgot = async || {
        visitor
            .post("/auth/forgot-password/", json!({"email": "x@example.com"}))
            .await
    };
    // Five mails per address in ten minutes.
    for _ in 0..5 {
        assert_ne!(forgot().await.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let limited = forgot().await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&limited);
    assert!((61..=600).contains(&wait), "{wait}");
    assert_eq!(
        limited.json::<Value>().await.unwrap(),
        json!({"error_code": 5900, "error_message": "RATE_LIMIT_EXCEEDED"})
    );
    // Twenty attempts per client address a minute (six so far).
    let reset = async || {
        visitor
            .post(
                "/auth/reset-password/",
                json!({"token": "x", "password": "x"}),
            )
            .await
    };
    for _ in 0..14 {
        assert_eq!(reset().await.status(), StatusCode::BAD_REQUEST);
    }
    let limited = reset().await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&limited);
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(
        limited.json::<Value>().await.unwrap(),
        json!({"error_code": 5900, "error_message": "RATE_LIMIT_EXCEEDED"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_address_is_told_when_to_retry() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.admin().await;
    let browser = app.browser();
    for _ in 0..10 {
        assert_eq!(
            browser
                .sign_in(ADMIN_EMAIL, "wrong-password-here")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = browser.sign_in(ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&locked);
    assert!(
        (800..=900).contains(&wait),
        "the lock lasts 15 minutes: {wait}"
    );
    assert_eq!(
        locked.json::<Value>().await.unwrap(),
        json!({"error_code": 5900, "error_message": "RATE_LIMIT_EXCEEDED"}),
        "the lock-out answers like every other limit"
    );
}

on_both_engines!(
    asking_for_a_code_or_a_reset_link_takes_as_long_for_unknown_addresses,
    |engine: Engine| async move {
        // Each request from its own address (through a trusted proxy), so the per-address
        // limits stay out of the way.
        let app = TestApp::spawn_with(engine, &[("trusted_proxies", "127.0.0.1/32")]).await;
        let admin = app.admin().await;
        let _sink = app.with_mail(&admin).await;
        // Closed sign-up: only known addresses get a code.
        app.configure(&admin, json!({"ENABLE_SIGNUP": "0"})).await;
        const SAMPLES: usize = 11;
        for i in 0..SAMPLES {
            plane_aio::domain::accounts::create_user(
                app.state.db(),
                &format!("known{i}@example.com"),
                PASSWORD,
                &Default::default(),
                false,
            )
            .await
            .unwrap();
        }
        let token = admin.csrf().await;
        let mut hop = 0u32;
        for path in ["/auth/magic-generate/", "/auth/forgot-password/"] {
            let mut time = async |email: String| {
                hop += 1;
                // The previous request's background work (its job, its mail) finishes first,
                // so it cannot slow the next measurement of the other kind.
                settle(&app).await;
                let started = Instant::now();
                let resp = admin
                    .client
                    .post(admin.url(path))
                    .header("x-csrftoken", &token)
                    .header(
                        "x-forwarded-for",
                        format!("10.0.{}.{}", hop / 200, hop % 200),
                    )
                    .json(&json!({ "email": email }))
                    .send()
                    .await
                    .unwrap();
                let took = started.elapsed();
                assert_eq!(resp.status(), StatusCode::OK, "{path}");
                took
            };
            // Alternate the two kinds, so a busy machine slows both alike; compare medians.
            let (mut known, mut unknown) = (Vec::new(), Vec::new());
            for i in 0..SAMPLES {
                known.push(time(format!("known{i}@example.com")).await);
                unknown.push(time(format!("unknown{i}@example.com")).await);
            }
            known.sort();
            unknown.sort();
            let (known, unknown) = (known[SAMPLES / 2], unknown[SAMPLES / 2]);
            let ratio = known.as_secs_f64() / unknown.as_secs_f64();
            // A wide band: these answers take about a millisecond, so scheduling noise is
            // large; doing the mail work inline (a queue write, an SMTP round trip) for known
            // addresses only would still take it far outside.
            assert!(
                (0.5..2.0).contains(&ratio),
                "{path}: known {known:?} vs unknown {unknown:?}"
            );
        }
    }
);

/// Waits until the queue has nothing waiting or running, then a moment more.
async fn settle(app: &TestApp) {
    use plane_aio::jobs::StatusFilter;
    let queue = app.state.queue();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let pending = queue.list(StatusFilter::Pending, 1).await.unwrap();
        let running = queue.list(StatusFilter::Running, 1).await.unwrap();
        if pending.is_empty() && running.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
}

on_both_engines!(
    a_session_whose_credentials_were_checked_before_a_reset_is_void,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        app.admin().await;
        let db = app.state.db();
        let user = plane_aio::db::users::by_email(db, ADMIN_EMAIL)
            .await
            .unwrap()
            .unwrap();
        // A password reset (or a disable) commits between a sign-in's check and its session.
        let checked_at = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
        let reset_at = chrono::Utc::now();
        let user = plane_aio::db::users::save(db, user, |u| {
            u.sessions_valid_after = sea_orm::ActiveValue::Set(Some(reset_at));
        })
        .await
        .unwrap();
        let kv = app.state.kv();
        let create =
            |at| plane_aio::domain::sessions::create(kv, user.id, "test", "127.0.0.1", "email", at);
        let (late, _) = create(checked_at).await.unwrap();
        assert_eq!(app.me_with_session(&late).await, StatusCode::UNAUTHORIZED);
        // Checked after the reset: valid.
        let (fresh, _) = create(chrono::Utc::now()).await.unwrap();
        assert_eq!(app.me_with_session(&fresh).await, StatusCode::OK);
    }
);

on_both_engines!(
    behind_a_proxy_that_adds_its_own_header_line_the_client_is_the_proxys_hop,
    |engine: Engine| async move {
        let app = TestApp::spawn_with(engine, &[("trusted_proxies", "127.0.0.1/32")]).await;
        let admin = app.admin().await;
        let token = admin.csrf().await;
        // The client forged the first line; the proxy (HAProxy does so) added the second.
        let signed_in = admin
            .client
            .post(admin.url("/auth/sign-in/"))
            .header("x-csrftoken", &token)
            .header("x-forwarded-for", "203.0.113.66")
            .header("x-forwarded-for", "198.51.100.7")
            .json(&json!({"email": ADMIN_EMAIL, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), StatusCode::OK);
        let sessions: Vec<Value> = admin
            .get("/api/users/me/sessions/")
            .await
            .json()
            .await
            .unwrap();
        let current = sessions.iter().find(|s| s["is_current"] == true).unwrap();
        assert_eq!(current["ip"], "198.51.100.7", "{sessions:?}");
    }
);

on_both_engines!(
    the_longest_addresses_get_the_same_answers_as_short_ones,
    |engine: Engine| async move {
        // 248 characters, a valid address: the keys of its counters and codes run past what
        // the key-value store's column holds, and must not turn into a 500.
        let long = format!(
            "a@{}.{}.{}.{}.com",
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(63),
            "e".repeat(50)
        );
        assert_eq!(long.len(), 248);
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let _sink = app.with_mail(&admin).await;
        let visitor = app.browser();
        let wrong = visitor.sign_in(&long, "not the password").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        for path in ["/auth/magic-generate/", "/auth/forgot-password/"] {
            let asked = visitor.post(path, json!({ "email": long })).await;
            assert_eq!(asked.status(), StatusCode::OK, "{path}");
        }
        let guessed = visitor
            .post(
                "/auth/magic-sign-in/",
                json!({ "email": long, "code": "123456" }),
            )
            .await;
        assert!(guessed.status().is_client_error(), "{}", guessed.status());
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_of_too_many_values_is_refused_before_it_is_parsed() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    // Small in bytes, some 12 MB once parsed: refused unparsed, with a short answer.
    let mut values = vec![Value::from(0); 150_000];
    values.push(json!({"email": ADMIN_EMAIL}));
    let too_many = json!({"detail": "JSON parse error - the body holds more than 100000 values"});
    // The web UI's routes (parsed by their own extractors) ...
    let visitor = app.browser();
    let token = visitor.csrf().await;
    let refused = visitor
        .client
        .post(visitor.url("/auth/sign-in/"))
        .header("x-csrftoken", &token)
        .json(&values)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(refused.json::<Value>().await.unwrap(), too_many);
    // ... and the public API's.
    let owner = app.api_user("owner@example.com").await;
    let refused = owner.post("/workspaces/", Value::Array(values)).await;
    assert_eq!((refused.status.as_u16(), refused.body), (400, too_many));
}

on_both_engines!(
    signing_in_past_the_cap_ends_the_least_recently_used_sessions,
    |engine: Engine| async move {
        use plane_aio::domain::sessions;
        let app = TestApp::spawn(engine).await;
        let admin = app.admin().await;
        let user_id = admin.user_id();
        let kv = app.state.kv();
        // The browser's session is the oldest; a script signs in as many times again.
        for _ in 0..sessions::MAX_PER_USER {
            sessions::create(
                kv,
                user_id,
                "script",
                "127.0.0.1",
                "email",
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        }
        assert_eq!(
            sessions::list(kv, user_id).await.unwrap().len(),
            sessions::MAX_PER_USER
        );
        assert_eq!(
            admin.get("/api/users/me/").await.status(),
            StatusCode::UNAUTHORIZED,
            "the least recently used session went"
        );
    }
);
