//! `users`: Plane's user model (the columns plane-aio uses).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    pub avatar: String,
    pub avatar_asset: Option<String>,
    /// argon2id PHC string; `None` when the account has no password.
    pub password: Option<String>,
    pub is_password_autoset: bool,
    pub is_active: bool,
    pub is_bot: bool,
    pub is_email_verified: bool,
    pub user_timezone: String,
    pub last_login_at: Option<DateTimeUtc>,
    pub last_login_medium: Option<String>,
    pub last_active: Option<DateTimeUtc>,
    /// Sessions started before this instant are void.
    pub sessions_valid_after: Option<DateTimeUtc>,
    pub date_joined: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::workspace_member::Entity")]
    WorkspaceMemberships,
    #[sea_orm(has_many = "super::project_member::Entity")]
    ProjectMemberships,
}

impl Related<super::workspace_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WorkspaceMemberships.def()
    }
}

impl Related<super::project_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProjectMemberships.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
