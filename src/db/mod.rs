//! The app database: connection (SQLite by default, Postgres with `database_url`), migrations,
//! entities and the queries the rest of the program uses. SQL lives here and nowhere else.

pub mod api_tokens;
pub mod change_watch;
pub mod cron_runs;
pub mod entities;
pub mod estimates;
pub mod instance_config;
pub mod invitations;
pub mod job_outbox;
pub mod kv_entries;
pub mod labels;
pub mod memo;
mod nodelay;
pub mod probes;
pub mod project_members;
pub mod projects;
pub mod queue_records;
pub mod social_accounts;
pub mod states;
pub mod users;
pub mod work_items;
pub mod workspace_members;
pub mod workspaces;

use std::{path::Path, time::Duration};

use plane_aio_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, SqlxPostgresConnector, SqlxSqliteConnector, Statement,
    TransactionOptions, TransactionTrait,
    sqlx::{
        self, PgPool, SqlitePool,
        postgres::{PgConnectOptions, PgPoolOptions},
        sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    },
};

use crate::config::DatabaseSettings;

/// The Postgres advisory lock key under which migrations run (any constant of our own).
const MIGRATION_LOCK: i64 = 0x706c_616e_6561_696f; // "planeaio"

/// How long a request waits for SQLite's single writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The app database handle, cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pub conn: DatabaseConnection,
    /// Tells [`memo::Memo`]s whether anything was committed since they looked.
    pub watch: std::sync::Arc<change_watch::ChangeWatch>,
    memos: std::sync::Arc<memo::Memos>,
    /// SQLite: the database file as opened, so readiness notices it removed or replaced.
    sqlite_file: Option<std::sync::Arc<SqliteFile>>,
}

/// A SQLite database file and its identity (device, inode) when it was opened. Removing or
/// replacing the file does not disturb open connections: the server would go on answering
/// from a file nobody can reach, and lose everything written since at the next start.
#[derive(Debug)]
struct SqliteFile {
    path: std::path::PathBuf,
    identity: (u64, u64),
}

