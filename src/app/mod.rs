//! Start-up and shutdown: wires every part into one process.
//!
//! [`Application::build`] does everything that can fail, in an order that fails early and
//! leaves nothing half-created: configuration files are read, listeners are bound, then the data
//! folder is created and locked, the database migrated, the key-value store, storage and job
//! queue opened. [`Application::run`] then serves until the shutdown token is cancelled and stops
//! the parts in reverse order. `serve` and the tests use the same two calls.

pub mod data_dir;
pub mod footprint;
pub mod readiness;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    config::{DatabaseSettings, Settings},
    db::{self, Db},
    domain::{
        crypto::SecretBox,
        instance::{InstanceSettings, SettingsError},
        oauth::HttpClient,
    },
    http::{self, tls::TlsMaterial},
    jobs::JobQueue,
    kv::Kv,
    storage::{Storage, UrlSigner},
};

pub use data_dir::DataDir;

/// Everything a request, job or cron tick needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    settings: Settings,
    db: Db,
    kv: Kv,
    storage: Storage,
    queue: JobQueue,
    secrets: SecretBox,
    oauth_http: HttpClient,
    token_usage: TokenUsage,
    known_tokens: crate::domain::tokens::KnownTokens,
    answers: db::memo::Memo<String, bytes::Bytes>,
    readiness: readiness::ReadinessProbe,
}

impl AppState {
    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    pub fn db(&self) -> &Db {
        &self.0.db
    }

    pub fn kv(&self) -> &Kv {
        &self.0.kv
    }

    pub fn storage(&self) -> &Storage {
        &self.0.storage
    }

    pub fn queue(&self) -> &JobQueue {
        &self.0.queue
    }

    pub fn node_name(&self) -> &str {
        &self.0.settings.node_name
    }

    pub fn secrets(&self) -> &SecretBox {
        &self.0.secrets
    }

    pub fn oauth_http(&self) -> &HttpClient {
        &self.0.oauth_http
    }

    pub fn token_usage(&self) -> &TokenUsage {
        &self.0.token_usage
    }

    pub fn known_tokens(&self) -> &crate::domain::tokens::KnownTokens {
        &self.0.known_tokens
    }

    /// Encoded read-only answers, remembered while the database has not changed
    /// ([`crate::api::shape::remembered`]).
    pub fn answers(&self) -> &db::memo::Memo<String, bytes::Bytes> {
        &self.0.answers
    }

    /// The node's parts' readiness, checked at most once a second ([`readiness`]).
    pub async fn readiness(&self) -> Arc<readiness::Readiness> {
        self.0.readiness.current(self).await
    }

    /// The instance settings, read from the database (shared by every node).
    pub async fn instance_settings(&self) -> Result<InstanceSettings, SettingsError> {
        InstanceSettings::load(self.db(), self.secrets()).await
    }

    /// Where users reach the instance: `public_url` when configured, else the instance
    /// setting, else derived from the listen address or domain.
    pub fn public_url(&self, instance: &InstanceSettings) -> String {
        let settings = self.settings();
        match instance.public_url() {
            Some(url) if !settings.public_url_configured() => url.to_string(),
            _ => settings
                .public_url
                .as_str()
                .trim_end_matches('/')
                .to_string(),
        }
    }
}

impl AppState {
    /// [`AppState::public_url`] as a URL ending in `/`, for links built now (an admin may set
    /// it at run time). The instance settings are read only when `public_url` is not configured.
    pub async fn public_base(&self) -> Result<url::Url, SettingsError> {
        let configured = &self.settings().public_url;
        if self.settings().public_url_configured() {
            return Ok(configured.clone());
        }
        let instance = self.instance_settings().await?;
        let text = format!("{}/", self.public_url(&instance));
        Ok(url::Url::parse(&text).unwrap_or_else(|_| configured.clone()))
    }
}

/// When each API token was last used, kept in memory and written to the database every
/// [`TOKEN_USAGE_FLUSH`], so a request never waits on a write just to record its token's use.
#[derive(Default)]
pub struct TokenUsage(
    std::sync::Mutex<std::collections::HashMap<uuid::Uuid, chrono::DateTime<chrono::Utc>>>,
);

