//! Queries on `accounts`: which provider identity belongs to which user.

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use super::{Db, entities::account};

pub use account::Model as LinkedAccount;

pub async fn find(
    db: &Db,
    provider: &str,
    provider_account_id: &str,
) -> Result<Option<LinkedAccount>, DbErr> {
    account::Entity::find()
        .filter(account::Column::Provider.eq(provider))
        .filter(account::Column::ProviderAccountId.eq(provider_account_id))
        .filter(account::Column::DeletedAt.is_null())
        .one(&db.conn)
        .await
}

/// Links the provider identity to the user, unless it is linked already (a concurrent first
/// sign-in with the same identity won): returns the link that holds, which names its user.
pub async fn link(
    db: &Db,
    user_id: Uuid,
    provider: &str,
    provider_account_id: &str,
    metadata: serde_json::Value,
) -> Result<LinkedAccount, DbErr> {
    let now = Utc::now();
    account::Entity::insert(account::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        provider: Set(provider.to_string()),
        provider_account_id: Set(provider_account_id.to_string()),
        last_connected_at: Set(now),
        metadata: Set(metadata),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        created_by: Set(Some(user_id)),
        updated_by: Set(Some(user_id)),
    })
    .on_conflict(
        OnConflict::columns([
            account::Column::Provider,
            account::Column::ProviderAccountId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&db.conn)
    .await?;
    find(db, provider, provider_account_id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("the {provider} link just made")))
}

pub async fn touch(db: &Db, id: Uuid) -> Result<(), DbErr> {
    account::Entity::update_many()
        .filter(account::Column::Id.eq(id))
        .col_expr(account::Column::LastConnectedAt, Expr::value(Utc::now()))
        .exec(&db.conn)
        .await
        .map(|_| ())
}

pub async fn for_user(db: &Db, user_id: Uuid) -> Result<Vec<LinkedAccount>, DbErr> {
    account::Entity::find()
        .filter(account::Column::UserId.eq(user_id))
        .filter(account::Column::DeletedAt.is_null())
        .all(&db.conn)
        .await
}
