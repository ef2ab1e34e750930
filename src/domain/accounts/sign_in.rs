//! Signing in and up: password, emailed code, and password sign-up proven by a code.

use super::{
    AuthError, Names, check_sign_up_allowed, create_verified, hash, internal, send_mail, settings,
    verify_email,
};
use crate::{
    app::AppState,
    db::{self, users::User},
    domain::{
        codes::{self, CodeCheck},
        email::Email,
        instance::InstanceSettings,
        password,
        rate_limit::lockout,
    },
    mail::MailKind,
};

/// Email + password sign-in.
pub async fn sign_in_with_password(
    state: &AppState,
    email: &str,
    password: &str,
) -> Result<User, AuthError> {
    let settings = settings(state).await?;
    if !settings.password_login_enabled() {
        return Err(AuthError::PasswordLoginDisabled);
    }
    let Ok(email) = Email::parse(email) else {
        password::verify_dummy(password).await;
        return Err(AuthError::InvalidCredentials);
    };
    let kv = state.kv();
    let user = db::users::by_email(state.db(), email.as_str())
        .await
        .map_err(internal)?;
    // Counted against this address and the account's current password: guesses at a password
    // since replaced (reset, changed, or the account disabled) do not count against the new one.
    let subject = lockout::Subject::new(
        email.as_str(),
        user.as_ref().and_then(|u| u.sessions_valid_after),
    );
    if let Err(lock) = lockout::begin_attempt(kv, &subject)
        .await
        .map_err(internal)?
    {
        password::verify_dummy(password).await;
        return Err(AuthError::Locked {
            retry_after: lock.retry_after,
        });
    }
    let verified = match user
        .as_ref()
        .and_then(|u| u.password.as_deref().map(|p| (u, p)))
    {
        Some((user, phc)) => password::verify(password, phc).await && user.is_active,
        None => {
            password::verify_dummy(password).await;
            false
        }
    };
    match (verified, user) {
        (true, Some(user)) => {
            lockout::clear(kv, &subject).await.map_err(internal)?;
            db::users::record_login(state.db(), user, "email")
                .await
                .map_err(internal)
        }
        // The attempt was counted before the check.
        _ => Err(AuthError::InvalidCredentials),
    }
}

/// The [`AuthMail::MagicCode`] job: a code for `email` when it may sign in or sign up.
pub(super) async fn send_magic_code(
    state: &AppState,
    settings: &InstanceSettings,
    email: &Email,
) -> Result<(), AuthError> {
    let user = db::users::by_email(state.db(), email.as_str())
        .await
        .map_err(internal)?;
    // With code sign-in off, codes serve only password sign-ups (of new addresses).
    let may_use = match &user {
        Some(user) => user.is_active && settings.magic_login_enabled(),
        None => check_sign_up_allowed(state, settings, email).await.is_ok(),
    };
    if !may_use {
        return Ok(());
    }
    let codes::IssuedCode {
        code,
        minutes_left: minutes,
    } = codes::issue_magic_code(state.kv(), state.secrets(), email.as_str())
        .await
        .map_err(internal)?;
    send_mail(
        state,
        settings,
        email.as_str(),
        MailKind::MagicCode { code, minutes },
    )
    .await
}

/// Signs in (or, when allowed, signs up) with an emailed code. Returns the user and whether
/// the account was created.
pub async fn sign_in_with_code(
    state: &AppState,
    email: &str,
    code: &str,
    names: &Names,
) -> Result<(User, bool), AuthError> {
    let settings = settings(state).await?;
    if !settings.magic_login_enabled() {
        return Err(AuthError::MagicLoginDisabled);
    }
    let email = Email::parse(email).map_err(|_| AuthError::InvalidCode)?;
    if codes::check_magic_code(state.kv(), email.as_str(), code)
        .await
        .map_err(internal)?
        != CodeCheck::Valid
    {
        return Err(AuthError::InvalidCode);
    }
    match db::users::by_email(state.db(), email.as_str())
        .await
        .map_err(internal)?
    {
        Some(user) if user.is_active => {
            let user = verify_email(state, user).await?;
            Ok((
                db::users::record_login(state.db(), user, "magic-code")
                    .await
                    .map_err(internal)?,
                false,
            ))
        }
        Some(_) => Err(AuthError::InvalidCode),
        None => {
            check_sign_up_allowed(state, &settings, &email).await?;
            let user = create_verified(state, &email, names, None).await?;
            Ok((
                db::users::record_login(state.db(), user, "magic-code")
                    .await
                    .map_err(internal)?,
                true,
            ))
        }
    }
}

/// Signs up with a password. The address is proven by a code from `request_auth_mail`, so a
/// sign-up attempt for someone else's address reveals nothing and creates nothing. Returns the
/// user and whether the account was created.
pub async fn sign_up(
    state: &AppState,
    email: &str,
    password: &str,
    names: &Names,
    code: &str,
) -> Result<(User, bool), AuthError> {
    let settings = settings(state).await?;
    if !settings.password_login_enabled() {
        return Err(AuthError::PasswordLoginDisabled);
    }
    let email = Email::parse(email).map_err(|_| AuthError::InvalidEmail)?;
    password::check_strength(
        password,
        &[email.as_str(), &names.first_name, &names.last_name],
    )?;
    // The code first: the sign-up policy lets invited addresses through, so asked first it
    // would tell anyone who has been invited. Codes go only to addresses the policy admits.
    if codes::check_magic_code(state.kv(), email.as_str(), code)
        .await
        .map_err(internal)?
        != CodeCheck::Valid
    {
        return Err(AuthError::InvalidSignUpCode);
    }
    check_sign_up_allowed(state, &settings, &email).await?;
    let hashed = hash(password).await?;
    let (user, created) = match db::users::by_email(state.db(), email.as_str())
        .await
        .map_err(internal)?
    {
        // A disabled account gets nothing, and the same answer as a wrong code.
        Some(user) if !user.is_active => return Err(AuthError::InvalidSignUpCode),
        // The owner of the address proved it: an existing account without a password gets one;
        // one with a password is simply signed in (its password is not replaced).
        Some(user) if user.password.is_none() => {
            let user = db::users::save(state.db(), user, |u| {
                u.password = sea_orm::ActiveValue::Set(Some(hashed));
                u.is_password_autoset = sea_orm::ActiveValue::Set(false);
                u.is_email_verified = sea_orm::ActiveValue::Set(true);
            })
            .await
            .map_err(internal)?;
            (user, false)
        }
        Some(user) => (user, false),
        None => (
            create_verified(state, &email, names, Some(hashed)).await?,
            true,
        ),
    };
    let user = db::users::record_login(state.db(), user, "email")
        .await
        .map_err(internal)?;
    Ok((user, created))
}
