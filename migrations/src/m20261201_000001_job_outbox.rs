//! `job_outbox`: jobs written in the same transaction as the change that asks for them (an
//! invitation and its mail), then moved into the job queue. The queue lives outside the app
//! database's transactions (its own SQLite file, or apalis' own connections on Postgres), so
//! without this a process killed between the two writes kept the change and lost its job.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobOutbox {
    Table,
    Id,
    Job,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobOutbox::Table)
                    .col(
                        ColumnDef::new(JobOutbox::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(JobOutbox::Job).text().not_null())
                    .col(
                        ColumnDef::new(JobOutbox::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("job_outbox_created_at_idx")
                    .table(JobOutbox::Table)
                    .col(JobOutbox::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobOutbox::Table).to_owned())
            .await
    }
}
