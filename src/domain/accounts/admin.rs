//! Accounts made outside the sign-up flows: the first-run admin, the admin CLI, disabling.

use super::{AuthError, Names, hash, internal, new_user};
use crate::{
    app::AppState,
    db::{
        self,
        users::{CreateUserError, User},
    },
    domain::{email::Email, password},
};

/// The first account, which becomes the instance admin; refused once the instance is set up.
pub async fn create_first_admin(
    state: &AppState,
    email: &str,
    password: &str,
    names: &Names,
) -> Result<User, AuthError> {
    // Closed at once after set-up: this anonymous route must not cost a strength check and a
    // hash per request (the database re-checks inside the creating transaction).
    if db::users::count(state.db()).await.map_err(internal)? > 0 {
        return Err(AuthError::AlreadySetUp);
    }
    let email = Email::parse(email).map_err(|_| AuthError::InvalidEmail)?;
    password::check_strength(
        password,
        &[email.as_str(), &names.first_name, &names.last_name],
    )?;
    let user = new_user(&email, names, Some(hash(password).await?), false);
    match db::users::create_first_admin(state.db(), &user).await {
        Ok(user) => Ok(user),
        Err(CreateUserError::AlreadySetUp) => Err(AuthError::AlreadySetUp),
        Err(CreateUserError::Duplicate) => Err(AuthError::AlreadySetUp),
        Err(CreateUserError::Db(e)) => Err(internal(e)),
    }
}

/// Creates an account directly (the admin CLI): no sign-up policy applies.
pub async fn create_user(
    state_db: &db::Db,
    email: &str,
    password: &str,
    names: &Names,
    admin: bool,
) -> Result<User, AuthError> {
    let email = Email::parse(email).map_err(|_| AuthError::InvalidEmail)?;
    password::check_strength(
        password,
        &[email.as_str(), &names.first_name, &names.last_name],
    )?;
    let user = new_user(&email, names, Some(hash(password).await?), false);
    let created = if admin {
        db::users::create_admin(state_db, &user).await
    } else {
        db::users::create(state_db, &user).await
    };
    created.map_err(|e| match e {
        CreateUserError::Duplicate => AuthError::Duplicate,
        CreateUserError::AlreadySetUp => AuthError::AlreadySetUp,
        CreateUserError::Db(e) => internal(e),
    })
}

/// Disables an account and ends its sessions for good (admin CLI and instance admins): every
/// session started before now is void (`sessions_valid_after`), so enabling the account again
/// revives none of them, even those the caller cannot delete from the key-value store.
pub async fn disable(
    state_db: &db::Db,
    kv: Option<&crate::kv::Kv>,
    user: User,
) -> Result<User, AuthError> {
    let now = state_db.clock_now().await.map_err(internal)?;
    let user = db::users::save(state_db, user, |u| {
        u.is_active = sea_orm::ActiveValue::Set(false);
        u.sessions_valid_after = sea_orm::ActiveValue::Set(Some(now));
    })
    .await
    .map_err(internal)?;
    if let Some(kv) = kv {
        crate::domain::sessions::end_all(kv, user.id)
            .await
            .map_err(internal)?;
    }
    Ok(user)
}
