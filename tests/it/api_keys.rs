//! The API-key rate limit as an operator gets it: the real binary with its default (Plane's
//! 60/minute), and the limit set by a flag or by the environment. (The other tests raise the
//! limit out of the way.)

use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{
        Engine, PASSWORD, PgDatabase,
        process::{self, Server},
    },
};

const EMAIL: &str = "robot@example.com";

/// A `serve` child with `args` and `envs` (on a fresh Postgres database for `Engine::Postgres`),
/// and an API token made by the admin CLI.
struct Served {
    server: Server,
    token: String,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

async fn serve(engine: Engine, args: &[&str], envs: &[(&'static str, &'static str)]) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let pg = match engine {
        Engine::Postgres => Some(PgDatabase::create().await),
        Engine::Sqlite => None,
    };
    let mut common = vec![
        "--data-dir".to_string(),
        dir.path().join("data").display().to_string(),
    ];
    if let Some(pg) = &pg {
        common.extend(["--database-url".to_string(), pg.url.clone()]);
    }
    let mut serve_args = common.clone();
    serve_args.extend(["--listen", "127.0.0.1:0"].map(String::from));
    serve_args.extend(args.iter().map(|a| a.to_string()));
    let envs = envs.to_vec();
    let cwd = dir.path().to_path_buf();
    let (server, token) = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = serve_args.iter().map(String::as_str).collect();
        let server = Server::start(&args, &envs, &cwd);
        let cli = |command: &[&str], stdin: &str| {
            let mut all: Vec<&str> = vec!["admin"];
            all.extend_from_slice(command);
            all.extend(common.iter().map(String::as_str));
            let out = process::run_with_stdin(&all, &[], &cwd, stdin);
            assert!(out.status.success(), "{}", process::stderr(&out));
            process::stdout(&out).trim().to_string()
        };
        cli(
            &["create-user", "--email", EMAIL, "--password-stdin"],
            &format!("{PASSWORD}\n"),
        );
        let token = cli(&["create-token", "--email", EMAIL], "");
        (server, token)
    })
    .await
    .unwrap();
    assert!(token.starts_with("plane_api_"), "{token}");
    Served {
        server,
        token,
        _dir: dir,
        _pg: pg,
    }
}

/// Sends `allowed` requests that must pass, with `X-RateLimit-Remaining` counting down to 0,
/// then one more, which must get Plane's 429.
async fn spend(served: &Served, allowed: u64) {
    let client = crate::support::client();
    let url = served.server.url("/api/v1/users/me/");
    let call = || client.get(&url).header("X-Api-Key", &served.token).send();
    for i in 1..=allowed {
        let resp = call().await.unwrap();
        assert_eq!(resp.status(), 200, "request {i}");
        assert_eq!(
            resp.headers()["x-ratelimit-remaining"],
            (allowed - i).to_string().as_str(),
            "request {i}"
        );
        assert!(resp.headers().contains_key("x-ratelimit-reset"));
        assert_eq!(resp.json::<Value>().await.unwrap()["email"], EMAIL);
    }
    let limited = call().await.unwrap();
    assert_eq!(limited.status(), 429, "request {}", allowed + 1);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // As Plane: the remaining count comes with answered requests only.
    assert!(limited.headers().get("x-ratelimit-remaining").is_none());
    assert_eq!(
        limited.json::<Value>().await.unwrap(),
        json!({"error_code": 5900, "error_message": "RATE_LIMIT_EXCEEDED"})
    );
}

on_both_engines!(
    a_token_gets_sixty_requests_a_minute_by_default,
    |engine: Engine| async move {
        let served = serve(engine, &[], &[]).await;
        spend(&served, 60).await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_can_be_set_by_flag_or_environment() {
    let by_flag = serve(Engine::Sqlite, &["--api-key-rate-limit", "5/minute"], &[]).await;
    spend(&by_flag, 5).await;
    let by_env = serve(
        Engine::Sqlite,
        &[],
        &[("PLANE_AIO_API_KEY_RATE_LIMIT", "5/minute")],
    )
    .await;
    spend(&by_env, 5).await;
}
