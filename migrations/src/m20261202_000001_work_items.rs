//! `issues`: work items, under Plane's table name. Only the columns the rules that exist today
//! read: which project and workspace a work item is in (the soft-delete cascade), its state
//! (a state in use cannot be deleted), its name and per-project sequence number. The work-item
//! API adds the rest (description, priority, dates, parent, estimate point, …) with its own
//! migration; every column here keeps Plane's name and meaning.

use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

fn reference(column: &str, table: &str, on_delete: ForeignKeyAction) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(Alias::new("issues"), Alias::new(column))
        .to(Alias::new(table), Alias::new("id"))
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every engine, as every migration here.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("issues"))
                    .col(col("id").uuid().not_null().primary_key())
                    .col(col("workspace_id").uuid().not_null())
                    .col(col("project_id").uuid().not_null())
                    .col(col("state_id").uuid().null())
                    .col(col("name").string_len(255).not_null())
                    .col(col("sequence_id").integer().not_null().default(1))
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(col("updated_at").timestamp_with_time_zone().not_null())
                    .col(col("deleted_at").timestamp_with_time_zone().null())
                    .col(col("created_by").uuid().null())
                    .col(col("updated_by").uuid().null())
                    .foreign_key(&mut reference(
                        "workspace_id",
                        "workspaces",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut reference(
                        "project_id",
                        "projects",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut reference(
                        "state_id",
                        "states",
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        // The cascades find a project's or workspace's rows by these; a state's deletion asks
        // whether any live work item is in it.
        let conn = manager.get_connection();
        conn.execute_unprepared("CREATE INDEX issues_project_id_idx ON issues (project_id)")
            .await?;
        conn.execute_unprepared("CREATE INDEX issues_workspace_id_idx ON issues (workspace_id)")
            .await?;
        conn.execute_unprepared(
            "CREATE INDEX issues_live_state_idx ON issues (state_id) WHERE deleted_at IS NULL",
        )
        .await?;
        // Work items will feed cached reads (counts in project lists, say), so their writes move
        // the change counter like every other domain table's.
        crate::watch_table(manager, "issues").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("issues")).to_owned())
            .await
    }
}
