//! Workspaces and what lives directly in them: members, invitations, projects, project members,
//! states, labels and estimates. Table and column names follow Plane's models; references are
//! `<name>_id` columns. Names that must be unique are unique only among rows that are not
//! soft-deleted (partial indexes, as Plane), so a deleted project's identifier can be reused.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

fn text(name: &str, default: &str) -> ColumnDef {
    col(name).text().not_null().default(default).to_owned()
}

fn string(name: &str, len: u32) -> ColumnDef {
    col(name).string_len(len).not_null().to_owned()
}

fn nullable_string(name: &str, len: u32) -> ColumnDef {
    col(name).string_len(len).null().to_owned()
}

fn flag(name: &str, default: bool) -> ColumnDef {
    col(name).boolean().not_null().default(default).to_owned()
}

fn int(name: &str, default: i32) -> ColumnDef {
    col(name).integer().not_null().default(default).to_owned()
}

fn float(name: &str, default: f64) -> ColumnDef {
    col(name).double().not_null().default(default).to_owned()
}

fn uuid_ref(name: &str) -> ColumnDef {
    col(name).uuid().not_null().to_owned()
}

fn nullable_uuid(name: &str) -> ColumnDef {
    col(name).uuid().null().to_owned()
}

fn timestamp(name: &str) -> ColumnDef {
    col(name).timestamp_with_time_zone().null().to_owned()
}

fn json(name: &str) -> ColumnDef {
    col(name).json().null().to_owned()
}

fn external_ref() -> [ColumnDef; 2] {
    [
        nullable_string("external_source", 255),
        nullable_string("external_id", 255),
    ]
}

/// How a reference behaves when its target row is removed for good (rows are normally only
/// soft-deleted, which the application cascades itself).
#[derive(Clone, Copy)]
enum OnDelete {
    Cascade,
    SetNull,
}

struct Reference {
    column: &'static str,
    table: &'static str,
    on_delete: OnDelete,
}

const fn cascade(column: &'static str, table: &'static str) -> Reference {
    Reference {
        column,
        table,
        on_delete: OnDelete::Cascade,
    }
}

const fn set_null(column: &'static str, table: &'static str) -> Reference {
    Reference {
        column,
        table,
        on_delete: OnDelete::SetNull,
    }
}

/// A table with Plane's common columns: `id` (UUID v7), then `columns`, then the audit columns.
async fn create(
    manager: &SchemaManager<'_>,
    name: &str,
    columns: Vec<ColumnDef>,
    references: &[Reference],
) -> Result<(), DbErr> {
    let mut table = Table::create();
    table
        .table(Alias::new(name))
        .col(col("id").uuid().not_null().primary_key());
    for mut column in columns {
        table.col(&mut column);
    }
    table
        .col(col("created_at").timestamp_with_time_zone().not_null())
        .col(col("updated_at").timestamp_with_time_zone().not_null())
        .col(timestamp("deleted_at"))
        .col(nullable_uuid("created_by"))
        .col(nullable_uuid("updated_by"));
    for reference in references {
        table.foreign_key(
            ForeignKey::create()
                .from(Alias::new(name), Alias::new(reference.column))
                .to(Alias::new(reference.table), Alias::new("id"))
                .on_delete(match reference.on_delete {
                    OnDelete::Cascade => ForeignKeyAction::Cascade,
                    OnDelete::SetNull => ForeignKeyAction::SetNull,
                }),
        );
    }
    manager.create_table(table.to_owned()).await
}

/// `CREATE [UNIQUE] INDEX … [WHERE deleted_at IS NULL]`: the same SQL on SQLite and Postgres.
async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: &str,
    columns: &[&str],
    kind: IndexKind,
) -> Result<(), DbErr> {
    let quoted: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    let (unique, filter) = match kind {
        IndexKind::Plain => ("", ""),
        IndexKind::Unique => ("UNIQUE ", ""),
        IndexKind::UniqueAmongLive => ("UNIQUE ", " WHERE deleted_at IS NULL"),
    };
    let sql = format!(
        "CREATE {unique}INDEX \"{name}\" ON \"{table}\" ({}){filter}",
        quoted.join(", ")
    );
    manager.get_connection().execute_unprepared(&sql).await?;
    Ok(())
}