impl SqliteFile {
    fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    }

    fn open(path: &Path) -> Option<SqliteFile> {
        let meta = std::fs::metadata(path).ok()?;
        Some(SqliteFile {
            path: path.to_path_buf(),
            identity: Self::identity(&meta),
        })
    }

    fn check(&self) -> Result<(), DbErr> {
        let path = self.path.display();
        match std::fs::metadata(&self.path) {
            Ok(meta) if Self::identity(&meta) == self.identity => Ok(()),
            Ok(_) => Err(DbErr::Custom(format!(
                "the database file {path} was replaced while the server runs; restart to use it"
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(DbErr::Custom(format!(
                "the database file {path} was removed while the server runs; what is written now is lost at restart"
            ))),
            Err(e) => Err(DbErr::Custom(format!(
                "cannot look at the database file {path}: {e}"
            ))),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    Unreachable(String),
}

/// Postgres connections a node's pool opens at most.
const POSTGRES_POOL_MAX: u32 = 16;
/// Postgres connections a serving node opens at start, so that a burst of requests does not
/// wait for new ones. Every request waits on the shared rate-limit write, and that write must
/// not queue behind a connection's set-up: a TLS connection takes sqlx 0.9.0 about 90 ms (its
/// handshake runs before [`nodelay`] can switch Nagle off). Eight cover 32 concurrent clients
/// on two cores; the pool grows past them under heavier load, and keeps what it grew to.
const POSTGRES_POOL_WARM: u32 = 8;

impl Db {
    /// Connects for a one-off task (the CLI, a test): connections are opened as needed.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Db, ConnectError> {
        Db::connect_with(settings, 0).await
    }

    /// Connects for `serve`: on Postgres, [`POSTGRES_POOL_WARM`] connections are kept open.
    pub async fn connect_serving(settings: &DatabaseSettings) -> Result<Db, ConnectError> {
        Db::connect_with(settings, POSTGRES_POOL_WARM).await
    }

    async fn connect_with(settings: &DatabaseSettings, warm: u32) -> Result<Db, ConnectError> {
        match settings {
            DatabaseSettings::Sqlite { path } => {
                let conn =
                    SqlxSqliteConnector::from_sqlx_sqlite_pool(sqlite_pool(path, true).await?);
                let watch = change_watch::ChangeWatch::sqlite(path).map_err(|e| {
                    ConnectError::Unreachable(format!(
                        "cannot open the SQLite database {}: {e}",
                        path.display()
                    ))
                })?;
                Ok(Db {
                    conn,
                    watch: std::sync::Arc::new(watch),
                    memos: Default::default(),
                    sqlite_file: SqliteFile::open(path).map(std::sync::Arc::new),
                })
            }
            DatabaseSettings::Postgres { url } => {
                let pool = postgres_pool(url.expose(), POSTGRES_POOL_MAX, warm).await?;
                Ok(Db {
                    watch: std::sync::Arc::new(change_watch::ChangeWatch::postgres(pool.clone())),
                    conn: SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
                    memos: Default::default(),
                    sqlite_file: None,
                })
            }
        }
    }

    /// A transaction for writing. On SQLite it begins IMMEDIATE, taking the single write lock
    /// at once (waiting up to the busy timeout): a deferred transaction that reads and then
    /// writes fails with SQLITE_BUSY, which no timeout cures, when another writer commits in
    /// between — two simultaneous first-run sign-ups did exactly that.
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.conn
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.conn.get_database_backend()
    }

    pub fn is_postgres(&self) -> bool {
        self.backend() == DatabaseBackend::Postgres
    }

    /// Applies every pending migration.
    /// Applies the pending migrations. On Postgres under an advisory lock held on a connection
    /// of its own: nodes starting at once on one database take turns, and the later ones find
    /// nothing left to do (sea-orm's migrator takes no lock; SQLite's file lock serialises).
    pub async fn migrate(&self) -> Result<(), DbErr> {
        let Some(pool) = self.postgres_pool() else {
            return Migrator::up(&self.conn, None).await;
        };
        let sqlx_err = |e: sqlx::Error| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into()));
        let mut lock_holder = pool.acquire().await.map_err(sqlx_err)?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *lock_holder)
            .await
            .map_err(sqlx_err)?;
        let migrated = Migrator::up(&self.conn, None).await;
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *lock_holder)
            .await;
        if unlocked.is_err() {
            // The session still holds the lock: end it rather than return it to the pool.
            lock_holder.detach();
        }
        migrated
    }

    /// Names of migrations not yet applied.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, DbErr> {
        Ok(Migrator::get_pending_migrations(&self.conn)
            .await?
            .iter()
            .map(|m| m.name().to_string())
            .collect())
    }

    /// The time on the database's clock. Session start times and the moment a user's sessions
    /// were voided are both taken from it, so nodes (and an admin CLI) whose clocks disagree
    /// still agree on which sessions a password reset or a disable ended. SQLite has one
    /// machine's clock, this one's.
    pub async fn clock_now(&self) -> Result<chrono::DateTime<chrono::Utc>, DbErr> {
        if self.backend() == DatabaseBackend::Postgres {
            let row = self
                .conn
                .query_one_raw(Statement::from_string(
                    DatabaseBackend::Postgres,
                    "SELECT clock_timestamp() AS now",
                ))
                .await?
                .ok_or_else(|| DbErr::RecordNotFound("clock_timestamp()".into()))?;
            return row.try_get::<chrono::DateTime<chrono::Utc>>("", "now");
        }
        Ok(chrono::Utc::now())
    }

    /// A trivial round trip, for readiness; on SQLite also whether the file is still the one
    /// opened.
    pub async fn ping(&self) -> Result<(), DbErr> {
        if let Some(file) = &self.sqlite_file {
            file.check()?;
        }
        self.conn
            .execute_raw(Statement::from_string(self.backend(), "SELECT 1"))
            .await
            .map(|_| ())
    }

    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match self.backend() {
            DatabaseBackend::Sqlite => Some(self.conn.get_sqlite_connection_pool()),
            _ => None,
        }
    }

    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match self.backend() {
            DatabaseBackend::Postgres => Some(self.conn.get_postgres_connection_pool()),
            _ => None,
        }
    }

    pub async fn close(self) {
        let _ = self.conn.close().await;
    }
}

/// Process-wide SQLite settings, made before any connection exists. Memory statistics are
/// switched off: with them on (the library's default) every allocation inside SQLite takes one
/// global mutex, which the pool's connections then contend for on every query.
///
/// Only `cli::main` calls this, first thing, before the async runtime or any other thread
/// starts: `sqlite3_config` is not thread-safe and fails harmlessly (SQLITE_MISUSE) once the
/// library is initialised.
pub fn configure_sqlite_library() {
    // SAFETY: no other thread exists yet and no SQLite function has been called, as
    // sqlite3_config requires; the variadic argument is the int SQLITE_CONFIG_MEMSTATUS takes.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_config(
            rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
            std::ffi::c_int::from(0u8),
        )
    };
    if rc != rusqlite::ffi::SQLITE_OK {
        tracing::debug!(rc, "SQLite memory statistics stay on");
    }
}

