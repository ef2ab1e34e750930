//! Queries on `users` and `instance_admins`.

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::{
    Db,
    entities::{instance_admin as admin, instance_configuration as config, user},
    is_unique_violation,
};

pub use user::Model as User;

/// What creating a user needs; everything else starts at its default.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub is_email_verified: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("a user with this email already exists")]
    Duplicate,
    #[error("the instance is already set up")]
    AlreadySetUp,
    #[error(transparent)]
    Db(#[from] DbErr),
}

fn active_model(new: &NewUser) -> user::ActiveModel {
    let now = Utc::now();
    let id = Uuid::now_v7();
    user::ActiveModel {
        id: Set(id),
        username: Set(Uuid::new_v4().simple().to_string()),
        email: Set(new.email.clone()),
        first_name: Set(new.first_name.clone()),
        last_name: Set(new.last_name.clone()),
        display_name: Set(new.display_name.clone()),
        avatar: Set(String::new()),
        avatar_asset: Set(None),
        password: Set(new.password_hash.clone()),
        is_password_autoset: Set(new.password_hash.is_none()),
        is_active: Set(true),
        is_bot: Set(false),
        is_email_verified: Set(new.is_email_verified),
        user_timezone: Set("UTC".into()),
        last_login_at: Set(None),
        last_login_medium: Set(None),
        last_active: Set(None),
        sessions_valid_after: Set(None),
        date_joined: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        created_by: Set(None),
        updated_by: Set(None),
    }
}

async fn insert<C: ConnectionTrait>(conn: &C, new: &NewUser) -> Result<User, CreateUserError> {
    user::Entity::insert(active_model(new))
        .exec_with_returning(conn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                CreateUserError::Duplicate
            } else {
                CreateUserError::Db(e)
            }
        })
}

/// Creates a user. The first account of the instance also becomes its instance admin, always
/// (whichever way it is made): the account that claims `INSTANCE_SETUP_DONE` when there were no
/// users yet, in the same transaction, so concurrent creations on any node make one admin.
pub async fn create(db: &Db, new: &NewUser) -> Result<User, CreateUserError> {
    let txn = db.begin().await?;
    // Only the creation that writes the claim looks for earlier users (the CLI's may exist).
    let first = claim_setup(&txn).await? && user::Entity::find().one(&txn).await?.is_none();
    let user = insert(&txn, new).await?;
    if first {
        grant_admin(&txn, user.id).await?;
    }
    txn.commit().await?;
    Ok(user)
}

/// Creates a user who is also an instance admin, in one transaction; the instance counts as set
/// up from then on.
pub async fn create_admin(db: &Db, new: &NewUser) -> Result<User, CreateUserError> {
    let txn = db.begin().await?;
    claim_setup(&txn).await?;
    let user = insert(&txn, new).await?;
    grant_admin(&txn, user.id).await?;
    txn.commit().await?;
    Ok(user)
}

/// The first account of the instance, which becomes its admin. Exactly one caller can win,
/// even across nodes: the claim is a unique row written in the same transaction.
pub async fn create_first_admin(db: &Db, new: &NewUser) -> Result<User, CreateUserError> {
    let txn = db.begin().await?;
    if user::Entity::find().count(&txn).await? > 0 {
        return Err(CreateUserError::AlreadySetUp);
    }
    let claim = config::Entity::insert(setup_claim())
        .exec_without_returning(&txn)
        .await;
    match claim {
        Err(e) if is_unique_violation(&e) => return Err(CreateUserError::AlreadySetUp),
        Err(e) => return Err(e.into()),
        Ok(_) => {}
    }
    let user = insert(&txn, new).await?;
    grant_admin(&txn, user.id).await?;
    txn.commit().await?;
    Ok(user)
}

/// The row that says the instance is set up (its unique key makes the first run single-winner).
fn setup_claim() -> config::ActiveModel {
    let now = Utc::now();
    config::ActiveModel {
        id: Set(Uuid::now_v7()),
        key: Set("INSTANCE_SETUP_DONE".into()),
        value: Set(Some("1".into())),
        category: Set("GENERAL".into()),
        is_encrypted: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        created_by: Set(None),
        updated_by: Set(None),
    }
}

async fn grant_admin<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> Result<(), DbErr> {
    let now = Utc::now();
    admin::Entity::insert(admin::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        role: Set(20),
        is_verified: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        created_by: Set(None),
        updated_by: Set(None),
    })
    .on_conflict_do_nothing_on([admin::Column::UserId])
    .exec_without_returning(conn)
    .await
    .map(|_| ())
}

pub async fn make_admin(db: &Db, user_id: Uuid) -> Result<(), DbErr> {
    grant_admin(&db.conn, user_id).await
}