/// How often token use times are written.
pub const TOKEN_USAGE_FLUSH: Duration = Duration::from_secs(30);

impl TokenUsage {
    pub fn record(&self, token_id: uuid::Uuid) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.insert(token_id, chrono::Utc::now());
    }

    /// Writes the recorded times and forgets them.
    pub async fn flush(&self, db: &Db) {
        let pending: Vec<_> = {
            let mut map = self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            map.drain().collect()
        };
        if pending.is_empty() {
            return;
        }
        if let Err(e) = db::api_tokens::record_last_used(db, &pending).await {
            tracing::warn!(error = %e, "cannot record API token use");
        }
    }
}

/// Below this much free space a start-up failure is blamed on a full disk.
const LOW_DISK_BYTES: u64 = 1024 * 1024;

/// A start-up failure: one sentence naming the cause, for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartupError(pub String);

fn fail(message: impl Into<String>) -> StartupError {
    StartupError(message.into())
}

/// Binds a listener, with a message naming the address and the likely cause.
pub async fn bind(addr: SocketAddr, what: &str) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr).await.map_err(|e| {
        let reason = match e.kind() {
            std::io::ErrorKind::AddrInUse => "the address is already in use (another program, or another plane-aio, listens there)".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)".to_string(),
            std::io::ErrorKind::AddrNotAvailable => "the address is not one of this machine's".to_string(),
            _ => e.to_string(),
        };
        fail(format!("cannot listen on {addr} ({what}): {reason}"))
    })
}

pub struct Application {
    state: AppState,
    data_dir: DataDir,
    listener: TcpListener,
    http_listener: Option<TcpListener>,
    tls: TlsMaterial,
}