/// Turns on SQLite's query-planner stability guarantee for one connection.
///
/// Without it, a statement whose plan looked at a bound value — any `LIMIT ?`, which sea-orm
/// binds for every `.one()`, paged list and `OFFSET` — is marked expired each time that
/// parameter is bound again, so every execution parsed and planned the SQL afresh (about a
/// tenth of the server's CPU on an uncached list). Our queries gain nothing from plans tuned to
/// a bound value: the cached statements are reused as prepared.
fn stable_query_plans(db: std::ptr::NonNull<rusqlite::ffi::sqlite3>) {
    // SAFETY: `db` is a live connection handle held locked by the caller; the variadic
    // arguments are the (int, int*) that SQLITE_DBCONFIG_ENABLE_QPSG takes.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_db_config(
            db.as_ptr(),
            rusqlite::ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            std::ffi::c_int::from(1u8),
            std::ptr::null_mut::<std::ffi::c_int>(),
        )
    };
    if rc != rusqlite::ffi::SQLITE_OK {
        tracing::warn!(rc, "SQLite query-plan stability could not be turned on");
    }
}

/// Makes SQL `lower()` fold every letter on one connection, as Postgres' does in a UTF-8 locale:
/// SQLite's own folds ASCII only, so a member filter "émile" missed "Émile" on SQLite alone. No
/// index or stored value depends on lower(), so replacing it changes nothing already written.
fn unicode_lower(db: std::ptr::NonNull<rusqlite::ffi::sqlite3>) {
    use rusqlite::{
        functions::FunctionFlags,
        types::{Value, ValueRef},
    };
    // SAFETY: `db` is a live connection handle held locked by the caller; a connection made
    // with `from_handle` borrows it and never closes it. SQLite frees the function with the
    // connection.
    let registered = unsafe { rusqlite::Connection::from_handle(db.as_ptr()) }.and_then(|conn| {
        conn.create_scalar_function(
            "lower",
            1,
            FunctionFlags::SQLITE_UTF8
                | FunctionFlags::SQLITE_DETERMINISTIC
                | FunctionFlags::SQLITE_INNOCUOUS,
            |ctx| {
                Ok(match ctx.get_raw(0) {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(i) => Value::Text(i.to_string()),
                    ValueRef::Real(f) => Value::Text(f.to_string()),
                    ValueRef::Text(text) | ValueRef::Blob(text) => {
                        Value::Text(String::from_utf8_lossy(text).to_lowercase())
                    }
                })
            },
        )
    });
    if let Err(e) = registered {
        tracing::warn!(error = %e, "SQLite keeps its ASCII-only lower(): member filters fold ASCII letters only");
    }
}

