//! Queries on `api_tokens`.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use super::{Db, entities::api_token as token};

pub use token::Model as ApiToken;

pub struct NewToken<'a> {
    pub user_id: Uuid,
    pub label: &'a str,
    pub description: &'a str,
    pub hash: &'a str,
    pub hint: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
    pub is_service: bool,
}

pub async fn create(db: &Db, new: NewToken<'_>) -> Result<ApiToken, DbErr> {
    let now = Utc::now();
    token::Entity::insert(token::ActiveModel {
        id: Set(Uuid::now_v7()),
        label: Set(new.label.to_string()),
        description: Set(new.description.to_string()),
        token_hash: Set(new.hash.to_string()),
        token_hint: Set(new.hint.to_string()),
        user_id: Set(new.user_id),
        user_type: Set(0),
        workspace_id: Set(None),
        is_active: Set(true),
        is_service: Set(new.is_service),
        last_used: Set(None),
        expired_at: Set(new.expires_at),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        created_by: Set(Some(new.user_id)),
        updated_by: Set(Some(new.user_id)),
    })
    .exec_with_returning(&db.conn)
    .await
}

/// The token with this hash, whatever its state (the caller decides what is valid).
pub async fn by_hash(db: &Db, hash: &str) -> Result<Option<ApiToken>, DbErr> {
    token::Entity::find()
        .filter(token::Column::TokenHash.eq(hash))
        .one(&db.conn)
        .await
}

/// The token with this hash and its user, in one query (every API request asks).
pub async fn with_user_by_hash(
    db: &Db,
    hash: &str,
) -> Result<Option<(ApiToken, Option<super::users::User>)>, DbErr> {
    let found = db
        .memos
        .tokens
        .get_or_load(db, hash.to_string(), || {
            token::Entity::find()
                .find_also_related(super::entities::user::Entity)
                .filter(token::Column::TokenHash.eq(hash))
                .one(&db.conn)
        })
        .await?;
    Ok((*found).clone())
}

/// A user's tokens that are not revoked, newest first.
pub async fn for_user(db: &Db, user_id: Uuid) -> Result<Vec<ApiToken>, DbErr> {
    token::Entity::find()
        .filter(token::Column::UserId.eq(user_id))
        .filter(token::Column::DeletedAt.is_null())
        .order_by_desc(token::Column::CreatedAt)
        .all(&db.conn)
        .await
}

/// Revokes a token: one of `owner`'s, or any (the admin CLI) for `None`; false when there is
/// no such live token.
pub async fn revoke(db: &Db, token_id: Uuid, owner: Option<Uuid>) -> Result<bool, DbErr> {
    let now = Utc::now();
    let mut update = token::Entity::update_many()
        .filter(token::Column::Id.eq(token_id))
        .filter(token::Column::DeletedAt.is_null());
    if let Some(user_id) = owner {
        update = update.filter(token::Column::UserId.eq(user_id));
    }
    let result = update
        .col_expr(token::Column::IsActive, Expr::value(false))
        .col_expr(token::Column::DeletedAt, Expr::value(now))
        .col_expr(token::Column::UpdatedAt, Expr::value(now))
        .exec(&db.conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records when tokens were last used; only moves `last_used` forward.
pub async fn record_last_used(db: &Db, uses: &[(Uuid, DateTime<Utc>)]) -> Result<(), DbErr> {
    for (id, at) in uses {
        token::Entity::update_many()
            .filter(token::Column::Id.eq(*id))
            .filter(
                sea_orm::Condition::any()
                    .add(token::Column::LastUsed.is_null())
                    .add(token::Column::LastUsed.lt(*at)),
            )
            .col_expr(token::Column::LastUsed, Expr::value(*at))
            .exec(&db.conn)
            .await?;
    }
    Ok(())
}