pub async fn is_admin(db: &Db, user_id: Uuid) -> Result<bool, DbErr> {
    Ok(admin::Entity::find()
        .filter(admin::Column::UserId.eq(user_id))
        .filter(admin::Column::DeletedAt.is_null())
        .count(&db.conn)
        .await?
        > 0)
}

/// Every stored avatar some user's profile points at (deleted users' too: their rows stay).
pub async fn avatars_in_use(db: &Db) -> Result<std::collections::HashSet<String>, DbErr> {
    use sea_orm::QuerySelect;
    let keys: Vec<Option<String>> = user::Entity::find()
        .select_only()
        .column(user::Column::AvatarAsset)
        .filter(user::Column::AvatarAsset.is_not_null())
        .into_tuple()
        .all(&db.conn)
        .await?;
    Ok(keys.into_iter().flatten().collect())
}

pub async fn count(db: &Db) -> Result<u64, DbErr> {
    user::Entity::find()
        .filter(user::Column::DeletedAt.is_null())
        .count(&db.conn)
        .await
}

pub async fn by_email(db: &Db, email: &str) -> Result<Option<User>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .filter(user::Column::DeletedAt.is_null())
        .one(&db.conn)
        .await
}

pub async fn by_ids(db: &Db, ids: &[Uuid]) -> Result<Vec<User>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(&db.conn)
        .await
}

pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<User>, DbErr> {
    let found = db
        .memos
        .users
        .get_or_load(db, id, || {
            user::Entity::find_by_id(id)
                .filter(user::Column::DeletedAt.is_null())
                .one(&db.conn)
        })
        .await?;
    Ok((*found).clone())
}

/// Every user, oldest first, with whether each is an instance admin.
pub async fn list(db: &Db) -> Result<Vec<(User, bool)>, DbErr> {
    let users = user::Entity::find()
        .filter(user::Column::DeletedAt.is_null())
        .order_by_asc(user::Column::DateJoined)
        .all(&db.conn)
        .await?;
    let admins: Vec<Uuid> = admin::Entity::find()
        .filter(admin::Column::DeletedAt.is_null())
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    Ok(users
        .into_iter()
        .map(|u| {
            let is_admin = admins.contains(&u.id);
            (u, is_admin)
        })
        .collect())
}

/// Saves every changed column of `user` (and bumps `updated_at`).
pub async fn save(
    db: &Db,
    user: User,
    changes: impl FnOnce(&mut user::ActiveModel),
) -> Result<User, DbErr> {
    let mut active = user.into_active_model();
    changes(&mut active);
    active.updated_at = Set(Utc::now());
    user::Entity::update(active).exec(&db.conn).await
}

/// Stores a new password hash (which ends earlier sessions at `sessions_valid_after`), only
/// while the stored hash is still `user`'s: a check made against that hash (a reset link's,
/// the current password's) cannot be outrun by a change on another request or node. None
/// when it changed meanwhile (or the account went).
pub async fn replace_password(
    db: &Db,
    user: &User,
    new_hash: String,
    sessions_valid_after: chrono::DateTime<Utc>,
) -> Result<Option<User>, DbErr> {
    let unchanged = match &user.password {
        Some(hash) => user::Column::Password.eq(hash.clone()),
        None => user::Column::Password.is_null(),
    };
    let updated = user::Entity::update_many()
        .col_expr(user::Column::Password, Some(new_hash).into())
        .col_expr(user::Column::IsPasswordAutoset, false.into())
        .col_expr(
            user::Column::SessionsValidAfter,
            Some(sessions_valid_after).into(),
        )
        .col_expr(user::Column::UpdatedAt, Utc::now().into())
        .filter(user::Column::Id.eq(user.id))
        .filter(user::Column::DeletedAt.is_null())
        .filter(unchanged)
        .exec(&db.conn)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(None);
    }
    user::Entity::find_by_id(user.id).one(&db.conn).await
}

pub async fn record_login(db: &Db, user: User, medium: &str) -> Result<User, DbErr> {
    let now = Utc::now();
    save(db, user, |u| {
        u.last_login_at = Set(Some(now));
        u.last_active = Set(Some(now));
        u.last_login_medium = Set(Some(medium.to_string()));
    })
    .await
}

/// Writes the `INSTANCE_SETUP_DONE` claim unless it exists; true when this call wrote it.
async fn claim_setup<C: ConnectionTrait>(conn: &C) -> Result<bool, DbErr> {
    let claimed = config::Entity::insert(setup_claim())
        .on_conflict_do_nothing_on([config::Column::Key])
        .exec_without_returning(conn)
        .await?;
    Ok(matches!(claimed, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}