/// The opened parts, kept together so a failure can close them all.
struct Parts {
    db: Db,
    kv: Kv,
    storage: Storage,
    queue: JobQueue,
    secrets: SecretBox,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        Application::build_until(settings, &CancellationToken::new()).await
    }

    /// [`Application::build`], abandoned when `stop` is cancelled (SIGTERM while a start waits
    /// for Postgres, or for another node's migrations): what this start created is removed,
    /// as after any failed start, and the error says so.
    pub async fn build_until(
        mut settings: Settings,
        stop: &CancellationToken,
    ) -> Result<Application, StartupError> {
        let stopped = || fail("stopped by a signal while starting; nothing was left behind");
        install_crypto_provider();
        let tls = TlsMaterial::load(&settings.tls).map_err(|e| fail(format!("{e:#}")))?;
        if let Some(root) = &settings.smtp_ca_root {
            crate::mail::read_ca_root(root).map_err(|e| fail(format!("smtp_ca_root: {e}")))?;
        }
        DataDir::ensure_free(&settings.data_dir).map_err(|e| fail(e.to_string()))?;
        let listener = bind(settings.listen, "listen").await?;
        if let Ok(bound) = listener.local_addr() {
            settings.adopt_bound_address(bound);
        }
        let http_listener = match settings.http_listen {
            Some(addr) => Some(bind(addr, "http_listen").await?),
            None => None,
        };
        // Postgres is checked before the data folder is touched, so a wrong URL or password
        // creates nothing.
        let postgres = match &settings.database {
            DatabaseSettings::Postgres { .. } => Some(tokio::select! {
                connected = Db::connect_serving(&settings.database) => {
                    connected.map_err(|e| fail(e.to_string()))?
                }
                _ = stop.cancelled() => return Err(stopped()),
            }),
            DatabaseSettings::Sqlite { .. } => None,
        };
        let data_dir = DataDir::open(&settings.data_dir).map_err(|e| fail(e.to_string()))?;
        // `sqlite://PATH` may put the database outside the data folder.
        let db_files = match &settings.database {
            DatabaseSettings::Sqlite { path } => footprint::NewDatabaseFiles::note(path),
            DatabaseSettings::Postgres { .. } => Default::default(),
        };
        // Dropping the unfinished opening rolls back its transaction (a migration's, say);
        // the failure path below then removes what this start created.
        let opened = tokio::select! {
            opened = open_parts(&settings, postgres) => opened,
            _ = stop.cancelled() => Err(stopped()),
        };
        match opened {
            Ok(parts) => Ok(Application {
                state: AppState(Arc::new(Inner {
                    settings,
                    db: parts.db,
                    kv: parts.kv,
                    storage: parts.storage,
                    queue: parts.queue,
                    secrets: parts.secrets,
                    oauth_http: HttpClient::new(),
                    token_usage: TokenUsage::default(),
                    known_tokens: Default::default(),
                    answers: db::memo::Memo::weighed(|key, answer| key.len() + answer.len()),
                    readiness: Default::default(),
                })),
                data_dir,
                listener,
                http_listener,
                tls,
            }),
            Err(e) => {
                // Whatever failed (SQLite reports a full disk as a mere I/O error), a full disk
                // is the cause worth naming.
                let e = match data_dir::free_bytes(data_dir.path()) {
                    Some(free) if free < LOW_DISK_BYTES => fail(format!(
                        "{e} (the disk holding the data folder is full: {} KiB free)",
                        free / 1024
                    )),
                    _ => e,
                };
                data_dir.abandon();
                db_files.remove();
                Err(e)
            }
        }
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The address actually bound (the port is chosen by the OS for `:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.state.settings().listen)
    }

    pub fn http_local_addr(&self) -> Option<SocketAddr> {
        self.http_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// Serves until `shutdown` is cancelled, then lets in-flight requests and jobs finish
    /// (at most `shutdown_timeout`) and closes everything.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Application {
            state,
            data_dir,
            listener,
            http_listener,
            tls,
        } = self;
        let settings = state.settings().clone();
        let grace = settings.shutdown_timeout;

        // One budget for the whole stop: jobs stop being taken when the signal comes, while
        // requests drain, and what is left of `grace` then is all that running jobs get.
        let worker_stop = shutdown.child_token();
        let deadline = {
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                shutdown.cancelled().await;
                tokio::time::Instant::now() + grace
            })
        };
        let worker = state
            .queue()
            .spawn_worker(state.clone(), &settings.jobs, worker_stop.clone());
        let scheduler = crate::cron::start(state.clone(), crate::cron::table(&settings.cron))
            .await
            .context("cannot start the cron scheduler")?;
        // Cron stops with the signal: no new tick starts while requests and jobs drain.
        let cron_stopped = {
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                shutdown.cancelled().await;
                scheduler.shutdown().await;
            })
        };
        let usage_state = state.clone();
        let usage_stop = worker_stop;
        let usage_flusher = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(TOKEN_USAGE_FLUSH) => usage_state.token_usage().flush(usage_state.db()).await,
                    _ = usage_stop.cancelled() => break,
                }
            }
        });

        tracing::info!(
            version = env!("CARGO_PKG_VERSION"),
            listen = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            public_url = %settings.public_url,
            data_dir = %data_dir.path().display(),
            database = if settings.database.is_postgres() { "postgres" } else { "sqlite" },
            node = %settings.node_name,
            "plane-aio is serving"
        );
        let served = http::serve(
            state.clone(),
            listener,
            http_listener,
            tls,
            shutdown.clone(),
            grace,
        )
        .await;

        tracing::info!("shutting down: waiting for running background jobs");
        // Also when serving failed: then the stop starts now.
        shutdown.cancel();
        let deadline = deadline
            .await
            .unwrap_or_else(|_| tokio::time::Instant::now() + grace);
        let mut worker = worker;
        if tokio::time::timeout_at(deadline, &mut worker)
            .await
            .is_err()
        {
            // Cut off, so the database closes now rather than when they end.
            worker.abort();
            tracing::warn!(
                timeout_s = grace.as_secs(),
                "background jobs did not finish in time; they will run again after restart"
            );
        }
        let _ = cron_stopped.await;
        let _ = usage_flusher.await;
        state.token_usage().flush(state.db()).await;
        if let Err(e) = state.kv().flush() {
            tracing::error!(error = %e, "cannot flush the key-value store");
        }
        let db = state.db().clone();
        drop(state);
        // Waits for connections in use to come back; a cut-off tick or job may hold one still.
        if tokio::time::timeout(DB_CLOSE_TIMEOUT, db.close())
            .await
            .is_err()
        {
            tracing::warn!("database connections still in use at exit; closing them anyway");
        }
        drop(data_dir);
        tracing::info!("stopped");
        served
    }
}

/// How long the stop waits for database connections still in use to come back.
const DB_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens every part; on failure, closes the database again (SQLite then tidies its journal
/// files away) before the caller removes what the start created.
async fn open_parts(settings: &Settings, postgres: Option<Db>) -> Result<Parts, StartupError> {
    let db = match postgres {
        Some(db) => db,
        None => Db::connect_serving(&settings.database)
            .await
            .map_err(|e| fail(sqlite_reason(e.to_string())))?,
    };
    match open_rest(settings, &db).await {
        Ok((kv, storage, queue, secrets)) => Ok(Parts {
            db,
            kv,
            storage,
            queue,
            secrets,
        }),
        Err(e) => {
            db.close().await;
            Err(e)
        }
    }
}

async fn open_rest(
    settings: &Settings,
    db: &Db,
) -> Result<(Kv, Storage, JobQueue, SecretBox), StartupError> {
    db.migrate()
        .await
        .map_err(|e| fail(format!("cannot migrate the database: {e}")))?;
    let secret = crate::domain::instance::instance_secret(db, settings)
        .await
        .map_err(|e| {
            fail(format!(
                "cannot read the instance secret from the database: {e}"
            ))
        })?;
    let secrets = SecretBox::new(secret.expose());
    if let Ok(instance) = InstanceSettings::load(db, &secrets).await
        && !instance.unreadable_secrets().is_empty()
    {
        tracing::warn!(
            keys = ?instance.unreadable_secrets(),
            "stored secrets do not open with this instance secret (secret_key was set or \
             changed since they were saved): they count as unset until entered again in \
             Instance settings"
        );
    }
    let kv = if db.is_postgres() {
        Kv::shared(db.clone())
    } else {
        Kv::open_fjall(&settings.data_dir.join("kv"))
            .map_err(|e| fail(format!("cannot open the key-value store: {e}")))?
    };
    if matches!(settings.storage, crate::config::StorageSettings::Fs) {
        if db.is_postgres() {
            // One node on Postgres is fine; several behind a load balancer would each keep
            // their own uploads, and a file put on one would be missing on the others.
            tracing::warn!(
                uploads = %settings.uploads_dir().display(),
                "file storage is this node's own folder: nodes sharing this database need \
                 storage_backend = \"s3\" (or that folder on a shared file system)"
            );
        }
        std::fs::create_dir_all(settings.uploads_dir()).map_err(|e| {
            fail(format!(
                "cannot create the uploads folder {}: {}",
                settings.uploads_dir().display(),
                data_dir::describe_io(&e)
            ))
        })?;
    }
    let signer = UrlSigner::new(secret);
    let storage = Storage::new(&settings.storage, &settings.uploads_dir(), signer)
        .map_err(|e| fail(format!("cannot set up file storage: {e}")))?;
    let queue = JobQueue::open(db, &settings.data_dir, &settings.jobs)
        .await
        .map_err(|e| fail(format!("cannot open the job queue: {e}")))?;
    Ok((kv, storage, queue, secrets))
}

/// SQLite's own message for a full or read-only disk is cryptic; say it plainly.
fn sqlite_reason(message: String) -> String {
    let lower = message.to_ascii_lowercase();
    if lower.contains("disk is full") || lower.contains("database or disk is full") {
        format!("{message} (the disk holding the data folder is full)")
    } else if lower.contains("readonly") || lower.contains("read-only") {
        format!("{message} (the data folder is read-only)")
    } else {
        message
    }
}

/// rustls needs one process-wide crypto provider; the build uses ring only.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Waits for SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Used by tests and `doctor`: how long to wait for a part to answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(30);
