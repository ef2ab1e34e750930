//! One pending invitation per address and workspace, kept by the database: two inviters
//! sending the same address at the same moment both passed the application's check before
//! either had written, leaving two invitations and two mails. A partial unique index (both
//! engines support them) makes the second insert fail; the API answers it as Plane's
//! "Email already invited".
//!
//! Duplicates an earlier version could have left are withdrawn first, the oldest kept.

use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

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
        db.execute_unprepared(
            "UPDATE workspace_member_invites SET deleted_at = updated_at \
             WHERE responded_at IS NULL AND deleted_at IS NULL AND EXISTS ( \
               SELECT 1 FROM workspace_member_invites AS older \
               WHERE older.workspace_id = workspace_member_invites.workspace_id \
                 AND older.email = workspace_member_invites.email \
                 AND older.responded_at IS NULL AND older.deleted_at IS NULL \
                 AND older.id < workspace_member_invites.id)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX workspace_member_invites_one_pending_key \
             ON workspace_member_invites (workspace_id, email) \
             WHERE responded_at IS NULL AND deleted_at IS NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX workspace_member_invites_one_pending_key")
            .await?;
        Ok(())
    }
}
