//! Postgres only: a change counter every node can read in one cheap query, so each node may keep
//! query results in memory and still never answer from data older than the last commit.
//!
//! Every committed transaction that wrote to a watched table adds one to one of
//! [`SLOTS`] counter rows; the sum of the rows therefore grows with every such commit, and a
//! node that reads the same sum twice knows nothing it caches has changed in between. The
//! counter is bumped in the writing transaction itself, so the bump and the data become visible
//! together. It is bumped by a deferred constraint trigger, at commit time, after the
//! transaction has taken every other lock it needs: a transaction never waits for a data row
//! while holding a counter row, so the counters cannot take part in a deadlock. A transaction
//! bumps one counter once (a transaction-local flag), and the row it picks depends on its id, so
//! concurrent writers rarely wait for each other.
//!
//! SQLite needs none of this: its `PRAGMA data_version` already says whether anything was
//! committed.
//!
//! A later migration that creates a table whose rows feed cached reads calls
//! [`watch_table`] for it (a test fails when one is forgotten).

use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// How many counter rows writers spread over.
pub const SLOTS: u32 = 16;

/// Tables whose writes do not change what any node caches: high-churn bookkeeping (rate-limit
/// counters, sessions, cron runs, job probes, the job outbox) that would otherwise empty every
/// cache all the time.
pub const UNWATCHED_TABLES: &[&str] = &[
    "change_counters",
    "cron_runs",
    "job_outbox",
    "job_probe_runs",
    "kv_entries",
    "seaql_migrations",
];

/// The tables this migration starts watching: every one the earlier migrations created.
const WATCHED_TABLES: &[&str] = &[
    "accounts",
    "api_tokens",
    "estimate_points",
    "estimates",
    "instance_admins",
    "instance_configurations",
    "labels",
    "project_members",
    "projects",
    "states",
    "users",
    "workspace_member_invites",
    "workspace_members",
    "workspaces",
];

/// Makes commits that write to `table` move the change counter (Postgres; a no-op on SQLite).
pub async fn watch_table(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Ok(());
    }
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "CREATE CONSTRAINT TRIGGER {table}_note_change \
             AFTER INSERT OR UPDATE OR DELETE ON {table} \
             DEFERRABLE INITIALLY DEFERRED FOR EACH ROW \
             EXECUTE FUNCTION note_change()"
        ))
        .await
        .map(|_| ())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every engine (SQLite too), so an interrupted migration leaves nothing
    /// of itself and the next start applies it whole.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let conn = manager.get_connection();
        conn.execute_unprepared(&format!(
            "CREATE TABLE change_counters (slot smallint PRIMARY KEY, version bigint NOT NULL DEFAULT 0); \
             INSERT INTO change_counters (slot) SELECT generate_series(0, {last});",
            last = SLOTS - 1
        ))
        .await?;
        conn.execute_unprepared(&format!(
            "CREATE FUNCTION note_change() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN \
               IF coalesce(current_setting('plane_aio.change_noted', true), '') <> 'on' THEN \
                 PERFORM set_config('plane_aio.change_noted', 'on', true); \
                 UPDATE change_counters SET version = version + 1 \
                   WHERE slot = (txid_current() % {SLOTS}); \
               END IF; \
               RETURN NULL; \
             END $$;"
        ))
        .await?;
        for table in WATCHED_TABLES {
            watch_table(manager, table).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let conn = manager.get_connection();
        for table in WATCHED_TABLES {
            conn.execute_unprepared(&format!(
                "DROP TRIGGER IF EXISTS {table}_note_change ON {table}"
            ))
            .await?;
        }
        conn.execute_unprepared(
            "DROP FUNCTION IF EXISTS note_change(); DROP TABLE IF EXISTS change_counters;",
        )
        .await
        .map(|_| ())
    }
}
