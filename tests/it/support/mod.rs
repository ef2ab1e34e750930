//! The integration harness: the real server on an ephemeral port with a temporary data folder,
//! on SQLite or on a fresh Postgres database, and an HTTP client to talk to it.

pub mod api;
pub mod browser;
pub mod fake_provider;
pub mod node;
pub mod pki;
pub mod postgres;
pub mod process;
pub mod smtp;
pub mod tools;

use std::{net::SocketAddr, time::Duration};

use plane_aio::{
    app::{AppState, Application},
    config::Settings,
};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

pub use postgres::PgDatabase;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Generates `<name>_sqlite` and `<name>_postgres` from one async test body taking an `Engine`.
#[macro_export]
macro_rules! on_both_engines {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::support::Engine::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if !$crate::support::postgres::available().await {
                    return;
                }
                ($body)($crate::support::Engine::Postgres).await
            }
        }
    };
}

pub fn client() -> reqwest::Client {
    plane_aio::app::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_gzip()
        .no_brotli()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("test HTTP client")
}

/// A server running in this process.
pub struct TestApp {
    pub addr: SocketAddr,
    /// The plain-HTTP redirect listener, when configured.
    pub http_addr: Option<SocketAddr>,
    pub client: reqwest::Client,
    pub state: AppState,
    pub data_dir: TempDir,
    shutdown: CancellationToken,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    pub pg: Option<PgDatabase>,
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        TestApp::spawn_with(engine, &[]).await
    }

    /// `flags` are configuration keys and values, as `serve` flags would give them.
    pub async fn spawn_with(engine: Engine, flags: &[(&'static str, &str)]) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let pg = match engine {
            Engine::Postgres => Some(PgDatabase::create().await),
            Engine::Sqlite => None,
        };
        let settings = test_settings(data_dir.path(), pg.as_ref(), flags);
        let app = Application::build(settings).await.expect("server starts");
        let addr = app.local_addr();
        let http_addr = app.http_local_addr();
        let state = app.state().clone();
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(app.run(shutdown.clone()));
        TestApp {
            addr,
            http_addr,
            client: client(),
            state,
            data_dir,
            shutdown,
            handle: Some(handle),
            pg,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// What `GET /api/users/me/` answers a request carrying only the session cookie `cookie`.
    pub async fn me_with_session(&self, cookie: &str) -> reqwest::StatusCode {
        self.client
            .get(self.url("/api/users/me/"))
            .header("cookie", format!("session-id={cookie}"))
            .send()
            .await
            .expect("request")
            .status()
    }

    /// Graceful stop, as SIGTERM would do; returns what `run` returned.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        match self.handle.take() {
            Some(handle) => handle.await.expect("server task"),
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Settings for a test server: loopback, ephemeral port, fast job retries.
pub fn test_settings(
    data_dir: &std::path::Path,
    pg: Option<&PgDatabase>,
    extra: &[(&'static str, &str)],
) -> Settings {
    let mut flags: Vec<(&'static str, String)> = vec![
        ("data_dir", data_dir.display().to_string()),
        ("listen", "127.0.0.1:0".into()),
        ("job_retry_backoff", "100ms".into()),
        // Tests make many anonymous calls from one address; the limit has its own test.
        ("anonymous_rate_limit", "100000/minute".into()),
        // Likewise for API tokens; the limits have their own tests.
        ("api_key_rate_limit", "1000000/minute".into()),
        ("shutdown_timeout", "5s".into()),
    ];
    if let Some(pg) = pg {
        flags.push(("database_url", pg.url.clone()));
    }
    for (key, value) in extra {
        flags.retain(|(k, _)| k != key);
        flags.push((key, value.to_string()));
    }
    Settings::from_flags(&flags).expect("test settings are valid")
}

pub const ADMIN_EMAIL: &str = "admin@example.com";
/// Plane's UserLite fields, in its order (`users/me/`, member rows).
pub const USER_LITE_KEYS: [&str; 7] = [
    "id",
    "first_name",
    "last_name",
    "email",
    "avatar",
    "avatar_url",
    "display_name",
];
/// Strong enough for zxcvbn.
pub const PASSWORD: &str = "orbit-velvet-cactus-91";

impl TestApp {
    pub fn browser(&self) -> browser::Browser {
        browser::Browser::new(&self.url(""))
    }

    /// Runs the first-run set-up; returns the admin's signed-in browser.
    pub async fn admin(&self) -> browser::Browser {
        let admin = self.browser();
        let resp = admin.set_up_instance().await;
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        admin
    }

    /// Changes instance settings as the admin.
    pub async fn configure(&self, admin: &browser::Browser, changes: serde_json::Value) {
        let resp = admin.patch("/api/instances/configurations/", changes).await;
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    }

    /// Points email delivery at a sink and turns sign-up on.
    pub async fn with_mail(&self, admin: &browser::Browser) -> smtp::SmtpSink {
        let sink = smtp::SmtpSink::start(smtp::SinkOptions {
            security: smtp::Security::Plain,
            credentials: None,
            tls: None,
        })
        .await;
        self.configure(
            admin,
            serde_json::json!({
                "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": sink.addr.port().to_string(),
                "EMAIL_SECURITY": "none", "EMAIL_FROM": "Plane <plane@example.com>",
                "ENABLE_SIGNUP": "1",
            }),
        )
        .await;
        sink
    }

    /// Creates a user directly (as the admin CLI does) and returns their signed-in browser.
    pub async fn user(&self, email: &str) -> browser::Browser {
        plane_aio::domain::accounts::create_user(
            self.state.db(),
            email,
            PASSWORD,
            &Default::default(),
            false,
        )
        .await
        .expect("create user");
        let browser = self.browser();
        let resp = browser.sign_in(email, PASSWORD).await;
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        browser
    }
}

/// Polls `check` until it returns Some, or panics after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
