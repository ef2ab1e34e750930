//! A fresh Postgres database per test on 127.0.0.1:5432 (or PLANE_TEST_POSTGRES_URL), dropped
//! when the test ends. Without a reachable server the Postgres half of the suite is skipped
//! with a visible message, unless PLANE_TEST_REQUIRE_POSTGRES=1 (CI) makes that a failure.

use std::time::Duration;

use sea_orm::sqlx::{self, Connection, PgConnection};
use tokio::sync::OnceCell;

pub fn admin_url() -> String {
    std::env::var("PLANE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

static AVAILABLE: OnceCell<bool> = OnceCell::const_new();

async fn admin() -> Result<PgConnection, sqlx::Error> {
    tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&admin_url()))
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)?
}

/// Whether Postgres tests can run; prints the skip once per test process.
pub async fn available() -> bool {
    *AVAILABLE
        .get_or_init(|| async {
            match admin().await {
                Ok(conn) => {
                    let _ = conn.close().await;
                    true
                }
                Err(e) => {
                    if std::env::var("PLANE_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                        panic!("PLANE_TEST_REQUIRE_POSTGRES=1 but Postgres at {} is not reachable: {e}", admin_url());
                    }
                    eprintln!("skipped: no Postgres at {} ({e}); Postgres tests did not run", admin_url());
                    false
                }
            }
        })
        .await
}

/// A database that exists for one test.
pub struct PgDatabase {
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create() -> PgDatabase {
        let name = format!("plane_aio_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin().await.expect("Postgres admin connection");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let _ = conn.close().await;
        let mut url = url::Url::parse(&admin_url()).expect("admin url");
        url.set_path(&name);
        PgDatabase {
            name,
            url: url.to_string(),
        }
    }
}

impl PgDatabase {
    /// Ends every other session on this database, as a Postgres restart would; returns how
    /// many there were.
    pub async fn terminate_connections(&self) -> u64 {
        let mut conn = admin().await.expect("Postgres admin connection");
        let cut = sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&self.name)
        .fetch_all(&mut conn)
        .await
        .expect("terminate sessions")
        .len() as u64;
        let _ = conn.close().await;
        cut
    }
}

impl PgDatabase {
    /// Closes the database to every session, old and new, as a lost or failed server would
    /// look to its clients (dropping it at the end still works).
    pub async fn refuse_connections(&self) {
        let mut conn = admin().await.expect("Postgres admin connection");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE {} ALLOW_CONNECTIONS false",
            self.name
        )))
        .execute(&mut conn)
        .await
        .expect("refuse connections");
        let _ = conn.close().await;
        self.terminate_connections().await;
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside any async context we can rely on: use a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = admin().await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}
