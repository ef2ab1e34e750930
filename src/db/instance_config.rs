//! Queries on `instance_configurations`.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::{Db, entities::instance_configuration as config};

/// Returns the value stored under `key`, first storing `generate()` if there is none.
/// Safe when several nodes start at once: the first insert wins and everyone reads it back.
pub async fn get_or_insert(
    db: &Db,
    key: &str,
    category: &str,
    generate: impl FnOnce() -> String,
) -> Result<String, sea_orm::DbErr> {
    if let Some(value) = get(db, key).await? {
        return Ok(value);
    }
    let now = Utc::now();
    let row = config::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        key: Set(key.to_string()),
        value: Set(Some(generate())),
        category: Set(category.to_string()),
        is_encrypted: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        created_by: Set(None),
        updated_by: Set(None),
    };
    config::Entity::insert(row)
        .on_conflict_do_nothing_on([config::Column::Key])
        .exec_without_returning(&db.conn)
        .await?;
    get(db, key)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound(format!("instance configuration {key}")))
}

pub async fn get(db: &Db, key: &str) -> Result<Option<String>, sea_orm::DbErr> {
    Ok(config::Entity::find()
        .filter(config::Column::Key.eq(key))
        .filter(config::Column::DeletedAt.is_null())
        .one(&db.conn)
        .await?
        .and_then(|row| row.value))
}
