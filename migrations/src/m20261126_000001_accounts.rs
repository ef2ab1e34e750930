//! Accounts: users, instance admins, API tokens (stored hashed), and linked OAuth/OIDC accounts.
//! Column names follow Plane's models (`users`, `instance_admins`, `api_tokens`, `accounts`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    Email,
    FirstName,
    LastName,
    DisplayName,
    Avatar,
    AvatarAsset,
    Password,
    IsPasswordAutoset,
    IsActive,
    IsBot,
    IsEmailVerified,
    UserTimezone,
    LastLoginAt,
    LastLoginMedium,
    LastActive,
    SessionsValidAfter,
    DateJoined,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
    CreatedBy,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum InstanceAdmins {
    Table,
    Id,
    UserId,
    Role,
    IsVerified,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
    CreatedBy,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Label,
    Description,
    TokenHash,
    TokenHint,
    UserId,
    UserType,
    WorkspaceId,
    IsActive,
    IsService,
    LastUsed,
    ExpiredAt,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
    CreatedBy,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    UserId,
    Provider,
    ProviderAccountId,
    LastConnectedAt,
    Metadata,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
    CreatedBy,
    UpdatedBy,
}

fn audit(
    table: &mut TableCreateStatement,
    created: impl IntoIden,
    updated: impl IntoIden,
    deleted: impl IntoIden,
    created_by: impl IntoIden,
    updated_by: impl IntoIden,
) {
    table
        .col(
            ColumnDef::new(created)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(updated)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(deleted).timestamp_with_time_zone().null())
        .col(ColumnDef::new(created_by).uuid().null())
        .col(ColumnDef::new(updated_by).uuid().null());
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every engine (SQLite too), so an interrupted migration leaves nothing
    /// of itself and the next start applies it whole.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut users = Table::create();
        users
            .table(Users::Table)
            .col(ColumnDef::new(Users::Id).uuid().not_null().primary_key())
            .col(ColumnDef::new(Users::Username).string_len(128).not_null())
            .col(ColumnDef::new(Users::Email).string_len(255).not_null())
            .col(
                ColumnDef::new(Users::FirstName)
                    .string_len(255)
                    .not_null()
                    .default(""),
            )
            .col(
                ColumnDef::new(Users::LastName)
                    .string_len(255)
                    .not_null()
                    .default(""),
            )
            .col(
                ColumnDef::new(Users::DisplayName)
                    .string_len(255)
                    .not_null()
                    .default(""),
            )
            .col(ColumnDef::new(Users::Avatar).text().not_null().default(""))
            .col(ColumnDef::new(Users::AvatarAsset).string_len(1024).null())
            // argon2id PHC string; NULL when the account has no password (OAuth, magic code).
            .col(ColumnDef::new(Users::Password).text().null())
            .col(
                ColumnDef::new(Users::IsPasswordAutoset)
                    .boolean()
                    .not_null()
                    .default(false),
            )
            .col(
                ColumnDef::new(Users::IsActive)
                    .boolean()
                    .not_null()
                    .default(true),
            )
            .col(
                ColumnDef::new(Users::IsBot)
                    .boolean()
                    .not_null()
                    .default(false),
            )
            .col(
                ColumnDef::new(Users::IsEmailVerified)
                    .boolean()
                    .not_null()
                    .default(false),
            )
            .col(
                ColumnDef::new(Users::UserTimezone)
                    .string_len(255)
                    .not_null()
                    .default("UTC"),
            )
            .col(
                ColumnDef::new(Users::LastLoginAt)
                    .timestamp_with_time_zone()
                    .null(),
            )
            .col(ColumnDef::new(Users::LastLoginMedium).string_len(20).null())
            .col(
                ColumnDef::new(Users::LastActive)
                    .timestamp_with_time_zone()
                    .null(),
            )
            // Sessions started before this instant are void (password reset, "sign out everywhere").
            .col(
                ColumnDef::new(Users::SessionsValidAfter)
                    .timestamp_with_time_zone()
                    .null(),
            )
            .col(
                ColumnDef::new(Users::DateJoined)
                    .timestamp_with_time_zone()
                    .not_null(),
            );
        audit(
            &mut users,
            Users::CreatedAt,
            Users::UpdatedAt,
            Users::DeletedAt,
            Users::CreatedBy,
            Users::UpdatedBy,
        );
        manager.create_table(users.to_owned()).await?;
        for (name, col) in [
            ("users_email_key", Users::Email),
            ("users_username_key", Users::Username),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Users::Table)
                        .col(col)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }

        let mut admins = Table::create();
        admins
            .table(InstanceAdmins::Table)
            .col(
                ColumnDef::new(InstanceAdmins::Id)
                    .uuid()
                    .not_null()
                    .primary_key(),
            )
            .col(ColumnDef::new(InstanceAdmins::UserId).uuid().not_null())
            .col(
                ColumnDef::new(InstanceAdmins::Role)
                    .integer()
                    .not_null()
                    .default(20),
            )
            .col(
                ColumnDef::new(InstanceAdmins::IsVerified)
                    .boolean()
                    .not_null()
                    .default(false),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(InstanceAdmins::Table, InstanceAdmins::UserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            );
        audit(
            &mut admins,
            InstanceAdmins::CreatedAt,
            InstanceAdmins::UpdatedAt,
            InstanceAdmins::DeletedAt,
            InstanceAdmins::CreatedBy,
            InstanceAdmins::UpdatedBy,
        );
        manager.create_table(admins.to_owned()).await?;
        manager
            .create_index(
                Index::create()
                    .name("instance_admins_user_id_key")
                    .table(InstanceAdmins::Table)
                    .col(InstanceAdmins::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        let mut tokens = Table::create();
        tokens
            .table(ApiTokens::Table)
            .col(
                ColumnDef::new(ApiTokens::Id)
                    .uuid()
                    .not_null()
                    .primary_key(),
            )
            .col(ColumnDef::new(ApiTokens::Label).string_len(255).not_null())
            .col(
                ColumnDef::new(ApiTokens::Description)
                    .text()
                    .not_null()
                    .default(""),
            )
            // SHA-256 of the token, hex: the token itself is shown once and never stored.
            .col(
                ColumnDef::new(ApiTokens::TokenHash)
                    .string_len(64)
                    .not_null(),
            )
            .col(
                ColumnDef::new(ApiTokens::TokenHint)
                    .string_len(32)
                    .not_null(),
            )
            .col(ColumnDef::new(ApiTokens::UserId).uuid().not_null())
            .col(
                ColumnDef::new(ApiTokens::UserType)
                    .small_integer()
                    .not_null()
                    .default(0),
            )
            .col(ColumnDef::new(ApiTokens::WorkspaceId).uuid().null())
            .col(
                ColumnDef::new(ApiTokens::IsActive)
                    .boolean()
                    .not_null()
                    .default(true),
            )
            .col(
                ColumnDef::new(ApiTokens::IsService)
                    .boolean()
                    .not_null()
                    .default(false),
            )
            .col(
                ColumnDef::new(ApiTokens::LastUsed)
                    .timestamp_with_time_zone()
                    .null(),
            )
            .col(
                ColumnDef::new(ApiTokens::ExpiredAt)
                    .timestamp_with_time_zone()
                    .null(),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(ApiTokens::Table, ApiTokens::UserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            );
        audit(
            &mut tokens,
            ApiTokens::CreatedAt,
            ApiTokens::UpdatedAt,
            ApiTokens::DeletedAt,
            ApiTokens::CreatedBy,
            ApiTokens::UpdatedBy,
        );
        manager.create_table(tokens.to_owned()).await?;
        manager
            .create_index(
                Index::create()
                    .name("api_tokens_token_hash_key")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_tokens_user_id_idx")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::UserId)
                    .to_owned(),
            )
            .await?;

        let mut accounts = Table::create();
        accounts
            .table(Accounts::Table)
            .col(ColumnDef::new(Accounts::Id).uuid().not_null().primary_key())
            .col(ColumnDef::new(Accounts::UserId).uuid().not_null())
            .col(ColumnDef::new(Accounts::Provider).string_len(50).not_null())
            .col(
                ColumnDef::new(Accounts::ProviderAccountId)
                    .string_len(255)
                    .not_null(),
            )
            .col(
                ColumnDef::new(Accounts::LastConnectedAt)
                    .timestamp_with_time_zone()
                    .not_null(),
            )
            .col(ColumnDef::new(Accounts::Metadata).json().not_null())
            .foreign_key(
                ForeignKey::create()
                    .from(Accounts::Table, Accounts::UserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            );
        audit(
            &mut accounts,
            Accounts::CreatedAt,
            Accounts::UpdatedAt,
            Accounts::DeletedAt,
            Accounts::CreatedBy,
            Accounts::UpdatedBy,
        );
        manager.create_table(accounts.to_owned()).await?;
        manager
            .create_index(
                Index::create()
                    .name("accounts_provider_account_key")
                    .table(Accounts::Table)
                    .col(Accounts::Provider)
                    .col(Accounts::ProviderAccountId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("accounts_user_id_idx")
                    .table(Accounts::Table)
                    .col(Accounts::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Accounts::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            InstanceAdmins::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