#[derive(Clone, Copy)]
enum IndexKind {
    Plain,
    Unique,
    /// Unique among rows that are not soft-deleted.
    UniqueAmongLive,
}

/// Tables in creation order (dropped in reverse).
const TABLES: [&str; 9] = [
    "workspaces",
    "workspace_members",
    "workspace_member_invites",
    "projects",
    "project_members",
    "states",
    "labels",
    "estimates",
    "estimate_points",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every engine (SQLite too), so an interrupted migration leaves nothing
    /// of itself and the next start applies it whole.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use IndexKind::*;

        create(
            manager,
            "workspaces",
            vec![
                string("name", 80),
                string("slug", 48),
                uuid_ref("owner_id"),
                col("logo").text().null().to_owned(),
                nullable_string("organization_size", 20),
                col("timezone")
                    .string_len(255)
                    .not_null()
                    .default("UTC")
                    .to_owned(),
                nullable_string("background_color", 255),
            ],
            &[cascade("owner_id", "users")],
        )
        .await?;
        index(
            manager,
            "workspaces_slug_key",
            "workspaces",
            &["slug"],
            UniqueAmongLive,
        )
        .await?;
        index(
            manager,
            "workspaces_owner_idx",
            "workspaces",
            &["owner_id"],
            Plain,
        )
        .await?;

        create(
            manager,
            "workspace_members",
            vec![
                uuid_ref("workspace_id"),
                uuid_ref("member_id"),
                col("role").small_integer().not_null().default(5).to_owned(),
                col("company_role").text().null().to_owned(),
                // A removed member keeps the row, inactive (Plane), so history stays attributable.
                flag("is_active", true),
                json("view_props"),
            ],
            &[
                cascade("workspace_id", "workspaces"),
                cascade("member_id", "users"),
            ],
        )
        .await?;
        index(
            manager,
            "workspace_members_workspace_member_key",
            "workspace_members",
            &["workspace_id", "member_id"],
            Unique,
        )
        .await?;
        index(
            manager,
            "workspace_members_member_idx",
            "workspace_members",
            &["member_id"],
            Plain,
        )
        .await?;

        create(
            manager,
            "workspace_member_invites",
            vec![
                uuid_ref("workspace_id"),
                string("email", 255),
                col("role").small_integer().not_null().default(5).to_owned(),
                // SHA-256 of the token sent by mail; the token itself is never stored.
                string("token_hash", 64),
                col("message").text().null().to_owned(),
                flag("accepted", false),
                timestamp("responded_at"),
            ],
            &[cascade("workspace_id", "workspaces")],
        )
        .await?;
        index(
            manager,
            "workspace_member_invites_workspace_email_idx",
            "workspace_member_invites",
            &["workspace_id", "email"],
            Plain,
        )
        .await?;
        index(
            manager,
            "workspace_member_invites_token_key",
            "workspace_member_invites",
            &["token_hash"],
            Unique,
        )
        .await?;
        index(
            manager,
            "workspace_member_invites_email_idx",
            "workspace_member_invites",
            &["email"],
            Plain,
        )
        .await?;

        let mut project_columns = vec![
            uuid_ref("workspace_id"),
            string("name", 255),
            text("description", ""),
            col("description_html").text().null().to_owned(),
            col("network")
                .small_integer()
                .not_null()
                .default(2)
                .to_owned(),
            string("identifier", 12),
            nullable_string("emoji", 255),
            json("icon_prop"),
            flag("module_view", false),
            flag("cycle_view", false),
            flag("issue_views_view", false),
            flag("page_view", true),
            flag("intake_view", false),
            flag("is_time_tracking_enabled", false),
            flag("is_issue_type_enabled", false),
            flag("guest_view_all_features", false),
            col("cover_image").text().null().to_owned(),
            nullable_string("cover_image_asset", 1024),
            int("archive_in", 0),
            int("close_in", 0),
            json("logo_props"),
            timestamp("archived_at"),
            col("timezone")
                .string_len(255)
                .not_null()
                .default("UTC")
                .to_owned(),
            nullable_uuid("default_assignee_id"),
            nullable_uuid("project_lead_id"),
            // Checked by the application: the estimate and state tables come later.
            nullable_uuid("estimate_id"),
            nullable_uuid("default_state_id"),
        ];
        project_columns.extend(external_ref());
        create(
            manager,
            "projects",
            project_columns,
            &[
                cascade("workspace_id", "workspaces"),
                set_null("default_assignee_id", "users"),
                set_null("project_lead_id", "users"),
            ],
        )
        .await?;
        index(
            manager,
            "projects_workspace_name_key",
            "projects",
            &["workspace_id", "name"],
            UniqueAmongLive,
        )
        .await?;
        index(
            manager,
            "projects_workspace_identifier_key",
            "projects",
            &["workspace_id", "identifier"],
            UniqueAmongLive,
        )
        .await?;

        create(
            manager,
            "project_members",
            vec![
                uuid_ref("workspace_id"),
                uuid_ref("project_id"),
                uuid_ref("member_id"),
                col("role").small_integer().not_null().default(5).to_owned(),
                flag("is_active", true),
                col("comment").text().null().to_owned(),
                // The member's own ordering of their projects (Plane's project_user_properties).
                float("sort_order", 65535.0),
                json("view_props"),
                json("preferences"),
            ],
            &[
                cascade("workspace_id", "workspaces"),
                cascade("project_id", "projects"),
                cascade("member_id", "users"),
            ],
        )
        .await?;
        index(
            manager,
            "project_members_project_member_key",
            "project_members",
            &["project_id", "member_id"],
            Unique,
        )
        .await?;
        index(
            manager,
            "project_members_member_idx",
            "project_members",
            &["member_id", "workspace_id"],
            Plain,
        )
        .await?;

        let mut state_columns = vec![
            uuid_ref("workspace_id"),
            uuid_ref("project_id"),
            string("name", 255),
            text("description", ""),
            string("color", 255),
            text("slug", ""),
            float("sequence", 65535.0),
            col("group")
                .string_len(20)
                .not_null()
                .default("backlog")
                .to_owned(),
            flag("is_triage", false),
            flag("default", false),
        ];
        state_columns.extend(external_ref());
        create(
            manager,
            "states",
            state_columns,
            &[
                cascade("workspace_id", "workspaces"),
                cascade("project_id", "projects"),
            ],
        )
        .await?;
        index(
            manager,
            "states_project_name_key",
            "states",
            &["project_id", "name"],
            UniqueAmongLive,
        )
        .await?;

        let mut label_columns = vec![
            uuid_ref("workspace_id"),
            uuid_ref("project_id"),
            nullable_uuid("parent_id"),
            string("name", 255),
            text("description", ""),
            text("color", ""),
            float("sort_order", 65535.0),
        ];
        label_columns.extend(external_ref());
        create(
            manager,
            "labels",
            label_columns,
            &[
                cascade("workspace_id", "workspaces"),
                cascade("project_id", "projects"),
                set_null("parent_id", "labels"),
            ],
        )
        .await?;
        index(
            manager,
            "labels_project_name_key",
            "labels",
            &["project_id", "name"],
            UniqueAmongLive,
        )
        .await?;

        let mut estimate_columns = vec![
            uuid_ref("workspace_id"),
            uuid_ref("project_id"),
            string("name", 255),
            text("description", ""),
            col("type")
                .string_len(255)
                .not_null()
                .default("categories")
                .to_owned(),
            flag("last_used", false),
        ];
        estimate_columns.extend(external_ref());
        create(
            manager,
            "estimates",
            estimate_columns,
            &[
                cascade("workspace_id", "workspaces"),
                cascade("project_id", "projects"),
            ],
        )
        .await?;
        // One estimate per project, as Plane's API serves it.
        index(
            manager,
            "estimates_project_key",
            "estimates",
            &["project_id"],
            UniqueAmongLive,
        )
        .await?;

        let mut point_columns = vec![
            uuid_ref("workspace_id"),
            uuid_ref("project_id"),
            uuid_ref("estimate_id"),
            int("key", 0),
            text("description", ""),
            string("value", 255),
        ];
        point_columns.extend(external_ref());
        create(
            manager,
            "estimate_points",
            point_columns,
            &[
                cascade("workspace_id", "workspaces"),
                cascade("project_id", "projects"),
                cascade("estimate_id", "estimates"),
            ],
        )
        .await?;
        index(
            manager,
            "estimate_points_estimate_idx",
            "estimate_points",
            &["estimate_id"],
            Plain,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            manager
                .drop_table(Table::drop().table(Alias::new(*table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
