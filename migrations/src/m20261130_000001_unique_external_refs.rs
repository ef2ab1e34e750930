//! One live state and one live label per `(external_source, external_id)` in a project, kept
//! by the database: an importer retrying a create whose first attempt was still running (a
//! timeout, a double submit) passed the application's check twice and left two rows with one
//! external reference, which later lookups by that reference then picked between at random.
//! A partial unique index (both engines support them) makes the second insert fail; the API
//! answers it as Plane's 409 naming the existing row.
//!
//! The index covers exactly what the application treats as a reference: both parts present and
//! not empty. A duplicate an earlier version could have left keeps its reference on the oldest
//! row only; the younger rows lose it (they stay, with everything else they hold).

use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 2] = ["states", "labels"];

/// The rows the application treats as carrying an external reference.
const HAS_REFERENCE: &str = "deleted_at IS NULL \
     AND external_source IS NOT NULL AND external_id IS NOT NULL \
     AND external_source <> '' AND external_id <> ''";

fn index_name(table: &str) -> String {
    format!("{table}_project_id_external_source_external_id_key")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every engine (SQLite too), so an interrupted migration leaves nothing
    /// of itself and the next start applies it whole.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // The UPDATE below, then CREATE INDEX on the same (watched) table.
        super::fire_triggers_at_once(manager).await?;
        for table in TABLES {
            db.execute_unprepared(&format!(
                "UPDATE {table} SET external_source = NULL, external_id = NULL \
                 WHERE {HAS_REFERENCE} AND EXISTS ( \
                   SELECT 1 FROM {table} AS older \
                   WHERE older.project_id = {table}.project_id \
                     AND older.external_source = {table}.external_source \
                     AND older.external_id = {table}.external_id \
                     AND older.deleted_at IS NULL \
                     AND older.id < {table}.id)"
            ))
            .await?;
            db.execute_unprepared(&format!(
                "CREATE UNIQUE INDEX \"{}\" ON {table} (project_id, external_source, external_id) \
                 WHERE {HAS_REFERENCE}",
                index_name(table)
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP INDEX \"{}\"", index_name(table)))
                .await?;
        }
        Ok(())
    }
}
