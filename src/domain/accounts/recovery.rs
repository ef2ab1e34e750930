//! Forgotten and changed passwords. A new password voids every existing session.

use super::{AuthError, hash, internal, send_mail};
use crate::{
    app::AppState,
    db::{self, users::User},
    domain::{codes, email::Email, instance::InstanceSettings, password, rate_limit::lockout},
    mail::MailKind,
};

/// The [`AuthMail::PasswordReset`] job: a reset link when the address has an active account.
pub(super) async fn send_reset_link(
    state: &AppState,
    settings: &InstanceSettings,
    email: &Email,
) -> Result<(), AuthError> {
    let Some(user) = db::users::by_email(state.db(), email.as_str())
        .await
        .map_err(internal)?
        .filter(|user| user.is_active)
    else {
        return Ok(());
    };
    let fingerprint = codes::password_fingerprint(user.password.as_deref());
    let token = codes::issue_reset_token(state.kv(), user.id, fingerprint)
        .await
        .map_err(internal)?;
    let link = format!(
        "{}/accounts/reset-password?token={token}",
        state.public_url(settings).trim_end_matches('/')
    );
    let minutes = codes::RESET_LIFETIME.as_secs() / 60;
    send_mail(
        state,
        settings,
        email.as_str(),
        MailKind::PasswordReset { link, minutes },
    )
    .await
}

/// Sets a new password from a reset link; every session of the user ends.
///
/// The link is used up only by a password that passes every check, the account's email and
/// names included: it is read first, the password checked, and then taken by the one request
/// whose removal of it succeeds (so it still works once only).
pub async fn reset_password(
    state: &AppState,
    token: &str,
    new_password: &str,
) -> Result<User, AuthError> {
    let Some((user_id, fingerprint)) = codes::peek_reset_token(state.kv(), token)
        .await
        .map_err(internal)?
    else {
        return Err(AuthError::InvalidLink);
    };
    let user = reset_target(state, user_id, &fingerprint).await?;
    password::check_strength(
        new_password,
        &[&user.email, &user.first_name, &user.last_name],
    )?;
    match codes::take_reset_token(state.kv(), token)
        .await
        .map_err(internal)?
    {
        Some(taken) if taken == (user_id, fingerprint.clone()) => {}
        _ => return Err(AuthError::InvalidLink),
    }
    // Read again once the link is ours: a password changed meanwhile voids it (and the write
    // itself goes ahead only while the stored password is still the one read here).
    let user = reset_target(state, user_id, &fingerprint).await?;
    set_password(state, user, new_password)
        .await?
        .ok_or(AuthError::InvalidLink)
}

/// The active account a reset link was made for, while its password is the one it had then.
async fn reset_target(
    state: &AppState,
    user_id: uuid::Uuid,
    fingerprint: &str,
) -> Result<User, AuthError> {
    db::users::by_id(state.db(), user_id)
        .await
        .map_err(internal)?
        .filter(|u| {
            u.is_active && codes::password_fingerprint(u.password.as_deref()) == fingerprint
        })
        .ok_or(AuthError::InvalidLink)
}

/// Replaces a user's password and ends all their sessions; None when the password changed
/// since `user` was read (nothing written).
pub async fn set_password(
    state: &AppState,
    user: User,
    new_password: &str,
) -> Result<Option<User>, AuthError> {
    let Some(user) = store_password(state.db(), user, new_password).await? else {
        return Ok(None);
    };
    // The new password starts a fresh sign-in count (the lock-out counts per password).
    crate::domain::sessions::end_all(state.kv(), user.id)
        .await
        .map_err(internal)?;
    Ok(Some(user))
}

/// Stores a new password hash and voids every existing session (also those the caller cannot
/// delete from the key-value store, such as the CLI while the server holds it). Only while the
/// stored password is still `user`'s: None, nothing written, when it changed meanwhile.
pub async fn store_password(
    db: &db::Db,
    user: User,
    new_password: &str,
) -> Result<Option<User>, AuthError> {
    let hashed = hash(new_password).await?;
    let now = db.clock_now().await.map_err(internal)?;
    db::users::replace_password(db, &user, hashed, now)
        .await
        .map_err(internal)
}

/// Changes the signed-in user's password (the current one is required when there is one).
/// Wrong current passwords count as failed sign-ins of the address: ten lock both out for a
/// while (a stolen session cannot guess the password faster than a sign-in could).
pub async fn change_password(
    state: &AppState,
    user: User,
    current: Option<&str>,
    new_password: &str,
) -> Result<User, AuthError> {
    if let Some(phc) = user.password.as_deref() {
        let kv = state.kv();
        // Counted before the check, as a sign-in is (a burst is counted as it arrives).
        let subject = lockout::Subject::new(&user.email, user.sessions_valid_after);
        if let Err(lock) = lockout::begin_attempt(kv, &subject)
            .await
            .map_err(internal)?
        {
            return Err(AuthError::Locked {
                retry_after: lock.retry_after,
            });
        }
        if !password::verify(current.unwrap_or(""), phc).await {
            return Err(AuthError::WrongCurrentPassword);
        }
        lockout::clear(kv, &subject).await.map_err(internal)?;
    }
    password::check_strength(
        new_password,
        &[&user.email, &user.first_name, &user.last_name],
    )?;
    // Changed by another request since it was checked: the current password given is not
    // the current one any more.
    set_password(state, user, new_password)
        .await?
        .ok_or(AuthError::WrongCurrentPassword)
}
