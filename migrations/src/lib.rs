//! plane-aio's database migrations (sea-orm-migration), applied at start and by `plane-aio migrate`.
//!
//! Rules: each migration declares its own identifiers (never imports live entities), steps are
//! small and additive, every migration runs on SQLite and on Postgres (CI runs both), and each
//! runs in one transaction on both (`use_transaction` returns `Some(true)`; sea-orm otherwise
//! wraps only Postgres), so one cut off half-way leaves nothing of itself.
//! Domain tables follow Plane's conventions: UUID (v7) ids, `created_at`, `updated_at`,
//! `deleted_at` (soft delete), `created_by`/`updated_by`. A new table whose rows feed cached
//! reads is watched for changes with [`watch_table`] (Postgres; see the change-counter migration).

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_foundation;
mod m20261126_000001_accounts;
mod m20261127_000001_workspaces;
mod m20261128_000001_change_counters;
mod m20261129_000001_one_pending_invitation;
mod m20261130_000001_unique_external_refs;
mod m20261130_000002_accepted_invitations_leave;
mod m20261201_000001_job_outbox;
mod m20261202_000001_work_items;

pub use m20261128_000001_change_counters::{UNWATCHED_TABLES, watch_table};

/// Makes the change counters' deferred triggers fire at each statement for the rest of the
/// migration's transaction (Postgres; nothing to do on SQLite). A migration that updates rows
/// of a watched table and then creates an index on it needs this: Postgres refuses CREATE INDEX
/// on a table with trigger events still pending.
async fn fire_triggers_at_once(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};
    if manager.get_database_backend() == DatabaseBackend::Postgres {
        manager
            .get_connection()
            .execute_unprepared("SET CONSTRAINTS ALL IMMEDIATE")
            .await?;
    }
    Ok(())
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_foundation::Migration),
            Box::new(m20261126_000001_accounts::Migration),
            Box::new(m20261127_000001_workspaces::Migration),
            Box::new(m20261128_000001_change_counters::Migration),
            Box::new(m20261129_000001_one_pending_invitation::Migration),
            Box::new(m20261130_000001_unique_external_refs::Migration),
            Box::new(m20261130_000002_accepted_invitations_leave::Migration),
            Box::new(m20261201_000001_job_outbox::Migration),
            Box::new(m20261202_000001_work_items::Migration),
        ]
    }
}