/// A SQLite pool with the appliance's pragmas: WAL, foreign keys, a busy timeout and
/// synchronous=NORMAL (durable across a process kill; WAL keeps the file consistent).
pub async fn sqlite_pool(path: &Path, create: bool) -> Result<SqlitePool, ConnectError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .synchronous(SqliteSynchronous::Normal);
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .acquire_timeout(SQLITE_BUSY_TIMEOUT)
        .after_connect(|conn, _| {
            Box::pin(async move {
                let mut handle = conn.lock_handle().await?;
                stable_query_plans(handle.as_raw_handle());
                unicode_lower(handle.as_raw_handle());
                handle.set_commit_hook(change_watch::count_local_commit);
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| {
            // SQLite says only "unable to open database file"; the usual cause is worth naming.
            let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
            let hint = match folder.map(|f| (f, std::fs::metadata(f))) {
                Some((folder, Err(e))) if e.kind() == std::io::ErrorKind::NotFound => {
                    format!(" (the folder {} does not exist)", folder.display())
                }
                Some((folder, Ok(meta))) if !meta.is_dir() => {
                    format!(" ({} is not a folder)", folder.display())
                }
                _ => String::new(),
            };
            ConnectError::Unreachable(format!(
                "cannot open the SQLite database {}: {}{hint}",
                path.display(),
                describe_sqlx_error(&e)
            ))
        })?;
    Ok(pool)
}

/// A pooled Postgres connection idle for this long is pinged before use.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// A Postgres pool; connection problems become one readable sentence (host, user, cause).
pub async fn postgres_pool(
    url: &str,
    max_connections: u32,
    warm: u32,
) -> Result<PgPool, ConnectError> {
    let options: PgConnectOptions = url.parse().map_err(|e: sqlx::Error| {
        ConnectError::Unreachable(format!("invalid database_url: {}", describe_sqlx_error(&e)))
    })?;
    let target = format!(
        "Postgres at {}:{} (database {:?}, user {:?})",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("postgres"),
        options.get_username()
    );
    // One plain connection first, so a failure is named by its cause (the pool reports only
    // that it timed out). Causes that pass (a server still starting, refusing connections or
    // full) are tried again for as long as the pool would wait; the others end it at once.
    let probe = probe_postgres(&options)
        .await
        .map_err(|e| ConnectError::Unreachable(format!("cannot connect to {target}: {e}")))?;
    let _ = sqlx::Connection::close(probe).await;
    let port = options.get_port();
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        // No `min_connections`: sqlx would open them one after another, beside the warm-up
        // below (and with no idle timeout nor lifetime, never again after start). A warm
        // connection that closes is opened again when next needed.
        // A connection, once open, stays open (sqlx closes idle ones after 10 minutes and all
        // after 30 by default): opening another in the middle of a burst stalls it.
        .idle_timeout(None)
        .max_lifetime(None)
        .after_connect(move |_conn, _meta| {
            Box::pin(async move {
                nodelay::connections_to(port);
                Ok(())
            })
        })
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings every connection it hands out, a second round trip per query. A connection
        // used moments ago is known to be alive; only one idle for a while (a Postgres restart
        // or a firewall may have cut it since) is pinged first, and replaced when dead.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_AFTER_IDLE {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_lazy_with(options);
    // One connection now, so that a failure the probe could not see ends the start.
    let first = pool.acquire().await.map_err(|e| {
        ConnectError::Unreachable(format!(
            "cannot connect to {target}: {}",
            describe_sqlx_error(&e)
        ))
    })?;
    // The other `warm` connections open side by side in the background: opened in turn before
    // serving (as sqlx's eager connect does), each would delay the start by its TLS handshake.
    if warm > 1 {
        let mut opening = tokio::task::JoinSet::new();
        for _ in 1..warm {
            let pool = pool.clone();
            opening.spawn(async move { pool.acquire().await });
        }
        tokio::spawn(async move {
            // All held (the first too) until all are open, so each acquire opens a connection
            // of its own.
            let opened = opening.join_all().await;
            drop((first, opened));
        });
    }
    Ok(pool)
}

/// How long a start waits for Postgres to take connections.
const POSTGRES_START_WAIT: Duration = Duration::from_secs(10);

/// A connection to Postgres, tried again while the failure may pass: refused (the server not
/// up yet), 57P03 (starting up), 53300 (too many connections). The last cause otherwise.
async fn probe_postgres(options: &PgConnectOptions) -> Result<sqlx::PgConnection, String> {
    let deadline = tokio::time::Instant::now() + POSTGRES_START_WAIT;
    let mut pause = Duration::from_millis(100);
    loop {
        let attempt = tokio::time::timeout_at(
            deadline,
            <sqlx::PgConnection as sqlx::Connection>::connect_with(options),
        )
        .await;
        let error = match attempt {
            Ok(Ok(connection)) => return Ok(connection),
            Ok(Err(error)) => error,
            Err(_) => return Err("no answer within 10 s".into()),
        };
        let passing = match &error {
            sqlx::Error::Io(io) => io.kind() == std::io::ErrorKind::ConnectionRefused,
            sqlx::Error::Database(db) => matches!(db.code().as_deref(), Some("57P03" | "53300")),
            _ => false,
        };
        if !passing || tokio::time::Instant::now() + pause >= deadline {
            return Err(describe_sqlx_error(&error));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
}

/// sqlx errors in one line, without the Debug noise.
pub fn describe_sqlx_error(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::PoolTimedOut => "timed out waiting for a connection".to_string(),
        other => other.to_string(),
    }
}

/// `now`, to the microsecond: what both databases keep, so a value reads back unchanged.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::Timelike;
    let now = chrono::Utc::now();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// True when the error is a unique-constraint violation (the same on both engines).
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// True when `error` is a unique violation whose message names `column` (SQLite names the
/// columns, Postgres the index, and our index names carry their columns).
pub fn is_unique_violation_of(error: &DbErr, column: &str) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(message)) if message.contains(column)
    )
}

/// True when Postgres aborted the statement to break a deadlock (SQLSTATE 40P01); retrying it
/// is safe.
pub fn is_deadlock(error: &DbErr) -> bool {
    match error {
        DbErr::Query(sea_orm::RuntimeErr::SqlxError(error))
        | DbErr::Exec(sea_orm::RuntimeErr::SqlxError(error)) => error
            .as_database_error()
            .and_then(|e| e.code())
            .is_some_and(|code| code == "40P01"),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
