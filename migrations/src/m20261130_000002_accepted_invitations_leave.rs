//! An accepted invitation is deleted (soft) with its acceptance, as Plane deletes it: it leaves
//! the workspace's invitation list, and its link answers 404. Invitations an earlier version
//! kept after their acceptance go the same way now (declined ones stay, answered).

use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every engine, as every migration here.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE workspace_member_invites SET deleted_at = responded_at \
                 WHERE accepted AND responded_at IS NOT NULL AND deleted_at IS NULL",
            )
            .await?;
        Ok(())
    }

    /// Nothing to undo: which deletions this made is not recorded, and an accepted invitation
    /// is of no use to anyone.
    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
