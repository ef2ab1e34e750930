//! Queries on `instance_configurations`.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::OnConflict};
use uuid::Uuid;

use super::{
    Db,
    entities::{account, instance_configuration as config},
};

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
        id: Set(Uuid::now_v7()),
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

/// Every stored setting row (deleted ones excluded).
pub async fn all(db: &Db) -> Result<Vec<config::Model>, sea_orm::DbErr> {
    config::Entity::find()
        .filter(config::Column::DeletedAt.is_null())
        .all(&db.conn)
        .await
}

/// One setting to write.
pub struct Upsert {
    pub key: &'static str,
    pub value: String,
    pub category: &'static str,
    pub is_encrypted: bool,
}

/// Writes several settings in one transaction (insert or replace by key), removing the
/// accounts linked through the `unlink` providers with them.
pub async fn upsert_all(
    db: &Db,
    rows: &[Upsert],
    unlink: &[&str],
    by: Option<Uuid>,
) -> Result<(), sea_orm::DbErr> {
    let txn = db.begin().await?;
    if !unlink.is_empty() {
        account::Entity::delete_many()
            .filter(account::Column::Provider.is_in(unlink.iter().copied()))
            .exec(&txn)
            .await?;
    }
    let now = Utc::now();
    for row in rows {
        config::Entity::insert(config::ActiveModel {
            id: Set(Uuid::now_v7()),
            key: Set(row.key.to_string()),
            value: Set(Some(row.value.clone())),
            category: Set(row.category.to_string()),
            is_encrypted: Set(row.is_encrypted),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
            created_by: Set(by),
            updated_by: Set(by),
        })
        .on_conflict(
            OnConflict::column(config::Column::Key)
                .update_columns([
                    config::Column::Value,
                    config::Column::IsEncrypted,
                    config::Column::UpdatedAt,
                    config::Column::UpdatedBy,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await
}
