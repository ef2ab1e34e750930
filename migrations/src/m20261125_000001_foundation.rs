//! The appliance's own tables: instance configuration (the signing secret lives here), the shared
//! key-value store used when several nodes share Postgres, cron tick leases and run history, and
//! the queue probe's run log.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InstanceConfigurations {
    Table,
    Id,
    Key,
    Value,
    Category,
    IsEncrypted,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
    CreatedBy,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum KvEntries {
    Table,
    Namespace,
    Key,
    Value,
    Counter,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum CronRuns {
    Table,
    Id,
    Job,
    TickAt,
    Node,
    StartedAt,
    FinishedAt,
    DurationMs,
    Outcome,
    Error,
}

#[derive(DeriveIden)]
enum JobProbeRuns {
    Table,
    Id,
    ProbeId,
    Attempt,
    Node,
    Succeeded,
    RanAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every engine (SQLite too), so an interrupted migration leaves nothing
    /// of itself and the next start applies it whole.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InstanceConfigurations::Table)
                    .col(
                        ColumnDef::new(InstanceConfigurations::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(InstanceConfigurations::Key)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(InstanceConfigurations::Value).text().null())
                    .col(
                        ColumnDef::new(InstanceConfigurations::Category)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InstanceConfigurations::IsEncrypted)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(InstanceConfigurations::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InstanceConfigurations::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InstanceConfigurations::DeletedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(InstanceConfigurations::CreatedBy)
                            .uuid()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(InstanceConfigurations::UpdatedBy)
                            .uuid()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("instance_configurations_key_key")
                    .table(InstanceConfigurations::Table)
                    .col(InstanceConfigurations::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(KvEntries::Table)
                    .col(
                        ColumnDef::new(KvEntries::Namespace)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(KvEntries::Key).string_len(255).not_null())
                    .col(ColumnDef::new(KvEntries::Value).blob().not_null())
                    // Rate-limit counters are incremented in SQL, so they get a column of their own.
                    .col(
                        ColumnDef::new(KvEntries::Counter)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    // Unix milliseconds; NULL never expires.
                    .col(ColumnDef::new(KvEntries::ExpiresAt).big_integer().null())
                    .primary_key(
                        Index::create()
                            .col(KvEntries::Namespace)
                            .col(KvEntries::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("kv_entries_expires_at_idx")
                    .table(KvEntries::Table)
                    .col(KvEntries::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CronRuns::Table)
                    .col(ColumnDef::new(CronRuns::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(CronRuns::Job).string_len(64).not_null())
                    .col(
                        ColumnDef::new(CronRuns::TickAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CronRuns::Node).string_len(255).not_null())
                    .col(
                        ColumnDef::new(CronRuns::StartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CronRuns::FinishedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(CronRuns::DurationMs).big_integer().null())
                    .col(ColumnDef::new(CronRuns::Outcome).string_len(16).null())
                    .col(ColumnDef::new(CronRuns::Error).text().null())
                    .to_owned(),
            )
            .await?;
        // The lease: one row per (job, tick) across every node sharing the database.
        manager
            .create_index(
                Index::create()
                    .name("cron_runs_job_tick_key")
                    .table(CronRuns::Table)
                    .col(CronRuns::Job)
                    .col(CronRuns::TickAt)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("cron_runs_started_at_idx")
                    .table(CronRuns::Table)
                    .col(CronRuns::StartedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(JobProbeRuns::Table)
                    .col(
                        ColumnDef::new(JobProbeRuns::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(JobProbeRuns::ProbeId).uuid().not_null())
                    .col(ColumnDef::new(JobProbeRuns::Attempt).integer().not_null())
                    .col(
                        ColumnDef::new(JobProbeRuns::Node)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(JobProbeRuns::Succeeded).boolean().not_null())
                    .col(
                        ColumnDef::new(JobProbeRuns::RanAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("job_probe_runs_probe_id_idx")
                    .table(JobProbeRuns::Table)
                    .col(JobProbeRuns::ProbeId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            JobProbeRuns::Table.into_iden(),
            CronRuns::Table.into_iden(),
            KvEntries::Table.into_iden(),
            InstanceConfigurations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
